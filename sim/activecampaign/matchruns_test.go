package activecampaign_test

import (
	"net/url"
	"slices"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// runOf returns the attributes of a matching-API answer.
func runOf(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	return get(m, "data", 0, "attributes").(map[string]any)
}

func matches(attrs map[string]any) []int64 {
	var out []int64
	for _, v := range attrs["matches"].([]any) {
		out = append(out, int64(v.(float64)))
	}
	return out
}

func TestMatchAllAsyncSnapshot(t *testing.T) {
	e := newEnv(t, simac.Options{MatchRunDelay: 150 * time.Millisecond, InlineWait: 20 * time.Millisecond})
	ids := e.importContacts(memberIDs(25)...)
	seg := e.segment(simac.SegmentDef{Name: "In", Conditions: []simac.Condition{tagCond("has", "In")}})

	// The inline wait is shorter than the run: not ready, a run_id, no run_id_end.
	start := time.Now()
	first := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID, nil, 200))
	if first["is_ready"] != false || first["run_id"] == "" || first["run_id_end"] != nil || len(matches(first)) != 0 {
		t.Fatalf("first answer: %v", first)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("answered in %v, before the inline wait", d)
	}
	runID := first["run_id"].(string)

	// Membership changes after the run started do not change its snapshot.
	if err := e.srv.BulkTag("acme", ids[:5], "In", true); err != nil {
		t.Fatal(err)
	}
	var ready map[string]any
	eventually(t, 2*time.Second, "run ready", func() bool {
		ready = runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID+"/"+runID+"?page_size=10", nil, 200))
		return ready["is_ready"] == true
	})
	if ready["run_id_end"] == nil || ready["segment_id"] != seg.ID || ready["segment_timestamp"] == "" {
		t.Fatalf("ready: %v", ready)
	}
	page := ready["page"].(map[string]any)
	if page["total"] != 25.0 || page["last_page"] != 3.0 || page["per_page"] != 10.0 || page["current_page"] != 1.0 {
		t.Fatalf("page: %v", page)
	}
	// Pages through segmentMatchSome are the same snapshot, in order, and
	// a sort there is ignored.
	var all []int64
	for p := 1; p <= 3; p++ {
		a := runOf(t, e.api("GET", "/segmentMatchSome/"+seg.ID+"/"+runID+"?page_size=10&sort=-id&page="+itoa(int64(p)), nil, 200))
		if a["run_id"] != runID {
			t.Fatalf("segmentMatchSome started a new run: %v", a["run_id"])
		}
		all = append(all, matches(a)...)
	}
	if len(all) != 25 || all[0] != 1 || all[24] != 25 {
		t.Fatalf("snapshot: %v", all)
	}

	// A new run sees the change.
	now := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID+"?instant", nil, 200))
	if now["is_ready"] != false {
		t.Fatalf("instant: %v", now)
	}
	eventually(t, 2*time.Second, "second run ready", func() bool {
		now = runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID+"/"+now["run_id"].(string)+"?page_size=100", nil, 200))
		return now["is_ready"] == true
	})
	if got := matches(now); len(got) != 20 || got[0] != 6 {
		t.Fatalf("second run: %v", got)
	}
}

// autocred asks every run for -udate: the contacts changed last come
// first, ties by id, and udate and cdate sort both ways.
func TestMatchAllSortsByDate(t *testing.T) {
	e := newEnv(t, simac.Options{MatchRunDelay: 30 * time.Millisecond})
	ids := e.importContacts(memberIDs(5)...)
	seg := e.segment(simac.SegmentDef{Name: "In", Conditions: []simac.Condition{tagCond("has", "In")}})
	for _, id := range []int64{ids[1], ids[3]} { // 2, then 4, changed after the import
		time.Sleep(2 * time.Millisecond)
		if err := e.srv.BulkTag("acme", []int64{id}, "Later", false); err != nil {
			t.Fatal(err)
		}
	}
	for sort, want := range map[string][]int64{
		"-udate": {4, 2, 1, 3, 5},
		"udate":  {1, 3, 5, 2, 4},
		"cdate":  {1, 2, 3, 4, 5},
		"-cdate": {1, 2, 3, 4, 5}, // one import: every cdate ties
	} {
		got := matches(runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID+"?sort="+sort, nil, 200)))
		if !slices.Equal(got, want) {
			t.Errorf("sort=%s: %v, want %v", sort, got, want)
		}
	}
}

func TestMatchAllInlineReadyAndSort(t *testing.T) {
	e := newEnv(t, simac.Options{MatchRunDelay: 30 * time.Millisecond})
	e.importContacts(memberIDs(5)...)
	seg := e.segment(simac.SegmentDef{Name: "In", Legacy: true, Conditions: []simac.Condition{tagCond("has", "In")}})

	// Within the inline wait the result comes back in the same answer; the
	// legacy numeric id is accepted too and echoed.
	for _, ref := range []string{seg.ID, "1"} {
		a := runOf(t, e.api("GET", "/segmentMatchAll/"+ref, nil, 200))
		if a["is_ready"] != true || len(matches(a)) != 5 || a["segment_id"] != ref {
			t.Fatalf("%s: %v", ref, a)
		}
	}
	a := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID+"?sort=-id", nil, 200))
	if got := matches(a); got[0] != 5 {
		t.Fatalf("sort=-id: %v", got)
	}
	// Asking an existing run for another sort starts a new run.
	b := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID+"/"+a["run_id"].(string)+"?sort=id", nil, 200))
	if b["run_id"] == a["run_id"] || matches(b)[0] != 1 {
		t.Fatalf("sort change: %v", b)
	}
	// Same sort: same run.
	c := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID+"/"+b["run_id"].(string)+"?sort=id", nil, 200))
	if c["run_id"] != b["run_id"] {
		t.Fatal("same sort must not start a new run")
	}

	for _, q := range []string{"page_size=10000", "page_size=1"} {
		e.api("GET", "/segmentMatchSome/"+seg.ID+"/"+b["run_id"].(string)+"?"+q, nil, 200)
	}
	for _, q := range []string{"page_size=10001", "page_size=0", "page=0", "sort=shoe_size"} {
		r := e.do("GET", "/acme/api/3/segmentMatchAll/"+seg.ID+"?"+q, nil)
		if r.status != 400 || get(r.json(t), "errors", 0, "title") == nil {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	if r := e.do("GET", "/acme/api/3/segmentMatchAll/nope", nil); r.status != 404 {
		t.Fatalf("unknown segment: %d", r.status)
	}
	if r := e.do("GET", "/acme/api/3/segmentMatchSome/"+seg.ID+"/not-a-run", nil); r.status != 404 {
		t.Fatalf("unknown run: %d", r.status)
	}
}

func TestMatchRunFailureAndExpiry(t *testing.T) {
	e := newEnv(t, simac.Options{MatchRunDelay: 20 * time.Millisecond, RunTTL: 300 * time.Millisecond})
	e.importContacts(memberIDs(3)...)
	seg := e.segment(simac.SegmentDef{Name: "In", Conditions: []simac.Condition{tagCond("has", "In")}})

	if err := e.srv.FailNextMatchRuns("acme", 1); err != nil {
		t.Fatal(err)
	}
	failed := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID, nil, 200))
	if failed["is_ready"] != false || failed["run_id_end"] == nil || len(matches(failed)) != 0 {
		t.Fatalf("failed run: %v", failed)
	}
	ok := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID, nil, 200))
	if ok["is_ready"] != true {
		t.Fatalf("the run after the failed one: %v", ok)
	}

	if err := e.srv.ExpireMatchRuns("acme"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/segmentMatchAll/", "/segmentMatchSome/"} {
		if r := e.do("GET", "/acme/api/3"+p+seg.ID+"/"+ok["run_id"].(string), nil); r.status != 404 || get(r.json(t), "errors", 0, "status") != 404.0 {
			t.Fatalf("expired run %s: %d %s", p, r.status, r.body)
		}
	}
	// RunTTL: a run is viewable for RunTTL, then 404.
	fresh := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID, nil, 200))
	e.api("GET", "/segmentMatchSome/"+seg.ID+"/"+fresh["run_id"].(string), nil, 200)
	time.Sleep(350 * time.Millisecond)
	if r := e.do("GET", "/acme/api/3/segmentMatchSome/"+seg.ID+"/"+fresh["run_id"].(string), nil); r.status != 404 {
		t.Fatalf("run past RunTTL: %d", r.status)
	}

	// The audience summary reports the last finished run's count.
	aud := e.api("GET", "/audiences?search="+url.QueryEscape(seg.Name), nil, 200)
	if get(aud, "data", 0, "id") != seg.ID || get(aud, "data", 0, "attributes", "counts", "last_total", "count") != 3.0 {
		t.Fatalf("last_total: %v", aud)
	}
}

func TestLegacySegmentIDQuirk(t *testing.T) {
	e := newEnv(t, simac.Options{LegacyEvalDelay: 80 * time.Millisecond, LegacyCacheTTL: 400 * time.Millisecond})
	ids := e.importContacts(memberIDs(5)...)
	seg := e.segment(simac.SegmentDef{Name: "In", Legacy: true, Conditions: []simac.Condition{tagCond("has", "In")}})
	list := func(q string) (int, string, map[string]any) {
		m := e.api("GET", "/contacts?segmentid=1&"+q, nil, 200)
		meta := m["meta"].(map[string]any)
		return len(m["contacts"].([]any)), meta["total"].(string), meta["page_input"].(map[string]any)
	}

	// First call: only starts the evaluation.
	n, total, in := list("orders[id]=ASC")
	if n != 0 || total != "0" || in["cacheid"] == nil || in["segmentid"] != 1.0 {
		t.Fatalf("first call: %d %s %v", n, total, in)
	}
	// Before the evaluation is done: still nothing.
	if n, _, _ := list("orders[id]=ASC"); n != 0 {
		t.Fatal("contacts before LegacyEvalDelay")
	}
	time.Sleep(100 * time.Millisecond)
	n, total, _ = list("orders[id]=ASC&limit=2&offset=2")
	if n != 2 || total != "5" {
		t.Fatalf("cached page: %d %s", n, total)
	}
	m := e.api("GET", "/contacts?segmentid=1&orders[id]=ASC&limit=2&offset=2", nil, 200)
	if get(m, "contacts", 0, "id") != "3" {
		t.Fatalf("page order: %v", get(m, "contacts", 0, "id"))
	}

	// Membership changes: the cached set stays until the TTL.
	if err := e.srv.BulkTag("acme", ids[:2], "In", true); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := list("orders[id]=ASC"); total != "5" {
		t.Fatalf("cache should still say 5, got %s", total)
	}
	// Another order is another result set: its first call starts an evaluation.
	if n, _, _ := list("orders[id]=DESC"); n != 0 {
		t.Fatal("new order should start a new evaluation")
	}
	// forceQuery always starts a new evaluation and answers nothing.
	if n, total, in := list("orders[id]=ASC&forceQuery=1"); n != 0 || total != "0" || in["forceQuery"] != 1.0 {
		t.Fatalf("forced: %d %s %v", n, total, in)
	}
	time.Sleep(100 * time.Millisecond)
	if _, total, _ := list("orders[id]=ASC"); total != "3" {
		t.Fatalf("after the forced evaluation: %s", total)
	}

	// After the TTL the next call starts a new evaluation.
	e.srv.BulkTag("acme", ids[:2], "In", false)
	time.Sleep(420 * time.Millisecond)
	if n, _, _ := list("orders[id]=ASC"); n != 0 {
		t.Fatal("call after TTL should start a new evaluation")
	}
	time.Sleep(100 * time.Millisecond)
	if _, total, _ := list("orders[id]=ASC"); total != "5" {
		t.Fatalf("new evaluation: %s", total)
	}

	// A UUID is not a legacy segment id; an unknown number is a 404.
	if r := e.do("GET", "/acme/api/3/contacts?segmentid="+seg.ID, nil); r.status != 400 {
		t.Fatalf("uuid segmentid: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/acme/api/3/contacts?segmentid=99", nil); r.status != 404 {
		t.Fatalf("unknown segmentid: %d", r.status)
	}
}

// Short runs answer "ready" with part of the members, and every number in
// the answer agrees with the short list: only another answer can tell.
func TestShortMatchRuns(t *testing.T) {
	e := newEnv(t, simac.Options{MatchRunDelay: time.Millisecond})
	e.importContacts(memberIDs(10)...)
	seg := e.segment(simac.SegmentDef{Name: "In", Conditions: []simac.Condition{tagCond("has", "In")}})
	if err := e.srv.ShortenNextMatchRuns("acme", 2, 0.5); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		run := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID, nil, 200))
		if run["is_ready"] != true || len(matches(run)) != 5 || get(run, "page", "total") != 5.0 || get(run, "page", "last_page") != 1.0 {
			t.Fatalf("a short run: %v", run)
		}
		// The single-contact check still tells the truth.
		one := e.api("GET", "/segmentMatch/"+seg.ID+"/10", nil, 200)
		if get(one, "data", 0, "attributes", "match") != true {
			t.Fatalf("contact 10 left out of a short run: segmentMatch says %v", one)
		}
	}
	if run := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID, nil, 200)); len(matches(run)) != 10 {
		t.Fatalf("the run after the short ones has %d members, want 10", len(matches(run)))
	}
	if err := e.srv.ShortenNextMatchRuns("acme", 1, 1); err == nil {
		t.Fatal("keep 1 (not short) accepted")
	}
	ctl := func(body string, want int) {
		t.Helper()
		if r := e.doKey("POST", "/_sandbox/accounts/acme/match-runs/short", body, ""); r.status != want {
			t.Fatalf("short %s: %d, want %d: %s", body, r.status, want, r.body)
		}
	}
	ctl(`{"runs":3,"keep":0}`, 204)
	if run := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID, nil, 200)); run["is_ready"] != true || len(matches(run)) != 0 || get(run, "page", "total") != 0.0 {
		t.Fatalf("an empty run: %v", run)
	}
	ctl(`{"runs":0}`, 204)
	if run := runOf(t, e.api("GET", "/segmentMatchAll/"+seg.ID, nil, 200)); len(matches(run)) != 10 {
		t.Fatalf("after runs 0: %d members, want 10", len(matches(run)))
	}
	ctl(`{"keep":0.5}`, 400)
	ctl(`{"runs":1,"keep":-0.5}`, 400)
}

// MatchRunStarts lists when each kept run took its snapshot, oldest
// first, for benchmarks that tell the wait for a read from the read.
func TestMatchRunStarts(t *testing.T) {
	e := newEnv(t, simac.Options{MatchRunDelay: -1})
	e.importContacts(memberIDs(3)...)
	seg := e.segment(simac.SegmentDef{Name: "In", Conditions: []simac.Condition{tagCond("has", "In")}})
	if starts, err := e.srv.MatchRunStarts("acme"); err != nil || len(starts) != 0 {
		t.Fatalf("before any run: %v, %v", starts, err)
	}
	before := time.Now()
	e.api("GET", "/segmentMatchAll/"+seg.ID, nil, 200)
	between := time.Now()
	e.api("GET", "/segmentMatchAll/"+seg.ID, nil, 200)
	after := time.Now()
	starts, err := e.srv.MatchRunStarts("acme")
	if err != nil || len(starts) != 2 {
		t.Fatalf("after two runs: %v, %v", starts, err)
	}
	if starts[0].Before(before) || starts[0].After(between) || starts[1].Before(between) || starts[1].After(after) {
		t.Errorf("starts %v, want one in [%v, %v] and one in [%v, %v]", starts, before, between, between, after)
	}
	if _, err := e.srv.MatchRunStarts("nobody"); err == nil {
		t.Error("an unknown account gave no error")
	}
}
