package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// pageGate sits in front of the ActiveCampaign sandbox and acts on the
// pages after the first of segment-match runs (segmentMatchSome): it can
// hold them until released, or answer them as pages of another result.
type pageGate struct {
	mu      sync.Mutex
	hold    chan struct{} // closed to release; nil: not holding
	wrong   bool
	waiting atomic.Int32
}

func (g *pageGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/segmentMatchSome/") {
			next.ServeHTTP(w, r)
			return
		}
		g.mu.Lock()
		hold, wrong := g.hold, g.wrong
		g.mu.Unlock()
		if hold != nil {
			g.waiting.Add(1)
			select {
			case <-hold:
			case <-r.Context().Done():
			}
			g.waiting.Add(-1)
		}
		if !wrong {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(anotherResult(rec.Body.Bytes()))
	})
}

var totalRe = regexp.MustCompile(`"total":(\d+)`)

// anotherResult makes a page look as if it came from another evaluation:
// its total is one more.
func anotherResult(body []byte) []byte {
	return totalRe.ReplaceAllFunc(body, func(m []byte) []byte {
		n, _ := strconv.Atoi(string(totalRe.FindSubmatch(m)[1]))
		return []byte(`"total":` + strconv.Itoa(n+1))
	})
}

func (g *pageGate) holdPages() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hold = make(chan struct{})
}

func (g *pageGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hold != nil {
		close(g.hold)
		g.hold = nil
	}
}

func (g *pageGate) answerWrong(on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.wrong = on
}

// syncNow asks for a sync of an automation's segment and waits until one
// that started after the call has been recorded.
func (h *harness) syncNow(a autocred.Automation) autocred.Automation {
	h.t.Helper()
	ctx := context.Background()
	since := time.Now()
	if err := h.store.EnqueueSyncs(ctx, a.Trigger); err != nil {
		h.t.Fatal(err)
	}
	var now autocred.Automation
	h.waitFor("a sync of "+a.Name, func() bool {
		now, _ = h.store.Automation(ctx, a.ID)
		return now.LastSyncAt.After(since)
	})
	return now
}

// settleNow is settle for an engine that syncs only when asked (a poll
// interval of an hour): two syncs are asked for.
func (h *harness) settleNow(a autocred.Automation) {
	h.t.Helper()
	pending := func() bool { return len(h.runs(a.ID)[autocred.RunPending]) == 0 }
	h.waitFor("runs to finish", pending)
	h.syncNow(a)
	h.syncNow(a)
	h.waitFor("runs to finish", pending)
}

// members imports n contacts tagged tag (named prefix0, prefix1…).
func (h *harness) members(n int, prefix, tag string) []int64 {
	h.t.Helper()
	in := make([]simac.ContactInput, n)
	for i := range in {
		in[i] = simac.ContactInput{Email: fmt.Sprintf("%s%d@example.com", prefix, i), FirstName: prefix, LastName: strconv.Itoa(i)}
		if tag != "" {
			in[i].Tags = []string{tag}
		}
	}
	return h.importContacts(in...)
}

// A batch entering a segment of more than one page is issued while the
// rest of the segment is still being read: the entrants are on the run's
// first page (the most recently updated first), and a contact a run lists
// is in the segment, so their entries are taken from that page. A second
// automation on the same segment, taking its baseline in that very read,
// takes nothing early: the entrants are in its baseline, and it issues
// nothing. Before entries were taken page by page, no credential could
// come while the second page was held.
func TestBatchIsIssuedBeforeTheSegmentReadEnds(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		gate := &pageGate{}
		h := newHarness(t, testenv.Options{Database: kind, PollInterval: time.Hour, WrapAC: gate.wrap})
		seg := h.segment("Done", "Done")
		h.members(10_000, "member", "Done") // with the entrants, two pages
		entrants := h.members(5, "entrant", "")
		a := h.automation(seg, nil)
		second, err := h.cert.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Second"})
		if err != nil {
			t.Fatal(err)
		}

		gate.holdPages()
		h.tag("Done", entrants...)
		// Activating the second automation asks for the sync that reads
		// the entrants, with the first taking entries and the second its
		// baseline.
		b := h.draft(seg, func(x *autocred.Automation) { x.Name, x.Action.GroupID = "Second", second.ID })
		if err := h.store.ActivateAutomation(context.Background(), b.ID); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for len(h.cert.Credentials(testenv.CertWorkspace)) < len(entrants) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		issued, held := len(h.cert.Credentials(testenv.CertWorkspace)), gate.waiting.Load()
		gate.release()
		if issued < len(entrants) || held == 0 {
			t.Fatalf("%d of %d credentials issued while the read's second page was held (%d requests held), want all of them before the read ends",
				issued, len(entrants), held)
		}

		h.waitFor("the second automation's baseline", func() bool {
			got, _ := h.store.Automation(context.Background(), b.ID)
			return got.Status == autocred.AutomationActive
		})
		h.settleNow(a)
		for i := range entrants {
			if n := h.credentialsFor(fmt.Sprintf("entrant%d@example.com", i)); n != 1 {
				t.Errorf("entrant %d has %d credentials, want 1", i, n)
			}
		}
		if n := len(h.cert.Credentials(testenv.CertWorkspace)); n != len(entrants) {
			t.Errorf("%d credentials in all, want %d (none for the members, none from the automation taking its baseline)", n, len(entrants))
		}
		if runs := h.runs(b.ID); len(runs) != 0 {
			t.Errorf("the automation that took its baseline in that read has runs: %v", runs)
		}
	})
}

// A read that fails after its first page keeps the entries that page
// listed, and only those: nobody leaves, the automation says what was
// recorded, and the next read finds the entrants of the later page, each
// once. Crashing mid-read leaves the same state (what was recorded is
// recorded, the rest is out in the ledger), which e2e R9 plays with real
// kills.
func TestReadFailingAfterItsFirstPageKeepsItsEntries(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		gate := &pageGate{}
		h := newHarness(t, testenv.Options{Database: kind, PollInterval: time.Hour, WrapAC: gate.wrap})
		seg := h.segment("Done", "Done")
		members := h.members(10_000, "member", "Done")
		late := h.members(5, "late", "")   // on the second page
		early := h.members(5, "early", "") // on the first
		a := h.automation(seg, nil)

		h.tag("Done", late...)
		time.Sleep(5 * time.Millisecond) // later udates, one after the other
		h.tag("Touched", members...)
		time.Sleep(5 * time.Millisecond)
		h.tag("Done", early...)
		gate.answerWrong(true)
		got := h.syncNow(a)
		if !strings.Contains(got.LastSyncError, "Reading the segment failed. Nobody was marked as left; the only change is 5 entries") {
			t.Errorf("after the failed read the automation says %q", got.LastSyncError)
		}
		h.waitFor("the first page's credentials", func() bool { return len(h.cert.Credentials(testenv.CertWorkspace)) == len(early) })
		for i := range early {
			if n := h.credentialsFor(fmt.Sprintf("early%d@example.com", i)); n != 1 {
				t.Errorf("early entrant %d has %d credentials after the failed read, want 1", i, n)
			}
		}

		gate.answerWrong(false)
		got = h.syncNow(a)
		if got.LastSyncError != "" {
			t.Errorf("after a good read the automation says %q", got.LastSyncError)
		}
		h.settleNow(a)
		for _, who := range []string{"early", "late"} {
			for i := range 5 {
				if n := h.credentialsFor(fmt.Sprintf("%s%d@example.com", who, i)); n != 1 {
					t.Errorf("%s entrant %d has %d credentials, want 1", who, i, n)
				}
			}
		}
		if n := len(h.cert.Credentials(testenv.CertWorkspace)); n != 10 {
			t.Errorf("%d credentials in all, want 10", n)
		}
		if in, err := h.store.InSegment(context.Background(), a.ID); err != nil || len(in) != 10_010 {
			t.Errorf("the ledger has %d in (%v), want 10,010: nobody left", len(in), err)
		}
	})
}

// A read that the single-contact checks show to be wrong (it says "ready"
// with only a fifth of the members) still listed real members: the
// contacts that just entered, first in its order, are entered from its
// page; nothing else of it counts. No member it left out is marked
// absent or left, none of them is ever issued a credential, and the
// automation says what happened.
func TestWrongReadKeepsOnlyTheEntriesItListed(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		h := newHarness(t, testenv.Options{Database: kind, PollInterval: time.Hour})
		seg := h.segment("Done", "Done")
		h.members(20, "member", "Done")
		entrants := h.members(3, "entrant", "")
		a := h.automation(seg, nil)

		h.tag("Done", entrants...)
		if err := h.ac.ShortenNextMatchRuns(testenv.ACAccount, 1, 0.2); err != nil { // 4 of 23: the 3 and one member
			t.Fatal(err)
		}
		got := h.syncNow(a)
		if want := "looked wrong: it listed 4 of the 23 members"; !strings.Contains(got.LastSyncError, want) ||
			!strings.Contains(got.LastSyncError, "the only change is 3 entries recorded for contacts it listed") {
			t.Errorf("after the wrong read the automation says %q; want %q and the 3 entries", got.LastSyncError, want)
		}
		if runs := h.runs(a.ID); len(runs[autocred.RunPending])+len(runs[autocred.RunIssued]) != 3 {
			t.Errorf("runs after the wrong read: %v, want the 3 entrants'", runs)
		}
		h.settleNow(a)
		for i := range entrants {
			if n := h.credentialsFor(fmt.Sprintf("entrant%d@example.com", i)); n != 1 {
				t.Errorf("entrant %d has %d credentials, want 1", i, n)
			}
		}
		if n := len(h.cert.Credentials(testenv.CertWorkspace)); n != 3 {
			t.Errorf("%d credentials in all, want 3: members left out by the wrong read got some", n)
		}
		if in, err := h.store.InSegment(context.Background(), a.ID); err != nil || len(in) != 23 {
			t.Errorf("the ledger has %d in (%v), want 23: a wrong read marked members as left", len(in), err)
		}
	})
}

// A contact that leaves while a read is under way, and whose leaving a
// hint's check records, is listed by that read all the same (its run was
// evaluated before): it is no entry. A member from before the automation
// gets no credential for leaving, and a contact whose entry a page of the
// read recorded gets one credential, not a second when the complete read
// is compared with the ledger that now has it out. Before, the complete
// read entered both again: a credential for the member, a second for the
// entrant.
func TestLeavingDuringAReadIsNoEntry(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		gate := &pageGate{}
		h := newHarness(t, testenv.Options{Database: kind, PollInterval: time.Hour, WrapAC: gate.wrap})
		ctx := context.Background()
		seg := h.segment("Done", "Done")
		members := h.members(10_000, "member", "Done") // with the entrant, two pages
		entrant := h.members(1, "entrant", "")[0]
		a := h.automation(seg, nil)

		h.tag("Done", entrant)
		gate.holdPages()
		since := time.Now()
		if err := h.store.EnqueueSyncs(ctx, a.Trigger); err != nil {
			t.Fatal(err)
		}
		h.waitFor("the entrant's entry, from the first page", func() bool {
			m, _ := h.store.Membership(ctx, a.ID, autocred.ContactID(entrant))
			return m.InSegment && gate.waiting.Load() > 0
		})
		// Both leave while the second page is held, and a hint's check
		// records it.
		leaving := []int64{members[0], entrant}
		h.untag("Done", leaving...)
		for _, id := range leaving {
			if _, err := h.engine.Hint(ctx, h.acConn, autocred.ContactID(id)); err != nil {
				t.Fatal(err)
			}
		}
		h.waitFor("the hints' checks to mark both out", func() bool {
			for _, id := range leaving {
				if m, _ := h.store.Membership(ctx, a.ID, autocred.ContactID(id)); m.InSegment {
					return false
				}
			}
			return true
		})
		gate.release()
		h.waitFor("the held read to end", func() bool {
			got, _ := h.store.Automation(ctx, a.ID)
			return got.LastSyncAt.After(since)
		})
		h.settleNow(a)

		if n := h.credentialsFor("member0@example.com"); n != 0 {
			t.Errorf("the member who left during the read has %d credentials, want none: leaving is no entry", n)
		}
		if n := h.credentialsFor("entrant0@example.com"); n != 1 {
			t.Errorf("the entrant who left during the read has %d credentials, want 1", n)
		}
		for _, id := range leaving {
			if m, _ := h.store.Membership(ctx, a.ID, autocred.ContactID(id)); m.InSegment {
				t.Errorf("contact %d is in the ledger after leaving", id)
			}
		}
	})
}
