package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/internal/upstream"
	"github.com/autocred/autocred/store"
)

// syncWorker reads one segment and applies the snapshot to every watching
// automation on it.
type syncWorker struct {
	river.WorkerDefaults[syncArgs]
	e *Engine
}

// Timeout: reading a segment of a million members takes about a hundred
// calls at the account's pace, plus the evaluation; entering a large batch
// takes one call per 100 contacts.
func (w *syncWorker) Timeout(*river.Job[syncArgs]) time.Duration { return 2 * time.Hour }

func (w *syncWorker) Work(ctx context.Context, job *river.Job[syncArgs]) error {
	// The account's share of the workers first (fair.go): a sync that
	// waits for it holds neither a worker nor the segment's lease.
	if !w.e.syncSlots.take(job.Args.ConnectionID) {
		return river.JobSnooze(accountBusySnooze())
	}
	defer w.e.syncSlots.give(job.Args.ConnectionID)
	// While the lease is held, the schedule does not enqueue the segment
	// again (store.ScheduleSyncs).
	ran, err := w.e.withLease(ctx, store.SyncLease(job.Args.ConnectionID, job.Args.SegmentID), func(ctx context.Context) error {
		autos, err := w.e.watching(ctx, job.Args.ConnectionID, job.Args.SegmentID)
		// A sync that started after this one was asked for has answered
		// it already: requests made during a long sync collapse into one.
		if err != nil || syncedSince(autos, job.CreatedAt) {
			return err
		}
		if job.Args.DueAt != 0 {
			w.e.metrics.SyncStartLag.Observe(max(time.Since(time.UnixMilli(job.Args.DueAt)), 0).Seconds())
		}
		defer func(start time.Time) { w.e.metrics.SyncDuration.Observe(time.Since(start).Seconds()) }(time.Now())
		return w.e.syncSegment(ctx, job.Args.ConnectionID, job.Args.SegmentID, autos)
	})
	if !ran && err == nil {
		// Another process, or another job, is reading this segment; it may
		// have read it before the change this sync was asked for. Wait for
		// it to finish, then look again.
		return river.JobSnooze(2 * time.Second)
	}
	return err
}

// watching lists the automations watching a segment: active, or taking
// their baseline.
func (e *Engine) watching(ctx context.Context, connID int64, segmentID string) ([]autocred.Automation, error) {
	return e.store.Automations(ctx, store.AutomationFilter{
		Statuses: []autocred.AutomationStatus{autocred.AutomationBaselining, autocred.AutomationActive}, ConnectionID: connID, SegmentID: segmentID})
}

// syncedSince tells whether every automation watching a segment (autos)
// has had a sync that started after t.
func syncedSince(autos []autocred.Automation, t time.Time) bool {
	for _, a := range autos {
		if a.Status == autocred.AutomationBaselining || !a.LastSyncAt.After(t) {
			return false
		}
	}
	return len(autos) > 0
}

// syncSegment reads one segment once and applies it to each automation
// watching it (autos). Entries are recorded as the read's pages list them
// (pageentries.go); nothing else is changed unless the snapshot is
// complete, and a complete-looking read is applied only once the
// single-contact checks of its absences (and of a baseline's members) bear
// it out.
func (e *Engine) syncSegment(ctx context.Context, connID int64, segmentID string, autos []autocred.Automation) error {
	if len(autos) == 0 {
		return nil
	}
	// An automation whose group is gone is paused, and not synced: it
	// could issue nothing (group.go).
	if autos = e.checkGroups(ctx, autos); len(autos) == 0 {
		return nil
	}
	ac, err := e.clients.ActiveCampaign(ctx, e.store, connID)
	if err != nil {
		return err
	}
	started := time.Now()
	hinted, err := e.hintedConnections(ctx)
	if err != nil {
		return err
	}
	// The account's budget may not allow reading all its segments at
	// their interval: then they are read less often (budget.go).
	watched, err := e.watchedSegments(ctx, connID)
	if err != nil {
		return err
	}
	every, load := e.segmentInterval(autos, hinted), e.reads.load(connID, started, watched)
	var requests atomic.Int64
	// Entries found by polling may show a silent webhook (silence.go).
	noted := func(cs []activecampaign.Contact) { e.noteEntries(ctx, connID, cs) }
	pages := e.entriesByPage(ac, autos, started, noted)
	snap, err := e.readSegment(upstream.WithRequestCount(ctx, &requests), ac, segmentID, e.baselineProgress(ctx, autos), pages.listed(ctx))
	early, ledgers := pages.done()
	if err != nil {
		return e.watchFailed(ctx, connID, autos, readFailedAfter(err, early))
	}
	if err := e.tellHowRead(ctx, autos, snap.Via, budgetNotice(load, every)); err != nil {
		return e.watchFailed(ctx, connID, autos, err)
	}
	e.reads.note(connID, segmentID, readCost{requests: int(requests.Load()), every: every, next: stretched(every, load.stretch()), at: started})
	ids := sortedMembers(&snap)

	// A read can be wrong even when it says it is complete: its absences
	// count only once single-contact checks bear them out (absences.go).
	diff, err := e.diffLedgers(ctx, autos, ids, ledgers)
	if err != nil {
		return err
	}
	verdict, err := e.trustAbsences(ctx, ac, segmentID, diff, snap.Unconfirmed)
	if err != nil {
		return e.watchFailed(ctx, connID, autos, err)
	}
	if verdict.wrong {
		return e.syncHeldBack(ctx, connID, segmentID, autos, started, heldBack{listed: len(ids), known: diff.known, early: early, v: verdict})
	}
	base := baseline{ids: ids, unconfirmed: snap.Unconfirmed}
	if slices.ContainsFunc(autos, func(a autocred.Automation) bool { return a.Status == autocred.AutomationBaselining }) {
		if base, err = e.checkBaseline(ctx, ac, autos, segmentID, base); err != nil {
			return e.watchFailed(ctx, connID, autos, err)
		}
		if base.missed != 0 && e.holdBaseline(autos) {
			return e.baselineHeldBack(ctx, connID, segmentID, autos, started, len(base.ids), base.missed)
		}
	}
	read, err := e.applyRead(ctx, ac, autos, base, diff, verdict, snap.Unconfirmed)
	if err != nil {
		return err
	}
	if err := e.enter(ctx, ac, autos, read.entered, started, noted); err != nil {
		return e.watchFailed(ctx, connID, autos, &entriesFailed{err})
	}
	return e.syncDone(ctx, connID, segmentID, autos, started, len(ids), hinted, load.stretch(), read)
}

// entriesFailed is a failure to record entries, from a page of a read or
// after a read was applied: unlike a failed read, it may have changed
// something already.
type entriesFailed struct{ err error }

func (e *entriesFailed) Error() string { return e.err.Error() }
func (e *entriesFailed) Unwrap() error { return e.err }

// enteredEarly is a read that failed after its pages' entries were
// recorded: those stand (a contact a run listed was in the segment), and
// nothing else of the read was applied.
type enteredEarly struct {
	entries int
	err     error
}

func (e *enteredEarly) Error() string { return e.err.Error() }
func (e *enteredEarly) Unwrap() error { return e.err }

// readFailedAfter says, on a failed read, how many entries its pages had
// recorded, if any.
func readFailedAfter(err error, early int) error {
	var failed *entriesFailed
	if early == 0 || errors.As(err, &failed) {
		return err
	}
	return &enteredEarly{entries: early, err: err}
}

// sortedMembers takes a snapshot's member ids, ascending: the snapshot
// no longer holds them (a million members).
func sortedMembers(snap *activecampaign.Snapshot) []autocred.ContactID {
	ids := snap.IDs
	snap.IDs = nil
	return autocred.SortIDs(ids)
}

// trustAbsences decides whether a read can be trusted to say who left: its
// verdict is wrong when single-contact checks of the members it left out
// show it is not (absences.go). A read that leaves nobody out has nothing
// to check, and an unconfirmed one (an empty contacts?segmentid answer)
// marks nobody as left anyway: neither is checked.
func (e *Engine) trustAbsences(ctx context.Context, ac *activecampaign.Client, segmentID string, diff ledgerDiff, unconfirmed bool) (absenceVerdict, error) {
	if len(diff.missing) == 0 || unconfirmed {
		return absenceVerdict{}, nil
	}
	verdict, err := e.askAboutMissing(ctx, ac, segmentID, diff)
	if err == nil && !verdict.wrong && verdict.unconfirmable {
		// Said on the automation by the read's notice (Via.Refused).
		e.log.Warn("members missing from a segment read cannot be checked one by one: nobody is marked as left", "segment", segmentID)
	}
	return verdict, err
}

// baseline is what a sync records for the automations taking their
// baseline: the members (of both reads, see readBaselineAgain), whether
// the reads were unconfirmed, and a member the reads left out that a
// single-contact check found in (0: none found).
type baseline struct {
	ids         []autocred.ContactID
	unconfirmed bool
	missed      autocred.ContactID
}

// checkBaseline reads the segment a second time for a baseline and checks
// the union against single-contact answers.
func (e *Engine) checkBaseline(ctx context.Context, ac *activecampaign.Client, autos []autocred.Automation, segmentID string, first baseline) (baseline, error) {
	ids, unconfirmed, err := e.readBaselineAgain(ctx, ac, autos, segmentID, first.ids, first.unconfirmed)
	if err != nil {
		return first, err
	}
	missed, err := e.baselineLeavesOut(ctx, ac, segmentID, ids)
	if err != nil {
		return first, err
	}
	return baseline{ids: ids, unconfirmed: unconfirmed, missed: missed}, nil
}

// appliedRead is what a verified read changes on the active automations:
// who entered (recorded by enter), and the absences (recorded with the
// sync's end, syncDone) of those it counts as a complete snapshot of.
type appliedRead struct {
	entered  map[int64][]autocred.ContactID // automation → contacts that entered
	absences map[int64]store.SyncEnd        // automation → its absences, Applied
}

// applyRead records a verified read on each automation taking its
// baseline, and returns what it changes on the active ones: entries and
// absences.
func (e *Engine) applyRead(ctx context.Context, ac *activecampaign.Client, autos []autocred.Automation, base baseline, diff ledgerDiff, verdict absenceVerdict,
	unconfirmed bool) (appliedRead, error) {
	read := appliedRead{entered: map[int64][]autocred.ContactID{}, absences: map[int64]store.SyncEnd{}}
	for _, a := range autos {
		switch a.Status {
		case autocred.AutomationBaselining:
			if err := e.recordBaseline(ctx, ac, a, base.ids, base.unconfirmed); err != nil {
				return read, err
			}
		case autocred.AutomationActive:
			if !unconfirmed {
				// An empty legacy answer may be an evaluation still
				// running: it proves nobody left, and is no snapshot.
				left, missing := verdict.leftAndAbsent(diff.leavers[a.ID], diff.missing[a.ID])
				read.absences[a.ID] = store.SyncEnd{AutomationID: a.ID, Applied: true, Left: left, Missing: missing}
			}
			if ent := diff.entered[a.ID]; len(ent) > 0 {
				read.entered[a.ID] = ent
			}
		}
	}
	return read, nil
}

// syncDone records a sync that applied its read, with its absences, and
// when each automation's next one is due: an interval after this one
// started, so a segment is read at its interval however long a read takes;
// stretch times it when the account's budget cannot read its segments that
// often (budget.go).
func (e *Engine) syncDone(ctx context.Context, connID int64, segmentID string, autos []autocred.Automation, started time.Time, members int,
	hinted map[int64]bool, stretch float64, read appliedRead) error {
	ends := make([]store.SyncEnd, len(autos))
	for i, a := range autos {
		ends[i] = read.absences[a.ID]
		ends[i].AutomationID, ends[i].Next = a.ID, started.Add(stretched(e.interval(a, hinted), stretch))
	}
	if err := e.recordSyncs(ctx, connID, segmentID, started, "", ends); err != nil {
		return err
	}
	e.metrics.Syncs.WithLabelValues("ok").Inc()
	e.log.Info("segment synced", "connection", connID, "segment", segmentID, "members", members,
		"automations", len(autos), "took", time.Since(started).Round(time.Millisecond))
	return nil
}

// recordSyncs records the end of a sync on its automations (store.RecordSyncs)
// and gives up the sync's lease with it when ctx's work holds it: the last
// write of a sync is one commit. syncErr is "" for a sync that worked.
func (e *Engine) recordSyncs(ctx context.Context, connID int64, segmentID string, at time.Time, syncErr string, ends []store.SyncEnd) error {
	var release *store.Lease
	held := leaseOf(ctx)
	if held != nil && held.key == store.SyncLease(connID, segmentID) {
		release = &store.Lease{Key: held.key, Holder: held.holder}
	}
	left, err := e.store.RecordSyncs(context.WithoutCancel(ctx), at, syncErr, ends, release)
	if err != nil {
		return err
	}
	if release != nil {
		held.released.Store(true)
	}
	for _, out := range left {
		e.metrics.Exits.Add(float64(len(out)))
	}
	return nil
}

// watchFailed records, on the automations watching a segment, why
// watching it failed this time: a sync's snapshot, its checks or the
// writing of its entries, or a hint's single-contact check refused for the
// key (hintFailed). A refused key (401) breaks the
// connection (and so stops its automations) instead of being retried; a
// missing permission (403) is said on the automations and left to the next
// periodic sync.
func (e *Engine) watchFailed(ctx context.Context, connID int64, autos []autocred.Automation, err error) error {
	if ctx.Err() != nil {
		return ctx.Err() // shutting down, or the lease was lost: not a failure of the segment
	}
	result := "error"
	switch {
	case errors.Is(err, activecampaign.ErrIncomplete):
		result = "incomplete"
	case errors.Is(err, activecampaign.ErrForbidden):
		result = "forbidden"
	}
	e.metrics.Syncs.WithLabelValues(result).Inc()
	raw := err.Error()
	msg, unchanged := failedSyncMessage(err)
	if words, ok := store.DescribeError(err); ok {
		// The database's own text (SQLSTATE 22021, "disk image is
		// malformed") says nothing a user can act on: words on the
		// automation, the text in the log below.
		msg = words
	}
	if denied := activecampaign.PermissionDenied(err); denied != "" {
		// The key works but its user lacks a permission: the connection
		// stays, and the next periodic sync is the retry (the permission
		// may be granted at any time).
		msg = denied + " " + unchanged + "; autocred tries again at every sync."
		err = nil
	}
	if errors.Is(err, activecampaign.ErrAuth) {
		reason := autocred.KeyRefused(autocred.AppActiveCampaign, "resume its automations") // the log below has ActiveCampaign's answer
		if serr := e.store.SetConnectionStatus(ctx, connID, autocred.ConnectionBroken, reason); serr != nil {
			return serr
		}
		msg = reason
		err = nil // nothing to retry until a user fixes the key
	}
	// The next periodic sync is the retry: a fresh snapshot, at the
	// automation's own or the service's poll interval (not the longer
	// hinted one: a segment that cannot be read is worth trying again).
	now := time.Now()
	if rerr := e.recordSyncs(ctx, connID, autos[0].Trigger.SegmentID, now, msg, nextSyncs(autos, now, func(a autocred.Automation) time.Duration {
		return e.interval(a, nil)
	})); rerr != nil {
		return rerr
	}
	e.log.Warn("segment sync failed", "connection", connID, "segment", autos[0].Trigger.SegmentID, "shown", msg, "err", raw)
	return err
}

// failedSyncMessage says on the automations why a sync failed, and what
// of it was changed all the same (a sentence, to follow other words).
func failedSyncMessage(err error) (msg, unchanged string) {
	raw := err.Error()
	var partly *entriesFailed
	var early *enteredEarly
	switch {
	case errors.As(err, &partly):
		// Entries not yet recorded are still out in the ledger, so the
		// next read finds them again.
		return "Recording the contacts who entered failed; those not recorded are found again by the next sync: " + raw,
			"Contacts who entered and are not recorded yet are found again by the next sync"
	case errors.As(err, &early):
		// A contact a run listed was in the segment, whatever its later
		// pages do (pageentries.go).
		unchanged = fmt.Sprintf("Nobody was marked as left; the only change is %s %s recorded for contacts listed on the pages read before it failed",
			autocred.Thousands(early.entries), plural(early.entries, "entry", "entries"))
		return "Reading the segment failed. " + unchanged + ", and the next sync reads it again: " + raw, unchanged
	}
	if why, ok := activeCampaignOutage(err); ok {
		// Nothing to fix: said calmly, as a Certifier outage is
		// (autocred.Automation.SyncOutage); the log has raw.
		return autocred.SyncOutagePrefix + " (" + why + "): the segment could not be read. Nothing was changed; autocred reads it again at the next sync, by itself.",
			"Nothing was changed"
	}
	return "Reading the segment failed; nothing was changed and the next sync tries again: " + raw, "Nothing was changed"
}

// activeCampaignOutage tells whether err is ActiveCampaign unreachable or
// failing on its end (no answer, a 5xx, or still asking to slow down after
// the waits), and why in words.
func activeCampaignOutage(err error) (why string, ok bool) {
	var (
		netErr *upstream.NetworkError
		thr    *upstream.ThrottledError
		acErr  *activecampaign.Error
	)
	switch {
	case errors.As(err, &netErr) && netErr.System == "activecampaign":
		return upstream.DescribeNetwork(netErr.Err), true
	case errors.As(err, &thr) && thr.System == "activecampaign":
		return "it kept asking autocred to slow down", true
	case errors.As(err, &acErr) && acErr.Status >= 500:
		return "it answered with a server error, " + upstream.StatusText(acErr.Status), true
	}
	return "", false
}

// baselineProgress reports snapshot progress on the automations that are
// taking their baseline, at most twice a second.
func (e *Engine) baselineProgress(ctx context.Context, autos []autocred.Automation) activecampaign.ReportRead {
	var baselining []int64
	for _, a := range autos {
		if a.Status == autocred.AutomationBaselining {
			baselining = append(baselining, a.ID)
		}
	}
	if len(baselining) == 0 {
		return nil
	}
	var mu sync.Mutex
	var last time.Time
	return func(read, total int) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < 500*time.Millisecond && read < total {
			return
		}
		last = time.Now()
		for _, id := range baselining {
			_ = e.store.SetBaselineProgress(ctx, id, autocred.Progress{Done: read, Total: total})
		}
	}
}

// readBaselineAgain reads a segment a second time for a baseline, which is
// the members of either read. A wrong read at activation (an answer that
// says ready with an empty or short member list) would otherwise make
// every member it left out a new entry at the next sync, each issued a
// credential although they were there before (R5); with no ledger yet,
// nobody can be checked one by one, so a second read stands in for the
// checks. A member who entered between the two reads, seconds after
// activation, counts as already in. Both reads empty and unconfirmed (an
// evaluation of contacts?segmentid still running) stay unconfirmed.
func (e *Engine) readBaselineAgain(ctx context.Context, ac *activecampaign.Client, autos []autocred.Automation, segmentID string,
	ids []autocred.ContactID, unconfirmed bool) ([]autocred.ContactID, bool, error) {
	again, err := e.readSegment(ctx, ac, segmentID, nil, nil)
	if err != nil {
		return nil, false, fmt.Errorf("reading the segment again for the baseline: %w", err)
	}
	all := autocred.SortIDs(append(slices.Clone(ids), again.IDs...))
	if len(all) > len(ids) {
		e.log.Warn("the second baseline read found members the first left out", "segment", segmentID,
			"first", len(ids), "second", len(again.IDs), "baseline", len(all))
	}
	return all, unconfirmed && again.Unconfirmed, nil
}

// baselineSample is how many of the account's newest contacts outside a
// baseline are checked one by one before it is recorded.
const baselineSample = 10

// baselineLeavesOut checks a baseline against single-contact answers: up
// to baselineSample of the account's newest contacts that it leaves out are
// asked about one by one, and the first still in the segment is returned
// (0: none). Two wrong reads in a row at activation would otherwise make
// everyone they left out an entry at the next sync. The sample finds
// members only where the segment is a fair share of the newest contacts;
// that is the case it guards. Cost: 1 + up to baselineSample calls, at
// activation only.
func (e *Engine) baselineLeavesOut(ctx context.Context, ac *activecampaign.Client, segmentID string, baseline []autocred.ContactID) (autocred.ContactID, error) {
	newest, err := ac.NewestContactIDs(ctx, 100)
	if err != nil {
		return 0, fmt.Errorf("reading contacts to check the baseline: %w", err)
	}
	var outside []autocred.ContactID
	for _, id := range newest {
		if _, in := slices.BinarySearch(baseline, id); !in {
			outside = append(outside, id)
		}
	}
	rand.Shuffle(len(outside), func(i, j int) { outside[i], outside[j] = outside[j], outside[i] })
	for _, id := range outside[:min(len(outside), baselineSample)] {
		in, err := ac.IsMember(ctx, segmentID, id)
		if errors.Is(err, activecampaign.ErrMatchUnavailable) {
			return 0, nil // nothing to check with: the two reads stand
		}
		if err != nil {
			return 0, fmt.Errorf("checking the baseline: %w", err)
		}
		if in {
			return id, nil
		}
	}
	return 0, nil
}

// maxHeldBaselines bounds how many baselines in a row a process holds back
// for one automation: should a single-contact check keep disagreeing with
// every read for a reason of ActiveCampaign's own, the automation still
// starts (with the union of its two reads) instead of never.
const maxHeldBaselines = 5

// holdBaseline counts a baseline about to be held back, and tells whether
// it still may be.
func (e *Engine) holdBaseline(autos []autocred.Automation) bool {
	e.heldBaselines.Lock()
	defer e.heldBaselines.Unlock()
	if e.heldBaselines.n == nil {
		e.heldBaselines.n = map[int64]int{}
	}
	hold := false
	for _, a := range autos {
		if a.Status == autocred.AutomationBaselining {
			e.heldBaselines.n[a.ID]++
			if e.heldBaselines.n[a.ID] <= maxHeldBaselines {
				hold = true
			} else {
				delete(e.heldBaselines.n, a.ID)
			}
		}
	}
	return hold
}

// baselineHeldBack records a baseline that a single-contact check showed
// to be short: the automations stay baselining and say why, and the next
// sync takes the baseline again.
func (e *Engine) baselineHeldBack(ctx context.Context, connID int64, segmentID string, autos []autocred.Automation,
	started time.Time, listed int, missed autocred.ContactID) error {
	e.metrics.Syncs.WithLabelValues("held_back").Inc()
	msg := fmt.Sprintf("ActiveCampaign's answer for this segment looked wrong: it listed %s members, but contact %d, which it left out, "+
		"is in the segment when asked about alone. The baseline was not taken (nobody is issued anything); autocred reads the segment "+
		"again at the next sync.", autocred.Thousands(listed), missed)
	var baselining []autocred.Automation
	for _, a := range autos {
		if a.Status == autocred.AutomationBaselining {
			baselining = append(baselining, a)
		}
	}
	if err := e.recordSyncs(ctx, connID, segmentID, started, msg, nextSyncs(baselining, started, func(a autocred.Automation) time.Duration {
		return e.interval(a, nil)
	})); err != nil {
		return err
	}
	e.log.Warn("baseline held back: a contact it left out is in the segment", "connection", connID, "segment", segmentID,
		"listed", listed, "contact", missed)
	return nil
}

// recordBaseline records the snapshot's members as in, with no runs (rule
// R5), and starts watching. A new baseline taken when a user resumed with
// Start fresh also gives a skipped run to each contact who entered while
// the automation was stopped (store.RecordBaseline), with their names and
// emails read first (pausedContacts) so that the runs can be searched by
// them.
func (e *Engine) recordBaseline(ctx context.Context, ac *activecampaign.Client, a autocred.Automation, ids []autocred.ContactID, unconfirmed bool) error {
	contacts, err := e.pausedContacts(ctx, ac, a, ids)
	if err != nil {
		return err
	}
	err = e.store.RecordBaseline(ctx, a.ID, ids, time.Now(), unconfirmed, contacts)
	if autocred.ErrorCode(err) == autocred.ECONFLICT {
		return nil // paused meanwhile: its baseline is taken again on resume
	}
	if err != nil {
		return err
	}
	e.heldBaselines.Lock()
	delete(e.heldBaselines.n, a.ID)
	e.heldBaselines.Unlock()
	e.log.Info("baseline recorded", "automation", a.ID, "members", len(ids))
	return nil
}

// pausedContacts reads the details of the contacts who entered while the
// automation was stopped (store.PausedEntrants), none when it takes its
// first baseline. Their runs are skipped, never issued by themselves, so
// the details serve only to find them: when they cannot be read, the runs
// are recorded with the contact ids alone (the issue job of a retry reads
// the contact anyway) rather than hold back the baseline.
func (e *Engine) pausedContacts(ctx context.Context, ac *activecampaign.Client, a autocred.Automation, ids []autocred.ContactID) (map[autocred.ContactID]autocred.Contact, error) {
	entrants, err := e.store.PausedEntrants(ctx, a.ID, ids)
	if err != nil || len(entrants) == 0 {
		return nil, err
	}
	details, err := ac.Contacts(ctx, entrants)
	if err != nil {
		e.log.Warn("could not read the contacts who entered while the automation was stopped; their runs have ids only", "automation", a.ID,
			"contacts", len(entrants), "error", err)
		return nil, nil
	}
	contacts := make(map[autocred.ContactID]autocred.Contact, len(details))
	for id, c := range details {
		contacts[id] = autocred.Contact{ID: c.ID, Email: strings.TrimSpace(c.Email), FirstName: c.FirstName, LastName: c.LastName, Phone: c.Phone}
	}
	return contacts, nil
}

// nextSyncs are the ends of a sync that applied no read: each
// automation's next sync an interval after at.
func nextSyncs(autos []autocred.Automation, at time.Time, interval func(autocred.Automation) time.Duration) []store.SyncEnd {
	ends := make([]store.SyncEnd, len(autos))
	for i, a := range autos {
		ends[i] = store.SyncEnd{AutomationID: a.ID, Next: at.Add(interval(a))}
	}
	return ends
}

// heldBack is what a read held back showed: how many members it listed,
// how many the ledger has in, the entries its pages recorded before it was
// found wrong, and the checks' verdict.
type heldBack struct {
	listed, known, early int
	v                    absenceVerdict
}

// syncHeldBack records a read that the single-contact checks showed to be
// wrong: nothing of it was applied but the entries its pages listed, and
// the automations say why until the next sync, which comes at the
// unhinted interval.
func (e *Engine) syncHeldBack(ctx context.Context, connID int64, segmentID string, autos []autocred.Automation,
	started time.Time, h heldBack) error {
	e.metrics.Syncs.WithLabelValues("held_back").Inc()
	msg := heldBackMessage(h)
	if err := e.recordSyncs(ctx, connID, segmentID, started, msg, nextSyncs(autos, started, func(a autocred.Automation) time.Duration {
		return e.interval(a, nil)
	})); err != nil {
		return err
	}
	e.log.Warn("segment read held back: single-contact checks contradict it", "connection", connID, "segment", segmentID,
		"listed", h.listed, "known", h.known, "checked", h.v.checked, "still_in", h.v.in, "entered_from_pages", h.early)
	return nil
}

// enter records new entries, 100 contacts at a time: one call for their
// details, then one transaction (store.RecordEntries) that marks them in,
// inserts their runs (with the custom field values a scan read for the
// batch, readBatchFields) and enqueues their issue jobs. A crash between chunks
// loses nothing: the contacts not yet entered are still out in the ledger,
// so the next sync finds them again. seenAt is when the answer that found
// them began (a sync's start, a hint's check): a contact marked as left
// since is no entry of that answer's (store.RecordEntries). onEntered, when
// not nil, gets the details of each chunk's contacts that entered, once
// the chunk is committed (a contact entering several automations comes
// once per automation).
func (e *Engine) enter(ctx context.Context, ac *activecampaign.Client, autos []autocred.Automation, entered map[int64][]autocred.ContactID,
	seenAt time.Time, onEntered func([]activecampaign.Contact)) error {
	var all []autocred.ContactID
	for _, ids := range entered {
		all = append(all, ids...)
	}
	all = autocred.SortIDs(all)
	// The custom fields the mappings use, scanned for the whole batch
	// when that is cheaper than a read per contact (fieldscan.go).
	fields, err := e.readBatchFields(ctx, ac, autos, entered)
	if err != nil {
		return err
	}
	const chunk = 100
	batch := len(all) > store.BatchRuns
	for start := 0; start < len(all); start += chunk {
		part := all[start:min(start+chunk, len(all))]
		readAt := time.Now()
		details, err := ac.Contacts(ctx, part)
		if err != nil {
			return fmt.Errorf("reading details of entering contacts: %w", err)
		}
		would := newRuns(autos, entered, part, details)
		fields.fill(would)
		runs, err := e.store.RecordEntries(ctx, would, seenAt, readAt, batch)
		if err != nil {
			return err
		}
		e.metrics.Entries.Add(float64(len(runs)))
		if onEntered != nil && len(runs) > 0 {
			newly := make([]activecampaign.Contact, len(runs))
			for i, r := range runs {
				newly[i] = details[r.ContactID]
			}
			onEntered(newly)
		}
	}
	return nil
}

// newRuns makes the would-be runs of one chunk of entering contacts (part,
// sorted), automation by automation, from their details. A contact without
// details was deleted since the snapshot: not an entry.
func newRuns(autos []autocred.Automation, entered map[int64][]autocred.ContactID, part []autocred.ContactID, details map[autocred.ContactID]activecampaign.Contact) []autocred.Run {
	lo, hi := part[0], part[len(part)-1]
	var runs []autocred.Run
	for _, a := range autos {
		ids := entered[a.ID]
		from, _ := slices.BinarySearch(ids, lo)
		for _, id := range ids[from:] {
			if id > hi {
				break
			}
			c, ok := details[id]
			if !ok {
				continue
			}
			runs = append(runs, autocred.Run{AutomationID: a.ID, ContactID: id, Email: strings.TrimSpace(c.Email),
				Contact: autocred.Contact{ID: c.ID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Phone: c.Phone}})
		}
	}
	return runs
}
