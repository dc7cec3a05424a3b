package activecampaign

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/ratelimit"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// sandbox starts the ActiveCampaign sandbox with one account and returns a
// client for it.
type sandbox struct {
	sim    *simac.Server
	srv    *httptest.Server
	client *Client
	url    string
}

func newSandbox(t *testing.T, opts simac.Options, cfg Config) *sandbox {
	t.Helper()
	if opts.MatchRunDelay == 0 {
		opts.MatchRunDelay = 30 * time.Millisecond
	}
	if opts.LegacyEvalDelay == 0 {
		opts.LegacyEvalDelay = 30 * time.Millisecond
	}
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = -1 // most tests are not about the limit
	}
	sim := simac.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	if err := sim.AddAccount("acme", "secret-key-1234"); err != nil {
		t.Fatal(err)
	}
	cfg.URL = srv.URL + "/acme"
	if cfg.Key == "" {
		cfg.Key = "secret-key-1234"
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 10 * time.Millisecond
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &sandbox{sim: sim, srv: srv, client: c, url: cfg.URL}
}

// importContacts adds n contacts, the first tagged of them with "Done".
func (s *sandbox) importContacts(t *testing.T, n, tagged int) []int64 {
	t.Helper()
	in := make([]ContactInputForTest, 0, n)
	for i := range n {
		c := ContactInputForTest{Email: "c" + strconv.Itoa(i) + "@example.com", FirstName: "C" + strconv.Itoa(i)}
		if i < tagged {
			c.Tags = []string{"Done"}
		}
		in = append(in, c)
	}
	ids, err := s.sim.Import("acme", in)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// ContactInputForTest is the sandbox's import row.
type ContactInputForTest = simac.ContactInput

func (s *sandbox) segment(t *testing.T, legacy bool) simac.Segment {
	t.Helper()
	seg, err := s.sim.DefineSegment("acme", simac.SegmentDef{Name: "Done", Legacy: legacy,
		Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Done"}}})
	if err != nil {
		t.Fatal(err)
	}
	return seg
}

func toIDs(ids []int64) []autocred.ContactID {
	out := make([]autocred.ContactID, len(ids))
	for i, id := range ids {
		out[i] = autocred.ContactID(id)
	}
	return out
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://acme.api-us1.com", "https://acme.api-us1.com"},
		{" https://acme.api-us1.com/ ", "https://acme.api-us1.com"},
		{"https://acme.api-us1.com/api/3", "https://acme.api-us1.com"},
		{"https://acme.api-us1.com/api/3/", "https://acme.api-us1.com"},
		{"http://127.0.0.1:8081/demo", "http://127.0.0.1:8081/demo"},
	}
	for _, tt := range tests {
		if got, err := NormalizeURL(tt.in); err != nil || got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "acme.api-us1.com", "ftp://acme.api-us1.com", "https://user:pw@acme.api-us1.com", "https://acme.api-us1.com?x=1"} {
		if _, err := NormalizeURL(bad); err == nil {
			t.Errorf("NormalizeURL(%q) accepted", bad)
		}
	}
}

func TestCheckKey(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	if _, err := s.client.CheckKey(context.Background()); err != nil {
		t.Fatalf("good key: %v", err)
	}
	bad, _ := New(Config{URL: s.url, Key: "wrong"})
	_, err := bad.CheckKey(context.Background())
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong key: %v, want ErrAuth", err)
	}
	if got := err.Error(); !strings.Contains(got, "Unauthorized") {
		t.Errorf("error %q does not carry ActiveCampaign's message", got)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q echoes the key", err)
	}
}

func TestSegmentsListsSavedAndLegacy(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	saved := s.segment(t, false)
	legacy := s.segment(t, true)
	segs, err := s.client.Segments(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var gotSaved, gotLegacy bool
	for _, sg := range segs {
		switch {
		case sg.ID == saved.ID && !sg.Legacy:
			gotSaved = true
		case sg.ID == strconv.FormatInt(legacy.LegacyID, 10) && sg.Legacy:
			gotLegacy = true
		}
	}
	if !gotSaved || !gotLegacy {
		t.Errorf("segments = %+v; want the saved one %s and the legacy one %d", segs, saved.ID, legacy.LegacyID)
	}
}

func TestMatchSnapshotIsCompleteAcrossPages(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	ids := s.importContacts(t, 25_000, 23_456) // three pages of 10,000
	seg := s.segment(t, false)
	var lastRead, lastTotal int
	snap, err := s.client.Snapshot(context.Background(), seg.ID, func(read, total int) { lastRead, lastTotal = read, total }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := toIDs(ids[:23_456]); !slices.Equal(snap.IDs, want) {
		t.Fatalf("snapshot has %d ids, want %d", len(snap.IDs), len(want))
	}
	if lastRead != 23_456 || lastTotal != 23_456 {
		t.Errorf("progress ended at %d/%d", lastRead, lastTotal)
	}
	// Page 1 comes with the answer that says the run is ready; pages 2 and 3
	// are read without a chance of starting another run.
	if n := s.sim.Gate().Stats().ByEndpoint["GET /api/3/segmentMatchSome/{segment}/{run}"]; n != 2 {
		t.Errorf("read %d pages with segmentMatchSome, want 2", n)
	}
}

// A sync takes entries from a run's pages as they come (MembersListed),
// so the contacts that just changed must be on the first page: 25,000
// members were tagged long ago, 300 just now, and the 300 come first,
// listed before the other pages are read.
func TestMatchSnapshotListsTheRecentlyChangedFirst(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	ids := s.importContacts(t, 25_300, 25_000)
	seg := s.segment(t, false)
	time.Sleep(10 * time.Millisecond) // a later udate than the import's
	if err := s.sim.BulkTag("acme", ids[25_000:], "Done", false); err != nil {
		t.Fatal(err)
	}
	var pages [][]autocred.ContactID
	pagesRead := func() int64 { return s.sim.Gate().Stats().ByEndpoint["GET /api/3/segmentMatchSome/{segment}/{run}"] }
	var readBeforeFirst int64 = -1
	snap, err := s.client.Snapshot(context.Background(), seg.ID, nil, func(ids []autocred.ContactID) error {
		if readBeforeFirst < 0 {
			readBeforeFirst = pagesRead()
		}
		pages = append(pages, slices.Clone(ids))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(snap.IDs, toIDs(ids)) {
		t.Fatalf("snapshot has %d ids, want %d", len(snap.IDs), len(ids))
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages listed, want 3", len(pages))
	}
	if readBeforeFirst != 0 {
		t.Errorf("the first page was listed after %d more pages were read, want at once", readBeforeFirst)
	}
	first := slices.Sorted(slices.Values(pages[0][:300]))
	if want := toIDs(ids[25_000:]); !slices.Equal(first, want) {
		t.Errorf("the first page does not begin with the 300 just tagged: %v…", pages[0][:5])
	}
	all := slices.Sorted(slices.Values(slices.Concat(pages...)))
	if !slices.Equal(all, snap.IDs) {
		t.Errorf("the pages listed hold %d ids, the snapshot %d", len(all), len(snap.IDs))
	}
}

// What a sync does with a listed page may fail (recording entries): the
// read stops there, with that error, and reads no further page.
func TestMatchSnapshotStopsWhenListingFails(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	s.importContacts(t, 25_000, 25_000)
	seg := s.segment(t, false)
	boom := errors.New("recording entries failed")
	_, err := s.client.Snapshot(context.Background(), seg.ID, nil, func([]autocred.ContactID) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the listing's error", err)
	}
	if n := s.sim.Gate().Stats().ByEndpoint["GET /api/3/segmentMatchSome/{segment}/{run}"]; n != 0 {
		t.Errorf("%d more pages read after the listing failed, want 0", n)
	}
}

func TestMatchSnapshotSurvivesFailedAndExpiredRuns(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{MaxRunAttempts: 3})
	ids := s.importContacts(t, 30, 10)
	seg := s.segment(t, false)
	if err := s.sim.FailNextMatchRuns("acme", 2); err != nil {
		t.Fatal(err)
	}
	snap, err := s.client.Snapshot(context.Background(), seg.ID, nil, nil)
	if err != nil {
		t.Fatalf("two failed runs then a good one: %v", err)
	}
	if !slices.Equal(snap.IDs, toIDs(ids[:10])) {
		t.Errorf("snapshot = %v", snap.IDs)
	}
	_ = s.sim.FailNextMatchRuns("acme", 3)
	_, err = s.client.Snapshot(context.Background(), seg.ID, nil, nil)
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("three failed runs: %v, want ErrIncomplete", err)
	}
}

func TestSnapshotIsFixedWhileMembersChange(t *testing.T) {
	s := newSandbox(t, simac.Options{MatchRunDelay: 300 * time.Millisecond}, Config{})
	ids := s.importContacts(t, 20, 10)
	seg := s.segment(t, false)
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(100 * time.Millisecond) // the run has started, not finished
		_ = s.sim.BulkTag("acme", ids[10:15], "Done", false)
	}()
	snap, err := s.client.Snapshot(context.Background(), seg.ID, nil, nil)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(snap.IDs, toIDs(ids[:10])) {
		t.Errorf("snapshot mixed two moments: %v", snap.IDs)
	}
}

func TestLegacySnapshot(t *testing.T) {
	s := newSandbox(t, simac.Options{LegacyEvalDelay: 100 * time.Millisecond}, Config{})
	ids := s.importContacts(t, 250, 234) // three pages of 100
	seg := s.segment(t, true)
	legacyID := strconv.FormatInt(seg.LegacyID, 10)
	snap, err := s.client.LegacySnapshot(context.Background(), legacyID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(snap.IDs, toIDs(ids[:234])) || snap.Unconfirmed {
		t.Fatalf("legacy snapshot has %d ids (unconfirmed %v), want 234", len(snap.IDs), snap.Unconfirmed)
	}
}

func TestLegacySnapshotOfAnEmptySegmentIsUnconfirmed(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{EvaluationTimeout: 200 * time.Millisecond})
	s.importContacts(t, 5, 0)
	seg := s.segment(t, true)
	snap, err := s.client.LegacySnapshot(context.Background(), strconv.FormatInt(seg.LegacyID, 10), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.IDs) != 0 || !snap.Unconfirmed {
		t.Errorf("empty legacy answer = %+v; it must be marked unconfirmed, since it looks like an evaluation still running", snap)
	}
}

func TestIsMemberFollowsTheData(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	ids := s.importContacts(t, 3, 1)
	seg := s.segment(t, false)
	ctx := context.Background()
	for i, want := range []bool{true, false, false} {
		got, err := s.client.IsMember(ctx, seg.ID, autocred.ContactID(ids[i]))
		if err != nil || got != want {
			t.Errorf("IsMember(contact %d) = %v, %v; want %v", ids[i], got, err, want)
		}
	}
	_ = s.sim.BulkTag("acme", ids[1:2], "Done", false)
	if got, _ := s.client.IsMember(ctx, seg.ID, autocred.ContactID(ids[1])); !got {
		t.Error("a contact tagged into the segment is not a member")
	}
}

func TestContactsInCallsOf100(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	ids := s.importContacts(t, 250, 0)
	ask := append(toIDs(ids), 999_999) // one that does not exist
	got, err := s.client.Contacts(context.Background(), ask)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 || got[autocred.ContactID(ids[7])].Email != "c7@example.com" || got[autocred.ContactID(ids[7])].FirstName != "C7" {
		t.Fatalf("got %d contacts; contact 7 = %+v", len(got), got[autocred.ContactID(ids[7])])
	}
	if calls := s.sim.Gate().Stats().ByEndpoint["GET /api/3/contacts"]; calls != 3 {
		t.Errorf("%d calls for 251 ids, want 3", calls)
	}
}

func TestContactFields(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	ids, err := s.sim.Import("acme", []simac.ContactInput{{Email: "ana@example.com", Fields: map[string]string{"COURSE_NAME": "Go 101"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2 {
		fvs, err := s.client.ContactFields(ctx, autocred.ContactID(ids[0]))
		if err != nil {
			t.Fatal(err)
		}
		if len(fvs) != 1 || fvs[0].Field.Perstag != "COURSE_NAME" || fvs[0].Value != "Go 101" {
			t.Fatalf("field values = %+v", fvs)
		}
	}
	if calls := s.sim.Gate().Stats().ByEndpoint["GET /api/3/fields"]; calls != 1 {
		t.Errorf("field definitions read %d times for two contacts, want once (cached)", calls)
	}
	if _, err := s.client.ContactFields(ctx, 424242); !errors.Is(err, ErrNotFound) {
		t.Errorf("fields of a missing contact: %v, want ErrNotFound", err)
	}
}

func TestWebhooks(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	ctx := context.Background()
	w, err := s.client.CreateWebhook(ctx, Webhook{Name: "autocred", URL: "https://hooks.example.com/x", Events: HintEvents, Sources: AllSources})
	if err != nil || w.ID == 0 {
		t.Fatalf("create: %+v, %v", w, err)
	}
	list, err := s.client.Webhooks(ctx)
	if err != nil || len(list) != 1 || list[0].URL != "https://hooks.example.com/x" || len(list[0].Events) != len(HintEvents) {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if _, err := s.client.Webhook(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.client.DeleteWebhook(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.Webhook(ctx, w.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed webhook: %v, want ErrNotFound", err)
	}
	if _, err := s.client.CreateWebhook(ctx, Webhook{Name: "x"}); err == nil {
		t.Error("a webhook without url, events and sources was accepted")
	}
}

// TestLimiterKeepsUnderTheAccountLimit: with the sandbox at the real limit,
// a shared limiter at 4/s lets concurrent callers through without a single
// 429, and the account never sees more than 5 requests in a second.
func TestLimiterKeepsUnderTheAccountLimit(t *testing.T) {
	limits := ratelimit.NewRegistry(4)
	s := newSandbox(t, simac.Options{RatePerSecond: 5}, Config{Limiter: limits.For("acme")})
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if _, err := s.client.CheckKey(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	st := s.sim.Gate().Stats()
	if st.RateLimited != 0 || st.Accounts["acme"].PeakPerSecond > 5 {
		t.Errorf("429s = %d, peak = %d per second; want 0 and at most 5", st.RateLimited, st.Accounts["acme"].PeakPerSecond)
	}
}

// TestThrottledAnswersAreWaitedOut: without a limiter the client goes over
// the limit, and must wait out every 429 (or 503) and still succeed.
func TestThrottledAnswersAreWaitedOut(t *testing.T) {
	for _, status := range []int{429, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			s := newSandbox(t, simac.Options{RatePerSecond: 5, LimitStatus: status}, Config{})
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					if _, err := s.client.CheckKey(context.Background()); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if st := s.sim.Gate().Stats(); st.RateLimited == 0 {
				t.Error("no request was throttled; the test proves nothing")
			}
		})
	}
}

func TestFirstMembersCostOneRunOfOnePage(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	ids := s.importContacts(t, 30_000, 25_000)
	seg := s.segment(t, false)
	got, err := s.client.FirstMembers(context.Background(), seg.ID, 10)
	if err != nil || len(got) != 10 || got[0] != autocred.ContactID(ids[0]) {
		t.Fatalf("FirstMembers = %v, %v; want 10 from %d", got, err, ids[0])
	}
	if st := s.sim.Gate().Stats(); st.Requests != 1 {
		t.Errorf("%d requests to find ten members, want 1", st.Requests)
	}
	empty, err := s.sim.DefineSegment("acme", simac.SegmentDef{Name: "Nobody", Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Nope"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.client.FirstMembers(context.Background(), empty.ID, 10); len(got) != 0 || err != nil {
		t.Errorf("empty segment: %v, err %v", got, err)
	}
}

func TestSegmentCountsAreUnknownUntilComputed(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	s.importContacts(t, 12, 7)
	seg := s.segment(t, false)
	count := func() int {
		segs, err := s.client.Segments(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, sg := range segs {
			if sg.ID == seg.ID {
				return sg.Members
			}
		}
		t.Fatal("segment not listed")
		return 0
	}
	if n := count(); n != -1 {
		t.Errorf("members before any run = %d, want -1 (unknown)", n)
	}
	if _, err := s.client.Snapshot(context.Background(), seg.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 7 {
		t.Errorf("members after a run = %d, want 7", n)
	}
}
