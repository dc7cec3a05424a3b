package service

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store"
)

// AutomationInput is what a user gives to create or change an automation:
// autocred.AutomationInput, which says why it is defined there.
type AutomationInput = autocred.AutomationInput

// AutomationView is an automation with the counts the user watches.
type AutomationView struct {
	autocred.Automation
	PollInterval string                     `json:"poll_interval,omitempty"`
	Runs         map[autocred.RunStatus]int `json:"runs"`
	// PrunedRuns are those of Runs pruned from the history, with their
	// logs, for being older than the run retention (serve
	// --run-retention): counted, no longer listed, not retried.
	PrunedRuns map[autocred.RunStatus]int `json:"pruned_runs,omitempty"`
	// CertifierCircuit is set while the Certifier connection's circuit
	// is open: its runs wait, and why.
	CertifierCircuit *CircuitView `json:"certifier_circuit,omitempty"`
	// PausedEntrants counts the contacts who entered the segment while
	// the automation was stopped (paused by a user, or by autocred) and
	// got nothing because it was resumed with Start fresh, whose skipped
	// run (autocred.RunCodeEnteredWhilePaused) is still there to retry:
	// one retried and issued no longer counts (store.SkippedEntrants).
	PausedEntrants int `json:"paused_entrants"`
	// ResendLeftOut counts the automation's send_unconfirmed runs whose
	// own resend may have gone out already
	// (autocred.RunCodeResendUnconfirmed): Resend email to all leaves them
	// out, so the send_unconfirmed runs it resends are
	// Runs[send_unconfirmed] minus these. Each is resent from its run.
	ResendLeftOut int `json:"resend_left_out"`
}

// ResendableToAll counts the runs Resend email to all would queue: those
// whose send is unconfirmed, but for ResendLeftOut.
func (v AutomationView) ResendableToAll() int {
	return max(0, v.Runs[autocred.RunSendUnconfirmed]-v.ResendLeftOut)
}

// WaitingOnCertifier tells whether the automation's runs wait out a
// Certifier outage (its connection's circuit is open for an outage):
// nothing for its user to fix, and not "OK" either.
func (v AutomationView) WaitingOnCertifier() bool {
	return v.CertifierCircuit != nil && v.CertifierCircuit.Reason == autocred.CircuitOutage
}

// PendingRuns counts the automation's runs not finished yet: during an
// outage, the ones that wait for Certifier.
func (v AutomationView) PendingRuns() int { return v.Runs[autocred.RunPending] }

// CreateAutomation checks an automation against both accounts and saves it
// as a draft.
func (s *Service) CreateAutomation(ctx context.Context, in AutomationInput) (AutomationView, error) {
	a := autocred.Automation{Name: in.Name, Trigger: in.Trigger, Action: in.Action}
	if err := s.prepare(ctx, &a, in.PollInterval); err != nil {
		return AutomationView{}, err
	}
	if err := s.store.CreateAutomation(ctx, &a, refuseTwin(in.AllowDuplicate)); err != nil {
		return AutomationView{}, err
	}
	return s.Automation(ctx, a.ID)
}

// UpdateAutomation replaces an automation's settings. The watched segment
// can change only while the automation is a draft: its ledger describes one
// segment, and mixing two would issue to people who never entered.
func (s *Service) UpdateAutomation(ctx context.Context, id int64, in AutomationInput) (AutomationView, error) {
	cur, err := s.store.Automation(ctx, id)
	if err != nil {
		return AutomationView{}, err
	}
	if cur.Status == autocred.AutomationArchived {
		return AutomationView{}, autocred.Errorf(autocred.ECONFLICT, "%q is deleted (archived): restore it before editing it", cur.Name)
	}
	if cur.Status != autocred.AutomationDraft && (in.Trigger.ConnectionID != cur.Trigger.ConnectionID || in.Trigger.SegmentID != cur.Trigger.SegmentID) {
		return AutomationView{}, &autocred.Error{Code: autocred.ECONFLICT, Field: "trigger.segment_id",
			Message: "the segment of an automation that has been activated cannot change; create a new automation for the other segment"}
	}
	a := cur
	a.Name, a.Trigger, a.Action = in.Name, in.Trigger, in.Action
	if err := s.prepare(ctx, &a, in.PollInterval); err != nil {
		return AutomationView{}, err
	}
	// Moved to another segment or group, the store asks the same question
	// as of a new automation. Otherwise it was asked when that pair was
	// chosen.
	if err := s.store.UpdateAutomation(ctx, &a, refuseTwin(in.AllowDuplicate)); err != nil {
		return AutomationView{}, err
	}
	if cur.GroupMissing() {
		// autocred paused it because its group was deleted; prepare has
		// checked that the group it has now exists. Resume it on its
		// ledger: whoever entered meanwhile gets a credential, and the
		// runs that waited for a group are issued.
		if err := s.resume(ctx, id, true); err != nil {
			return AutomationView{}, err
		}
	}
	return s.Automation(ctx, id)
}

// prepare validates an automation and checks it against the accounts: the
// connections are of the right apps, and the segment, group, custom
// attributes and custom fields exist. It fills the names shown in lists.
//
// Every mistake is returned at once (autocred.Errors lists them), so that
// a form shows each beside its input on the first save: the automation's
// own checks, and whatever each account can tell without the inputs that
// are missing or wrong (the mapping's custom fields need the ActiveCampaign
// connection, not the segment). An internal error is returned alone.
func (s *Service) prepare(ctx context.Context, a *autocred.Automation, pollInterval string) error {
	var p problems
	d, err := parsePollInterval(pollInterval)
	p.add(err)
	a.PollInterval = d
	mapping, err := a.Validate()
	p.add(err)
	if mapping.TimeZone != "" {
		// The zone is stored by name, the server's when none was given,
		// so that moving the server to another zone later moves no dates.
		a.Action.TimeZone = mapping.TimeZone
	}
	if a.Trigger.ConnectionID != 0 && p.add(s.checkConnection(ctx, a.Trigger.ConnectionID, autocred.AppActiveCampaign, "trigger.connection_id")) {
		if strings.TrimSpace(a.Trigger.SegmentID) != "" {
			p.add(s.nameSegment(ctx, &a.Trigger))
		}
		p.add(s.checkFields(ctx, a.Trigger.ConnectionID, mapping))
	}
	if p.internal != nil {
		return p.internal
	}
	if a.Action.ConnectionID != 0 && p.add(s.checkConnection(ctx, a.Action.ConnectionID, autocred.AppCertifier, "action.connection_id")) {
		if strings.TrimSpace(a.Action.GroupID) != "" {
			p.add(s.nameGroup(ctx, &a.Action))
		}
		p.add(s.checkAttributes(ctx, &a.Action))
	}
	return p.err()
}

// problems collects the mistakes of one save.
type problems struct {
	errs     []*autocred.Error
	internal error
}

// add records err's mistakes: an input's first only (an attribute whose
// tag is refused is not also said to be missing from the workspace), and
// one about no input once (an account that cannot be read says so once,
// not once per list read from it). It tells whether err was nil.
func (p *problems) add(err error) bool {
	if err == nil {
		return true
	}
	found := autocred.Errors(err)
	if len(found) == 0 || autocred.ErrorCode(err) == autocred.EINTERNAL {
		p.internal = cmp.Or(p.internal, err)
		return false
	}
	for _, e := range found {
		if !slices.ContainsFunc(p.errs, func(o *autocred.Error) bool { return o.Field == e.Field && (e.Field != "" || o.Message == e.Message) }) {
			p.errs = append(p.errs, e)
		}
	}
	return false
}

// err is every mistake joined, in the order found; the internal error
// alone if there was one.
func (p *problems) err() error {
	if p.internal != nil {
		return p.internal
	}
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = e
	}
	return autocred.JoinErrors(errs...)
}

// parsePollInterval reads a sync interval as typed ("5m"); empty is 0,
// the service's default.
func parsePollInterval(s string) (time.Duration, error) {
	if s = strings.TrimSpace(s); s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, autocred.FieldErrorf("poll_interval", "%q is not a duration; write e.g. 60s, 5m or 1h", s)
	}
	return d, nil
}

// nameSegment checks that the trigger's segment exists in its account and
// records its name.
func (s *Service) nameSegment(ctx context.Context, t *autocred.Trigger) error {
	name, err := s.segmentName(ctx, t.ConnectionID, t.SegmentID)
	if err != nil {
		return err
	}
	if name == "" {
		return autocred.FieldErrorf("trigger.segment_id", "segment %q does not exist in this ActiveCampaign account; pick one from the list", t.SegmentID)
	}
	t.SegmentName = name
	return nil
}

// segmentName is the name of a segment of an ActiveCampaign connection;
// "" when it has no such segment.
func (s *Service) segmentName(ctx context.Context, connID int64, segmentID string) (string, error) {
	segs, err := s.Segments(ctx, connID)
	if err != nil {
		return "", err
	}
	for _, sg := range segs {
		if sg.ID == segmentID {
			return sg.Name, nil
		}
	}
	return "", nil
}

// nameGroup checks that the action's group exists in its workspace and
// records its name.
func (s *Service) nameGroup(ctx context.Context, a *autocred.Action) error {
	groups, err := s.Groups(ctx, a.ConnectionID)
	if err != nil {
		return err
	}
	a.GroupName = ""
	for _, g := range groups {
		if g.ID == a.GroupID {
			a.GroupName = g.Name
		}
	}
	if a.GroupName == "" {
		return autocred.FieldErrorf("action.group_id", "group %q does not exist in this Certifier workspace; pick one from the list", a.GroupID)
	}
	return nil
}

// checkAttributes checks that each custom attribute the action maps
// exists in its Certifier workspace, and records their names (the labels
// the pages show).
func (s *Service) checkAttributes(ctx context.Context, a *autocred.Action) error {
	a.CustomAttributeNames = nil
	if len(a.CustomAttributes) == 0 {
		return nil
	}
	attrs, err := s.Attributes(ctx, a.ConnectionID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, at := range attrs {
		names[at.Tag] = at.Name
	}
	var errs []error
	for _, tag := range slices.Sorted(maps.Keys(a.CustomAttributes)) {
		name, ok := names[tag]
		if !ok {
			errs = append(errs, autocred.FieldErrorf("action.custom_attributes."+tag, "attribute %q does not exist in this Certifier workspace; create it in Certifier first, or remove it", tag))
			continue
		}
		if name != "" {
			if a.CustomAttributeNames == nil {
				a.CustomAttributeNames = map[string]string{}
			}
			a.CustomAttributeNames[tag] = name
		}
	}
	return autocred.JoinErrors(errs...)
}

// checkFields checks the custom fields the mapping uses against the
// ActiveCampaign account's (autocred.Mapping.CheckFields).
func (s *Service) checkFields(ctx context.Context, connID int64, m autocred.Mapping) error {
	if len(m.Fields()) == 0 {
		return nil
	}
	defs, err := s.FieldDefs(ctx, connID)
	if err != nil {
		return err
	}
	// A warning (a text field mapped to a date) does not refuse the
	// save; the preview shows it beside its input.
	_, err = m.CheckFields(defs)
	return err
}

// FieldDefs lists the custom fields of an ActiveCampaign connection with
// their types, as the mapping's checks take them.
func (s *Service) FieldDefs(ctx context.Context, connID int64) ([]autocred.FieldDef, error) {
	fields, err := s.Fields(ctx, connID)
	if err != nil {
		return nil, err
	}
	defs := make([]autocred.FieldDef, len(fields))
	for i, f := range fields {
		defs[i] = autocred.FieldDef{Perstag: f.Perstag, Title: f.Title, Type: f.Type}
	}
	return defs, nil
}

func (s *Service) checkConnection(ctx context.Context, id int64, app autocred.App, field string) error {
	c, err := s.store.Connection(ctx, id)
	if autocred.ErrorCode(err) == autocred.ENOTFOUND {
		return autocred.FieldErrorf(field, "connection %d does not exist", id)
	}
	if err != nil {
		return err
	}
	if c.App != app {
		return autocred.FieldErrorf(field, "connection %d is a %s connection; this needs a %s one", id, c.App, app)
	}
	return nil
}

// Automation reads one automation with its run counts.
func (s *Service) Automation(ctx context.Context, id int64) (AutomationView, error) {
	a, err := s.store.Automation(ctx, id)
	if err != nil {
		return AutomationView{}, err
	}
	return s.view(ctx, a)
}

func (s *Service) view(ctx context.Context, a autocred.Automation) (AutomationView, error) {
	counts, err := s.store.RunCounts(ctx, a.ID)
	if err != nil {
		return AutomationView{}, err
	}
	pruned, err := s.store.PrunedRunCounts(ctx, a.ID)
	if err != nil {
		return AutomationView{}, err
	}
	entrants, err := s.store.SkippedEntrants(ctx, a.ID)
	if err != nil {
		return AutomationView{}, err
	}
	v := AutomationView{Automation: a, Runs: counts, PrunedRuns: pruned, PausedEntrants: entrants}
	if counts[autocred.RunSendUnconfirmed] > 0 {
		v.ResendLeftOut, err = s.store.CountRuns(ctx, autocred.RunFilter{AutomationID: a.ID,
			Status: autocred.RunSendUnconfirmed, ErrorCode: autocred.RunCodeResendUnconfirmed})
		if err != nil {
			return AutomationView{}, err
		}
	}
	if v.Action.TimeZone == "" {
		// Saved before automations had a zone: runs take the server's.
		v.Action.TimeZone = autocred.LocalTimeZone()
	}
	if v.CertifierCircuit, err = s.Circuit(ctx, a.Action.ConnectionID); err != nil {
		return AutomationView{}, err
	}
	if a.PollInterval > 0 {
		v.PollInterval = a.PollInterval.String()
	}
	return v, nil
}

// Automations lists the automations that are not archived, oldest first,
// with their run counts.
func (s *Service) Automations(ctx context.Context) ([]AutomationView, error) {
	return s.automations(ctx, func(a autocred.Automation) bool { return a.Status != autocred.AutomationArchived })
}

// ArchivedAutomations lists the archived automations, oldest first, with
// their run counts.
func (s *Service) ArchivedAutomations(ctx context.Context) ([]AutomationView, error) {
	return s.automations(ctx, func(a autocred.Automation) bool { return a.Status == autocred.AutomationArchived })
}

func (s *Service) automations(ctx context.Context, keep func(autocred.Automation) bool) ([]AutomationView, error) {
	all, err := s.store.Automations(ctx, store.AutomationFilter{})
	if err != nil {
		return nil, err
	}
	out := make([]AutomationView, 0, len(all))
	for _, a := range all {
		if !keep(a) {
			continue
		}
		v, err := s.view(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ArchiveAutomation is what deleting an automation does: it stops watching
// and leaves the lists; its runs stay readable and exportable, and the
// credentials it issued stay in Certifier. Archiving an archived automation
// changes nothing.
func (s *Service) ArchiveAutomation(ctx context.Context, id int64) (AutomationView, error) {
	a, err := s.store.ArchiveAutomation(ctx, id)
	if err != nil {
		return AutomationView{}, err
	}
	// The last automation of an account may have stopped: its webhook too.
	s.webhooksChanged(ctx)
	return s.view(ctx, a)
}

// RestoreAutomation brings an archived automation back: a draft as a draft,
// a broken one broken, any other paused (resume it to watch its segment
// again). Like activating, it is refused while another automation (not a
// draft, not archived) issues from the same group to the same segment,
// unless allowDuplicate confirms that two credentials per entry is
// wanted: restoring is the step that brings a second one back into play,
// and resuming it then asks again, as activating does after a save.
func (s *Service) RestoreAutomation(ctx context.Context, id int64, allowDuplicate bool) (AutomationView, error) {
	a, err := s.store.RestoreAutomation(ctx, id, refuseTwin(allowDuplicate))
	if err != nil {
		return AutomationView{}, err
	}
	return s.view(ctx, a)
}

// DeleteRunHistory deletes an archived automation's runs and their logs
// (for a privacy request) and keeps its ledger, so that restoring it
// issues nothing again to the contacts it counted.
func (s *Service) DeleteRunHistory(ctx context.Context, id int64) (autocred.HistoryDeletion, error) {
	return s.store.DeleteRunHistory(ctx, id)
}

// DeleteAutomation deletes an archived automation whose history has been
// deleted, with its ledger, for good.
func (s *Service) DeleteAutomation(ctx context.Context, id int64) error {
	return s.store.DeleteAutomation(ctx, id)
}

// Activate starts watching a draft automation: its first sync takes the
// baseline (whoever is in the segment now gets nothing), then it is active.
// It is refused while another automation (not a draft) issues from the
// same group to the same segment, unless allowDuplicate confirms that two
// credentials per entry is wanted.
func (s *Service) Activate(ctx context.Context, id int64, allowDuplicate bool) error {
	defer s.webhooksChanged(ctx)
	return s.store.ActivateAutomation(ctx, id, refuseTwin(allowDuplicate))
}

// Pause stops an automation: no syncs, no credentials. Runs already
// detected stay pending until it is resumed.
func (s *Service) Pause(ctx context.Context, id int64) error {
	defer s.webhooksChanged(ctx)
	return s.store.PauseAutomation(ctx, id)
}

// Resume restarts a paused or broken automation. catchUp says what to do
// with the contacts who entered its segment while it was stopped: true
// keeps the ledger, so that the first sync issues credentials to everyone
// who entered in the meantime; false takes a new baseline, so that they
// get nothing, as if it were activated anew; nil does what
// autocred.Automation.ResumeCatchesUp says: catch up when autocred stopped
// it (a refused key, a deleted group), a new baseline when a user paused
// it. Pending runs are enqueued again either way (and once more when a
// new baseline ends).
//
// It is refused while resuming cannot work (resumeBlocked): a connection
// whose key is still refused, or a group that no longer exists. Like
// activating, it is refused while another automation (not a draft, not
// archived) issues from the same group to the same segment, unless
// allowDuplicate confirms that two credentials per entry is wanted.
func (s *Service) Resume(ctx context.Context, id int64, catchUp *bool, allowDuplicate bool) error {
	a, err := s.store.Automation(ctx, id)
	if err != nil {
		return err
	}
	if err := s.resumeBlocked(ctx, a); err != nil {
		return err
	}
	check := refuseTwin(allowDuplicate)
	if catchUp == nil {
		return s.resume(ctx, id, a.ResumeCatchesUp(), check)
	}
	return s.resume(ctx, id, *catchUp, check)
}

// resume resumes automation id; check, when given, is the store's twin
// check (refuseTwin), made in the same transaction.
func (s *Service) resume(ctx context.Context, id int64, catchUp bool, check ...store.TwinCheck) error {
	defer s.webhooksChanged(ctx)
	return s.store.ResumeAutomation(ctx, id, catchUp, check...)
}

// resumeBlocked refuses to resume an automation that would stop again at
// once, with what to do first: one whose group was deleted and is still
// not there (choosing another under Edit resumes it), or one with a connection whose key is
// still refused (reconnecting it comes first).
func (s *Service) resumeBlocked(ctx context.Context, a autocred.Automation) error {
	if a.GroupMissing() && !s.groupVisible(ctx, a) {
		// A group the workspace shows again (the key was another
		// workspace's, or the group was restored) is not missing: resuming
		// issues from it.
		return autocred.Errorf(autocred.ECONFLICT, "The group '%s' no longer exists in this Certifier workspace, so resuming would issue nothing: choose another group under Edit, and saving it resumes the automation.", a.Action.GroupName)
	}
	if !a.Status.Stopped() {
		return nil // the store says what is wrong with resuming it
	}
	for _, id := range []int64{a.Trigger.ConnectionID, a.Action.ConnectionID} {
		c, err := s.store.Connection(ctx, id)
		if autocred.ErrorCode(err) == autocred.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		if c.Status == autocred.ConnectionBroken {
			return autocred.Errorf(autocred.ECONFLICT, "The connection %q still has a refused key, so resuming would stop again at once: reconnect it with a new key first (Connections → Reconnect), then resume.", c.Name)
		}
	}
	return nil
}

// SyncNow reads an automation's segment now instead of at its next turn.
func (s *Service) SyncNow(ctx context.Context, id int64) error {
	return s.store.SyncAutomationSoon(ctx, id)
}

// webhooksChanged asks the engine to reconcile the accounts' webhooks
// after an automation starts or stops watching; a failure is only logged,
// since the periodic reconciliation catches up within a minute.
func (s *Service) webhooksChanged(ctx context.Context) {
	if err := s.engine.WebhooksChanged(ctx); err != nil {
		s.log.Warn("asking for webhook reconciliation", "err", err)
	}
}

// RunView is a run with its log, and what it sent.
type RunView struct {
	autocred.Run
	// Events is the log, oldest first; a create call's line carries what
	// it sent (autocred.DescribeEvents).
	Events []autocred.RunEvent `json:"events"`
	// Sent is what the run's last create call sent to Certifier: the
	// credential as the run rendered it. nil before any create call.
	Sent *autocred.SentCredential `json:"sent,omitempty"`
}

// Runs lists the runs of an automation, or of every automation when f
// names none, newest first, with the next cursor.
// Each pending run that waits says when it is tried again.
func (s *Service) Runs(ctx context.Context, f autocred.RunFilter) ([]autocred.Run, int64, error) {
	if err := s.checkRunOwner(ctx, f); err != nil {
		return nil, 0, err
	}
	runs, next, err := s.store.Runs(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	return runs, next, s.nextAttempts(ctx, runs)
}

// nextAttempts fills in when each pending run is tried again by itself.
func (s *Service) nextAttempts(ctx context.Context, runs []autocred.Run) error {
	var pending []int64
	for _, r := range runs {
		if r.Status == autocred.RunPending {
			pending = append(pending, r.ID)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	at, err := s.engine.NextAttempts(ctx, pending)
	if err != nil {
		return err
	}
	for i := range runs {
		runs[i].NextAttemptAt = at[runs[i].ID]
	}
	return s.circuitAttempts(ctx, runs)
}

// circuitAttempts fills in, for a run that waits for an open circuit and
// has no job time of its own (its job is under way, or was just put back),
// the circuit's next probe: when it is tried again is known, and said.
func (s *Service) circuitAttempts(ctx context.Context, runs []autocred.Run) error {
	probes := map[int64]time.Time{} // by automation
	for i, r := range runs {
		switch {
		case r.Status != autocred.RunPending || !r.NextAttemptAt.IsZero():
			continue
		case r.ErrorCode != autocred.RunCodeWaitingOutage && r.ErrorCode != autocred.RunCodeWaitingPlan && r.ErrorCode != autocred.RunCodeWaitingVersion:
			continue
		}
		next, ok := probes[r.AutomationID]
		if !ok {
			a, err := s.store.Automation(ctx, r.AutomationID)
			if err != nil {
				return fmt.Errorf("reading run %d's automation: %w", r.ID, err)
			}
			c, err := s.store.Circuit(ctx, a.Action.ConnectionID)
			if err != nil {
				return fmt.Errorf("reading the circuit of connection %d: %w", a.Action.ConnectionID, err)
			}
			if c.Open {
				next = c.NextProbe
			}
			probes[r.AutomationID] = next
		}
		runs[i].NextAttemptAt = next
	}
	return nil
}

// Run reads one run with its log, what it sent, and when a waiting run is
// tried again.
func (s *Service) Run(ctx context.Context, id int64) (RunView, error) {
	r, err := s.store.Run(ctx, id)
	if err != nil {
		return RunView{}, err
	}
	events, err := s.store.RunEvents(ctx, id)
	if err != nil {
		return RunView{}, err
	}
	runs := []autocred.Run{r}
	if err := s.nextAttempts(ctx, runs); err != nil {
		return RunView{}, err
	}
	v := RunView{Run: runs[0]}
	v.Events, v.Sent = autocred.DescribeEvents(events)
	v.Attempts = attemptsLogged(v.Run, v.Events)
	return v, nil
}

// attemptsLogged is a run's attempts as its log shows them, each an
// "Attempt N" line. The engine records an attempt (Run.Attempts, the step)
// before its create call, so that a call sent and never answered is known;
// until the call returns, that attempt has no line, and while Certifier
// rate limits, the call waits for its turn there, unsent, for as long as
// the limit lasts (a tester saw "Attempts: 1" beside a log with no
// "Attempt 1" and nothing sent). The attempt of a pending run whose
// create is under way, or waiting, counts once its line is written.
func attemptsLogged(r autocred.Run, events []autocred.RunEvent) int {
	if r.Status != autocred.RunPending || r.Step != autocred.StepCreate || r.Attempts == 0 {
		return r.Attempts
	}
	for _, ev := range events {
		if ev.Sent != nil && ev.Sent.Attempt == r.Attempts {
			return r.Attempts
		}
	}
	return r.Attempts - 1
}

// RetryRun retries a failed or skipped run, or a waiting one at once; by is
// who asked (a user's email, "API token <name>"), for the run's log.
func (s *Service) RetryRun(ctx context.Context, id int64, by string) (RunView, error) {
	// Two jobs of one run never work at once (the run lease), and the one
	// that comes second finds the run as the first left it.
	if err := s.store.RetryRun(ctx, id, "Retry requested by "+by+"."); err != nil {
		return RunView{}, err
	}
	return s.Run(ctx, id)
}

// RetryFailed retries every failed run of an automation; by is who asked.
func (s *Service) RetryFailed(ctx context.Context, automationID int64, by string) (int, error) {
	if _, err := s.store.Automation(ctx, automationID); err != nil {
		return 0, err
	}
	return s.store.RetryFailedRuns(ctx, automationID, "Retry requested by "+by+" (Retry all failed).")
}

// RetryStoppedEntrants issues, after all, to everyone who entered the
// segment while the automation was stopped and got nothing because it was
// resumed with Start fresh (their skipped runs, AutomationView's
// PausedEntrants), and says how many; by is who asked. Refused (conflict)
// while the automation cannot work the runs (autocred.Automation's
// RetryBlocked).
func (s *Service) RetryStoppedEntrants(ctx context.Context, automationID int64, by string) (int, error) {
	return s.store.RetryStoppedEntrants(ctx, automationID, "Retry requested by "+by+" (Issue to everyone who entered while stopped).")
}

// ResendUnconfirmed sends again, in the background, the email of every
// run of an automation whose send is unconfirmed (Resend email to all),
// and says how many it queued, and how many it left out: runs whose own
// resend may have gone out already (autocred.RunCodeResendUnconfirmed),
// resent one by one from their runs. Each queued one is a resend as
// ResendEmail makes it, recorded in its run's log with who asked, under
// the same guards (the run's lease, engine.ResendWindow), and only while
// the run is still unconfirmed. by is who asked.
func (s *Service) ResendUnconfirmed(ctx context.Context, automationID int64, by string) (queued, leftOut int, err error) {
	return s.store.QueueResends(ctx, automationID, by)
}

// ResendEmail sends the email of a run's issued credential again, once:
// a second request within engine.ResendWindow, or while the first is
// under way, is refused (engine.Engine.ResendEmail). by is who asked.
func (s *Service) ResendEmail(ctx context.Context, id int64, by string) (RunView, error) {
	if err := s.engine.ResendEmail(ctx, id, by); err != nil {
		return RunView{}, err
	}
	return s.Run(ctx, id)
}
