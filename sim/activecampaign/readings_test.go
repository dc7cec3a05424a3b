package activecampaign_test

import (
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// /audiences lists saved segments by UUID and legacy "audience" segments by
// their numeric id; /segments lists every legacy segment, hidden ones with
// hidden "1".
func TestSegmentListsNumericAudiencesAndHidden(t *testing.T) {
	e := newEnv(t, simac.Options{})
	saved := e.segment(simac.SegmentDef{Name: "Saved", Conditions: []simac.Condition{tagCond("has", "a")}})
	both := e.segment(simac.SegmentDef{Name: "Old but listed", Legacy: true, Audience: true, Conditions: []simac.Condition{tagCond("has", "b")}})
	hidden := e.segment(simac.SegmentDef{Name: "Automation condition", Legacy: true, Hidden: true, Conditions: []simac.Condition{tagCond("has", "c")}})

	aud := e.api("GET", "/audiences?sort=name", nil, 200)["data"].([]any)
	if len(aud) != 2 || get(aud, 0, "id") != "1" || get(aud, 0, "attributes", "segment_id") != "1" || get(aud, 1, "id") != saved.ID {
		t.Fatalf("audiences: %v", aud)
	}
	if get(aud, 0, "attributes", "name") != "Old but listed" {
		t.Fatalf("audience 1: %v", aud[0])
	}
	segs := e.api("GET", "/segments", nil, 200)
	if get(segs, "meta", "total") != "2" || get(segs, "segments", 0, "hidden") != "0" || get(segs, "segments", 1, "hidden") != "1" {
		t.Fatalf("segments: %v", segs)
	}
	if both.LegacyID != 1 || !both.Audience || !hidden.Hidden {
		t.Fatalf("defined: %+v %+v", both, hidden)
	}
	if _, err := e.srv.DefineSegment("acme", simac.SegmentDef{Name: "x", Hidden: true, Conditions: []simac.Condition{tagCond("has", "c")}}); err == nil {
		t.Fatal("hidden without legacy: want an error")
	}
}

// The two readings of contacts?segmentid&forceQuery, set as an Option and
// per account through the control API.
func TestLegacyReadings(t *testing.T) {
	const delay = 200 * time.Millisecond
	tests := []struct {
		name    string
		opts    simac.LegacyReading
		control string // body of PUT legacy-segment-reading, "" for none
		// forcedMembers: the forced call answers the members at once.
		forcedMembers, uuidOK bool
	}{
		{"default: the docs' reading", simac.LegacyReading{}, "", false, false},
		{"option: returns members", simac.LegacyReading{ForcedQuery: simac.ForcedQueryReturnsMembers, AudienceIDs: true}, "", true, true},
		{"control: returns members", simac.LegacyReading{}, `{"forced_query":"returns_members","audience_ids":true}`, true, true},
		{"control: back to starts evaluation", simac.LegacyReading{ForcedQuery: simac.ForcedQueryReturnsMembers}, `{"forced_query":"starts_evaluation"}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, simac.Options{LegacyEvalDelay: delay, LegacyReading: tt.opts})
			if tt.control != "" {
				if r := e.doKey("PUT", "/_sandbox/accounts/acme/legacy-segment-reading", tt.control, ""); r.status != 204 {
					t.Fatalf("control: %d %s", r.status, r.body)
				}
			}
			e.importContacts(memberIDs(3)...)
			seg := e.segment(simac.SegmentDef{Name: "In", Legacy: true, Audience: true, Conditions: []simac.Condition{tagCond("has", "In")}})
			forced := e.api("GET", "/contacts?segmentid=1&forceQuery=1&orders[id]=ASC", nil, 200)
			if got := len(forced["contacts"].([]any)); (got == 3) != tt.forcedMembers || (got != 0 && got != 3) {
				t.Fatalf("forced call answered %d contacts; want members at once: %v", got, tt.forcedMembers)
			}
			// Either way, the cached result is there for calls without forceQuery.
			eventually(t, 2*time.Second, "cached members", func() bool {
				return len(e.api("GET", "/contacts?segmentid=1&orders[id]=ASC", nil, 200)["contacts"].([]any)) == 3
			})
			r := e.do("GET", "/acme/api/3/contacts?segmentid="+seg.ID+"&forceQuery=1", nil)
			if (r.status == 200) != tt.uuidOK {
				t.Fatalf("segmentid=<UUID>: %d %s", r.status, r.body)
			}
		})
	}
	e := newEnv(t, simac.Options{})
	if r := e.doKey("PUT", "/_sandbox/accounts/acme/legacy-segment-reading", `{"forced_query":"sometimes"}`, ""); r.status != 400 {
		t.Fatalf("bad reading: %d", r.status)
	}
	if r := e.doKey("PUT", "/_sandbox/accounts/nobody/legacy-segment-reading", `{}`, ""); r.status != 404 {
		t.Fatalf("unknown account: %d", r.status)
	}
}

// Segment matching can refuse numeric ids or every segment (403 or 400), or
// have every run fail.
func TestSegmentMatchAvailability(t *testing.T) {
	tests := []struct {
		name    string
		opts    simac.SegmentMatchAvailability
		control string
		// status of segmentMatchAll and segmentMatch for the UUID and the number
		uuid, number int
		runsFail     bool
	}{
		{"available", simac.SegmentMatchAvailability{}, "", 200, 200, false},
		{"option: numeric ids refused", simac.SegmentMatchAvailability{Refuse: simac.MatchRefusesNumeric, Status: 400}, "", 200, 400, false},
		{"control: refused on the account", simac.SegmentMatchAvailability{}, `{"refuse":"all"}`, 403, 403, false},
		{"control: runs fail", simac.SegmentMatchAvailability{}, `{"runs_fail":true}`, 200, 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, simac.Options{MatchRunDelay: -1, SegmentMatch: tt.opts})
			if tt.control != "" {
				if r := e.doKey("PUT", "/_sandbox/accounts/acme/segment-match", tt.control, ""); r.status != 204 {
					t.Fatalf("control: %d %s", r.status, r.body)
				}
			}
			e.importContacts(memberIDs(2)...)
			seg := e.segment(simac.SegmentDef{Name: "In", Legacy: true, Audience: true, Conditions: []simac.Condition{tagCond("has", "In")}})
			for ref, want := range map[string]int{seg.ID: tt.uuid, "1": tt.number} {
				r := e.do("GET", "/acme/api/3/segmentMatchAll/"+ref, nil)
				if r.status != want {
					t.Fatalf("segmentMatchAll/%s: %d, want %d: %s", ref, r.status, want, r.body)
				}
				if want == 200 {
					run := runOf(t, r.json(t))
					if failed := run["is_ready"] == false && run["run_id_end"] != nil; failed != tt.runsFail {
						t.Fatalf("run %v: failed %v, want %v", run, failed, tt.runsFail)
					}
				} else if get(r.json(t), "errors", 0, "status") != float64(want) {
					t.Fatalf("refusal body: %s", r.body)
				}
				if r := e.do("GET", "/acme/api/3/segmentMatch/"+ref+"/1", nil); r.status != want {
					t.Fatalf("segmentMatch/%s/1: %d, want %d", ref, r.status, want)
				}
			}
		})
	}
	e := newEnv(t, simac.Options{})
	if r := e.doKey("PUT", "/_sandbox/accounts/acme/segment-match", `{"refuse":"all","status":500}`, ""); r.status != 400 {
		t.Fatalf("bad status: %d", r.status)
	}
}
