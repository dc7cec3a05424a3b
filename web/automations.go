package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
)

// automationSummary is an automation as lists and live refresh show it.
type automationSummary struct {
	service.AutomationView
	Batch autocred.Progress   // the wave of runs being issued, when one is
	Days  []autocred.DayCount // runs finished per day, oldest first, today last
	Zone  string              // the time zone the days are cut in: the browser's (viewerZone)
	Scale int                 // the top of the chart's count scale
	// Broken are the automation's connections whose key was refused: the
	// page says so once, with the way to reconnect each.
	Broken []autocred.Connection
}

func (h *handler) summarize(ctx context.Context, a service.AutomationView) (automationSummary, error) {
	s := automationSummary{AutomationView: a}
	var err error
	if s.Batch, err = h.svc.BatchProgress(ctx, a.ID); err != nil {
		return s, err
	}
	if s.Zone, s.Days, err = h.svc.RunsPerDay(ctx, a.Automation, chartDays, viewerZone(ctx)); err != nil {
		return s, err
	}
	s.Scale = chartTop(chartPeak(s.Days))
	if !s.Archived() {
		for _, id := range []int64{a.Trigger.ConnectionID, a.Action.ConnectionID} {
			c, err := h.svc.Connection(ctx, id)
			if autocred.ErrorCode(err) == autocred.ENOTFOUND {
				continue
			}
			if err != nil {
				return s, err
			}
			if c.Status == autocred.ConnectionBroken {
				s.Broken = append(s.Broken, c)
			}
		}
	}
	return s, nil
}

// summaries summarizes the automations of the list: the archived ones, or
// the others.
func (h *handler) summaries(ctx context.Context, archived bool) ([]automationSummary, error) {
	list := h.svc.Automations
	if archived {
		list = h.svc.ArchivedAutomations
	}
	all, err := list(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]automationSummary, 0, len(all))
	peak := 0
	for _, a := range all {
		s, err := h.summarize(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		peak = max(peak, chartPeak(s.Days))
	}
	// One scale for every row, so that a taller bar is more runs.
	for i := range out {
		out[i].Scale = chartTop(peak)
	}
	return out, nil
}

// automationList is the automations page: the automations that are not
// archived, or (with ?archived=1) the archived ones.
type automationList struct {
	Archived      bool
	Automations   []automationSummary
	ArchivedCount int // on the main list, how many are archived
}

// ChartZone names the time zone the list's charts cut days in: the one
// every automation uses, or "" when they differ (each chart then says
// its own).
func (l automationList) ChartZone() string {
	zone := ""
	for i, a := range l.Automations {
		if i > 0 && a.Zone != zone {
			return ""
		}
		zone = a.Zone
	}
	return zone
}

// ChartLegend names the colours of the list's charts.
func (l automationList) ChartLegend() template.HTML {
	var all []autocred.DayCount
	for _, a := range l.Automations {
		all = append(all, a.Days...)
	}
	return chartLegend(all)
}

func (h *handler) automationList(ctx context.Context, archived bool) (automationList, error) {
	l := automationList{Archived: archived}
	var err error
	if l.Automations, err = h.summaries(ctx, archived); err != nil || archived {
		return l, err
	}
	arch, err := h.svc.ArchivedAutomations(ctx)
	l.ArchivedCount = len(arch)
	return l, err
}

func (h *handler) automationsPage(w http.ResponseWriter, r *http.Request) error {
	archived := r.URL.Query().Get("archived") == "1"
	l, err := h.automationList(r.Context(), archived)
	if err != nil {
		return err
	}
	title := "Automations"
	if archived {
		title = "Archived automations"
	}
	return h.render(w, r, http.StatusOK, "automations", view{Title: title, Nav: "automations", Data: l})
}

// automationsLive is the list's rows, for live refresh.
func (h *handler) automationsLive(w http.ResponseWriter, r *http.Request) error {
	l, err := h.automationList(r.Context(), r.URL.Query().Get("archived") == "1")
	if err != nil {
		return err
	}
	rows, err := h.fragment("automationRows", l)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"regions": map[string]string{"automations": rows}})
	return nil
}

func (h *handler) newAutomationPage(w http.ResponseWriter, r *http.Request) error {
	f := automationForm{Post: "/automations", Reload: "/automations/new", Step: "trigger", In: newAutomationInput()}
	// Dates are issued in the zone of the people who set it up: the
	// browser's, when the page knows it; the server's stays suggested.
	if z, ok := browserZone(r.Context()); ok {
		f.In.Action.TimeZone, f.BrowserZone = z, z
	}
	if q := r.URL.Query(); q.Has("loaded") {
		f.In, f.Step = parseAutomationInput(q), q.Get("step")
	}
	return h.renderForm(w, r, http.StatusOK, f)
}

func (h *handler) renderForm(w http.ResponseWriter, r *http.Request, status int, f automationForm) error {
	if err := h.load(r.Context(), &f); err != nil {
		return err
	}
	if f.Step != "action" {
		f.Step = "trigger"
	}
	title := "New automation"
	if f.ID != 0 {
		title = "Edit " + f.In.Name
	}
	return h.render(w, r, status, "automation_form", view{Title: title, Nav: "automations", Data: f})
}

// formFailed shows the form again with each of the service's errors
// beside its input, and everything typed kept: on step 1 when it has any
// (it comes first), else on step 2; each step's tab counts its own.
func (h *handler) formFailed(w http.ResponseWriter, r *http.Request, f automationForm, err error) error {
	fe, status := h.formErrors(r, err, isAutomationInput)
	f.Errors, f.Step = fe, "action"
	if f.ToFix("trigger") > 0 {
		f.Step = "trigger"
	}
	return h.renderForm(w, r, status, f)
}

func (h *handler) createAutomation(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return autocred.Errorf(autocred.EINVALID, "unreadable form: %v", err)
	}
	in := parseAutomationInput(r.PostForm)
	a, err := h.svc.CreateAutomation(r.Context(), in)
	if err != nil {
		return h.formFailed(w, r, automationForm{Post: "/automations", Reload: "/automations/new", In: in}, err)
	}
	return seeOther(w, r, "/automations/"+itoa(a.ID)+"?done=created")
}

func (h *handler) editAutomationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.Automation(r.Context(), id)
	if err != nil {
		return err
	}
	if a.Status == autocred.AutomationArchived {
		// Saving would be refused: say so before the form is filled in.
		return h.renderAutomation(w, r, http.StatusConflict, id, "This automation is archived: restore it before editing it.")
	}
	f := editForm(a)
	if q := r.URL.Query(); q.Has("loaded") {
		f.In, f.Step = parseAutomationInput(q), q.Get("step")
	}
	return h.renderForm(w, r, http.StatusOK, f)
}

func editForm(a service.AutomationView) automationForm {
	base := "/automations/" + itoa(a.ID)
	return automationForm{ID: a.ID, Post: base, Reload: base + "/edit", Step: "action", Status: a.Status,
		In: service.AutomationInput{Name: a.Name, Trigger: a.Trigger, Action: a.Action, PollInterval: a.PollInterval}}
}

func (h *handler) updateAutomation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return autocred.Errorf(autocred.EINVALID, "unreadable form: %v", err)
	}
	in := parseAutomationInput(r.PostForm)
	a, err := h.svc.UpdateAutomation(r.Context(), id, in)
	if err != nil {
		cur, gerr := h.svc.Automation(r.Context(), id)
		if gerr != nil {
			return gerr
		}
		f := editForm(cur)
		f.In = in
		return h.formFailed(w, r, f, err)
	}
	return seeOther(w, r, "/automations/"+itoa(a.ID)+"?done=saved")
}

func (h *handler) deleteAutomation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := h.svc.ArchiveAutomation(r.Context(), id); err != nil {
		return err
	}
	return seeOther(w, r, "/automations?done=archived")
}

// controlAutomation runs one of the automation page's buttons. A refusal
// (say, activating an automation that is already active) is shown, after
// a redirect, at the top of the page, which a reload does not post again.
func (h *handler) controlAutomation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	action := r.PathValue("action")
	switch action {
	case "activate":
		err = h.svc.Activate(ctx, id, r.PostFormValue(service.AllowDuplicateField) != "")
	case "pause":
		err = h.svc.Pause(ctx, id)
	case "resume":
		err = h.svc.Resume(ctx, id, catchUpChoice(r.PostFormValue("catch_up")), r.PostFormValue(service.AllowDuplicateField) != "")
	case "sync":
		err = h.svc.SyncNow(ctx, id)
	case "retry-failed":
		_, err = h.svc.RetryFailed(ctx, id, actor(r))
	case "resend-unconfirmed":
		var queued int
		if queued, _, err = h.svc.ResendUnconfirmed(ctx, id, actor(r)); err == nil && queued == 0 {
			// A page older than the runs' last resends: say that
			// nothing is on its way rather than "being resent".
			return seeOther(w, r, "/automations/"+itoa(id)+"?done=resent-none")
		}
	case "retry-stopped-entrants":
		_, err = h.svc.RetryStoppedEntrants(ctx, id, actor(r))
	case "restore":
		_, err = h.svc.RestoreAutomation(ctx, id, r.PostFormValue(service.AllowDuplicateField) != "")
	case "delete-history":
		_, err = h.svc.DeleteRunHistory(ctx, id)
	case "delete-for-good":
		if err = h.svc.DeleteAutomation(ctx, id); err == nil {
			return seeOther(w, r, "/automations?archived=1&done=deleted")
		}
	default:
		return autocred.Errorf(autocred.ENOTFOUND, "an automation has no action %q", action)
	}
	if err != nil {
		if autocred.ErrorCode(err) == autocred.EINTERNAL || autocred.ErrorCode(err) == autocred.ENOTFOUND {
			return err
		}
		f := refusal{Error: userMessage(err),
			Twin: slices.ContainsFunc(autocred.Errors(err), func(e *autocred.Error) bool { return e.Field == service.AllowDuplicateField })}
		if action == "resume" {
			f.CatchUp = r.PostFormValue("catch_up")
		}
		to := "/automations/" + itoa(id)
		if action == "resume" {
			to += "#resume"
		}
		return h.refuse(w, r, to, f)
	}
	done := map[string]string{"activate": "activated", "pause": "paused", "resume": "resumed", "sync": "synced", "retry-failed": "retry-failed",
		"resend-unconfirmed": "resending", "retry-stopped-entrants": "stopped-entrants-retried",
		"restore": "restored", "delete-history": "history-deleted"}[action]
	return seeOther(w, r, "/automations/"+itoa(id)+"?done="+done)
}

// catchUpChoice reads the Resume form's choice: "yes" catches up, "no"
// starts fresh, anything else (no choice posted) leaves it to the
// automation's default (autocred.Automation.ResumeCatchesUp).
func catchUpChoice(v string) *bool {
	switch v {
	case "yes":
		return new(true)
	case "no":
		return new(false)
	}
	return nil
}

// preview renders the mapping, as a run would send it, for the contact
// typed in "preview_contact" (a name or an email) or else a member of the
// segment, as the form is being filled.
func (h *handler) preview(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return autocred.Errorf(autocred.EINVALID, "unreadable form: %v", err)
	}
	in := parseAutomationInput(r.PostForm)
	// The script shows the message as it comes, above the mapping, away
	// from the input it may name: a whole sentence, in a person's words.
	// Without a segment the service still checks the mapping, and its
	// note says to pick one.
	if in.Trigger.ConnectionID == 0 {
		return autocred.FieldErrorf("trigger.connection_id", "Connect ActiveCampaign first to see a preview.")
	}
	res, err := h.svc.Preview(r.Context(), in.Trigger.ConnectionID, in.Trigger.SegmentID, in.Action, in.Name, r.PostForm.Get("preview_contact"))
	if err != nil {
		var e *autocred.Error
		if !errors.As(err, &e) || e.Code == autocred.EINTERNAL {
			return err
		}
		return &autocred.Error{Code: e.Code, Field: e.Field, Message: "No preview: " + userMessage(err)}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// WaitingInsteadOfActive tells whether the list's row says "Waiting on
// Certifier" in place of "Active": watching, but nothing gets issued
// until Certifier answers again. A paused or broken one keeps its badge,
// the wait said under it in words (one badge a row).
func (s automationSummary) WaitingInsteadOfActive() bool {
	return s.WaitingOnCertifier() && s.Status == autocred.AutomationActive
}

// ProgressLabel says what the progress bar shows, if anything.
func (s automationSummary) ProgressLabel() string {
	switch {
	case s.Status == autocred.AutomationBaselining && s.Baseline.Total > 0:
		return "Reading who is in the segment now: " + autocred.Thousands(s.Baseline.Done) + " of " + autocred.Thousands(s.Baseline.Total) + " contacts (they will get nothing)"
	case s.Status == autocred.AutomationBaselining:
		return "Reading who is in the segment now (they will get nothing)…"
	case s.Batch.Total > 0 && !s.Status.Watching():
		// Nothing is being issued while it is stopped: "Issuing" would
		// say that something is under way.
		// The rest waits for the user: say for what.
		until := "you resume it"
		switch {
		case s.GroupMissing():
			until = "you choose another group under Edit"
		case s.Status == autocred.AutomationBroken:
			until = "you reconnect and resume it"
		case s.Archived():
			until = "you restore it"
		}
		done := autocred.Thousands(s.Batch.Done) + " of " + autocred.Thousands(s.Batch.Total) + " issued"
		// "the others" only when there are others: one run waiting alone
		// is "it", the last of several "the last one".
		switch left := s.Batch.Total - s.Batch.Done; {
		case left <= 0:
			return done
		case s.Batch.Total == 1:
			return done + "; it waits until " + until
		case left == 1 && s.Batch.Done > 0:
			return done + "; the last one waits until " + until
		case s.Batch.Done == 0:
			return done + "; all " + autocred.Thousands(left) + " wait until " + until
		default:
			return done + "; the other " + autocred.Thousands(left) + " wait until " + until
		}
	case s.Batch.Total > 0:
		return "Issuing " + autocred.Thousands(s.Batch.Done) + " of " + autocred.Thousands(s.Batch.Total)
	}
	return ""
}

// RetryNote says, once above the runs, why they offer no Retry, when some
// would otherwise: failed or skipped runs, or pending ones of an
// automation that is not waiting for a group (whose waiting runs say what
// they wait for, and are issued without a retry once it has one).
func (s automationSummary) RetryNote() string {
	if s.Count("failed") > 0 || s.Count("skipped") > 0 || s.Count("pending") > 0 && !s.GroupMissing() {
		return s.RetryBlocked()
	}
	return ""
}

// BaselineTaken tells whether the automation has read who was in its
// segment when it started watching (rule R5), so that Baseline.Total is
// that final count: an active automation always has; a paused or broken
// one has if it was stopped after its baseline was recorded.
func (s automationSummary) BaselineTaken() bool {
	switch s.Status {
	case autocred.AutomationActive:
		return true
	case autocred.AutomationPaused, autocred.AutomationBroken:
		return s.SnapshotSeq > 0 || (s.Baseline.Total > 0 && s.Baseline.Done == s.Baseline.Total)
	}
	return false
}

// BaselineLabel says what the baseline meant for the contacts in it: they
// get nothing, and nothing in autocred can issue to them yet. After a
// resume with Start fresh (FreshStart), what is true of the new one: when
// it was taken, how many contacts were in the segment then, how many of
// them already had their credential from this automation (or one on its
// way), and that only the others got nothing. The moment is written in UTC for the
// template's says, which shows it in the reader's zone.
func (s automationSummary) BaselineLabel() string {
	if !s.BaselineTaken() {
		return ""
	}
	n := s.Baseline.Total
	if f := s.FreshStart; f != nil {
		// The new baseline leaves out who entered while it was stopped:
		// they are told apart, by PausedEntrantsLabel, so that nobody is
		// counted in both sentences (tester 4, finding 4).
		when := "When autocred started fresh (" + f.At.UTC().Format("2006-01-02 15:04:05 UTC") + "), "
		before := " in this segment from before it stopped"
		apart := " Whoever entered while it was stopped is counted apart."
		issued := min(f.Credited, n)
		switch {
		case n == 0:
			return when + "no contact was" + before + ": every contact who enters it from now on gets a credential." + apart
		case issued == 0:
			return when + count(n, "contact was", "contacts were") + before + " and got nothing; only contacts who newly enter get a credential." + apart
		case issued == n && n == 1:
			return when + "1 contact was" + before + ", and already had a credential from this automation, or one on its way: nobody was left out. Only contacts who newly enter get a credential." + apart
		case issued == n:
			return when + autocred.Thousands(n) + " contacts were" + before + ", and all of them already had a credential from this automation, or one on its way: nobody was left out. Only contacts who newly enter get a credential." + apart
		default:
			return when + count(n, "contact was", "contacts were") + before + ": " + autocred.Thousands(issued) +
				" already had a credential from this automation, or one on its way; the other " + autocred.Thousands(n-issued) +
				" got nothing. Only contacts who newly enter get a credential." + apart
		}
	}
	switch n {
	case 0:
		return "The segment was empty when autocred started watching it: every contact who enters it gets a credential."
	case 1:
		return "1 contact was already in this segment when autocred started watching it and gets nothing; only contacts who newly enter get a credential."
	default:
		return autocred.Thousands(n) + " contacts were already in this segment when autocred started watching it and get nothing; only contacts who newly enter get a credential."
	}
}

// LeftOut counts the contacts of the baseline who got nothing: all of
// them, less, after a Start fresh, those who had a credential (or one on
// its way) already.
func (s automationSummary) LeftOut() int {
	if f := s.FreshStart; f != nil {
		return max(0, s.Baseline.Total-f.Credited)
	}
	return s.Baseline.Total
}

// PausedEntrantsLabel counts the contacts who entered while the automation
// was stopped (by a user's pause, or by autocred) and got nothing because
// it resumed with Start fresh, apart from the baseline's members: those
// whose skipped run is still there to retry (service.AutomationView's
// PausedEntrants), as the link beside it lists them.
func (s automationSummary) PausedEntrantsLabel() string {
	switch n := s.PausedEntrants; n {
	case 0:
		return ""
	case 1:
		return "1 contact entered while the automation was stopped and got nothing, because it was resumed with Start fresh."
	default:
		return autocred.Thousands(n) + " contacts entered while the automation was stopped and got nothing, because it was resumed with Start fresh."
	}
}

// Progress is the bar's fill: the baseline's, or the batch's.
func (s automationSummary) Progress() autocred.Progress {
	if s.Status == autocred.AutomationBaselining {
		return s.Baseline
	}
	return s.Batch
}

// HasDrafts tells whether the chart's days hold drafts, which then get
// their own bars and column.
func (s automationSummary) HasDrafts() bool {
	for _, d := range s.Days {
		if d.Draft > 0 {
			return true
		}
	}
	return false
}

// Count is the number of runs with a status, for the templates.
func (s automationSummary) Count(status string) int { return s.Runs[autocred.RunStatus(status)] }

// RetryableFailed is how many failed runs "Retry all failed" retries:
// those still listed, not those pruned from the history.
func (s automationSummary) RetryableFailed() int {
	return s.Runs[autocred.RunFailed] - s.PrunedRuns[autocred.RunFailed]
}

// PrunedTotal is how many of the runs counted were pruned from the
// history (serve --run-retention), and are no longer listed.
func (s automationSummary) PrunedTotal() int {
	n := 0
	for _, c := range s.PrunedRuns {
		n += c
	}
	return n
}

// RunTotal is how many runs the automation has, of every status.
func (s automationSummary) RunTotal() int {
	n := 0
	for _, c := range s.Runs {
		n += c
	}
	return n
}

// ReconnectedReason is what an automation stopped by a refused key says
// once none of its connections is broken any more: resuming it is what is
// left to do. (The store makes it paused with this reason; one left
// broken by an earlier version says it too.)
func (s automationSummary) ReconnectedReason() string { return autocred.ReconnectedReason }

// Resumable tells whether the page offers Resume: the automation is
// stopped, and resuming can work. While a key is still refused the page
// offers Reconnect instead; while its group is gone, Edit to choose
// another (saving that resumes it).
func (s automationSummary) Resumable() bool {
	return s.Status.Stopped() && len(s.Broken) == 0 && !s.GroupMissing()
}

// Archived tells whether the automation is archived.
func (s automationSummary) Archived() bool { return s.Status == autocred.AutomationArchived }

// IssuedCount counts the credentials out, sent or with an unconfirmed send.
func (s automationSummary) IssuedCount() int {
	return s.Runs[autocred.RunIssued] + s.Runs[autocred.RunSendUnconfirmed]
}

func atoiOr(s string, def int64) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return def
	}
	return n
}
