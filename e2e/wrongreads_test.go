package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// Wrong reads (issue 10, point 1). ActiveCampaign can answer a segment read
// with "ready" and a member list that is empty or short, every number in the
// answer agreeing with the short list. Such a read, for any number of reads
// in a row, issues nothing and marks nobody as left: the members it leaves
// out are checked one by one, the checks say they are still in, and the
// read is held back, visibly. A genuine departure of everyone is still
// recognised, so that their later re-entry is issued (R2).
func TestWrongReadsChangeNothing(t *testing.T) {
	t.Parallel()
	// The segment is read through segment matching, or through
	// contacts?segmentid when segment-match runs keep failing (single-contact
	// checks still answer) or when segment matching refuses the segment
	// (they do not: no absence can be confirmed, and none counts).
	legacy := simac.LegacyReading{ForcedQuery: simac.ForcedQueryReturnsMembers, AudienceIDs: true}
	for _, tc := range []struct {
		name      string
		keep      float64 // the share of members the wrong reads list
		ac        simac.Options
		checked   bool // single-contact checks answer: wrong reads are held back
		departure bool // then a genuine departure of everyone, and re-entry
	}{
		{"empty", 0, simac.Options{}, true, true},
		{"half", 0.5, simac.Options{}, true, true},
		{"half, through contacts?segmentid", 0.5, simac.Options{LegacyReading: legacy, SegmentMatch: simac.SegmentMatchAvailability{RunsFail: true}}, true, false},
		{"three fifths, segment matching refused", 0.6, simac.Options{LegacyReading: legacy, SegmentMatch: simac.SegmentMatchAvailability{Refuse: simac.MatchRefusesAll}}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{ac: tc.ac})
			acConn, certConn := w.connect()
			var in []simac.ContactInput
			for i := range 20 {
				in = append(in, contact("Base", fmt.Sprint("Line", i)))
			}
			ids := w.importContacts(in...)
			w.tag("Completed", ids...)
			a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
			get := func() automation {
				cur := w.automationNow(a.ID)
				return cur
			}

			heldBefore := w.syncsDone("held_back")
			for _, reads := range []int{1, 2, 5} {
				before := w.syncsDone()
				must(t, w.ac.ShortenNextMatchRuns(acAccount, reads, tc.keep))
				// One more than reads: a sync under way when the reads went
				// wrong may have read the segment before.
				w.waitFor(fmt.Sprintf("%d wrong reads", reads), time.Minute, func() bool { return w.syncsDone() >= before+int64(reads)+1 })
				// Said on the automation while it lasts (the next good read
				// clears it, so it may already be gone: look once, before).
				if msg := get().LastSyncError; msg != "" && !strings.Contains(msg, "looked wrong") {
					t.Errorf("the automation says %q after a wrong read", msg)
				}
			}
			w.settle(a.ID)
			if held := w.syncsDone("held_back") - heldBefore; tc.checked && held != 1+2+5 {
				t.Errorf("%d reads counted as held back (autocred_syncs_total{result=\"held_back\"}), want 8", held)
			}
			if notice := get().SyncNotice; !tc.checked && !strings.Contains(notice, "marks nobody as left") {
				t.Errorf("the automation's notice is %q; want it to say that nobody can be marked as left", notice)
			}
			if runs := w.runs(a.ID, ""); len(runs) != 0 {
				t.Fatalf("%d runs after wrong reads of a baseline that never changed, want 0", len(runs))
			}
			if n := len(w.cert.Credentials(workspace)); n != 0 {
				t.Fatalf("%d credentials after wrong reads, want 0", n)
			}
			if exits := w.metricValue("autocred_exits_total"); exits != 0 {
				t.Fatalf("%v contacts marked as left after wrong reads, want 0", exits)
			}
			if msg := get().LastSyncError; msg != "" {
				t.Errorf("after good reads the automation still says %q", msg)
			}

			if !tc.departure {
				// An empty answer of contacts?segmentid is never taken as
				// "everyone left" (it is also what an evaluation still
				// running answers): see docs/reliability.md.
				return
			}
			// A genuine departure of everyone (the tag removed from all) is
			// recognised within two reads, and the re-entry is issued.
			w.untag("Completed", ids...)
			w.waitFor("everyone marked as left", time.Minute, func() bool { return w.metricValue("autocred_exits_total") == 20 })
			w.tag("Completed", ids...)
			w.waitFor("20 credentials for the re-entries", time.Minute, func() bool { return len(w.cert.Credentials(workspace)) == 20 })
			w.settle(a.ID)
			if n := len(w.cert.Credentials(workspace)); n != 20 {
				t.Fatalf("%d credentials after everyone re-entered once, want 20", n)
			}
		})
	}
}

// metricValue sums the values of one autocred metric across its labels.
func (w *world) metricValue(name string) float64 {
	var sum float64
	for l := range strings.SplitSeq(w.metric(name), "; ") {
		if f := strings.Fields(l); len(f) == 2 {
			v, _ := strconv.ParseFloat(f[1], 64)
			sum += v
		}
	}
	return sum
}

// Wrong reads at activation. The baseline is read twice and is the members
// of either read, so one wrong read is covered; and a few of the account's
// newest contacts that the baseline leaves out are checked one by one, so
// that two or more wrong reads in a row hold the baseline back instead of
// making everyone they left out a new entry at the next sync (R5).
func TestWrongReadAtActivationIssuesNothing(t *testing.T) {
	t.Parallel()
	for _, reads := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d wrong reads", reads), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{})
			acConn, certConn := w.connect()
			var in []simac.ContactInput
			for i := range 20 {
				in = append(in, contact("Early", fmt.Sprint("Bird", i)))
			}
			ids := w.importContacts(in...)
			w.tag("Completed", ids...)
			w.importContacts(contact("Not", "Member"))
			must(t, w.ac.ShortenNextMatchRuns(acAccount, reads, 0))
			a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
			if a.Baseline.Total != 20 {
				t.Errorf("the baseline has %d members, want 20", a.Baseline.Total)
			}
			w.settle(a.ID)
			if runs := w.runs(a.ID, ""); len(runs) != 0 {
				t.Fatalf("%d runs for members who were there at activation, want 0 (R5)", len(runs))
			}
			// A newcomer after activation is still an entry.
			late := w.importContacts(contact("Late", "Comer"))
			w.tag("Completed", late...)
			w.waitFor("the newcomer's credential", time.Minute, func() bool { return len(w.cert.Credentials(workspace)) == 1 })
		})
	}
}
