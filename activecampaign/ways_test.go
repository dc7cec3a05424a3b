package activecampaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// The two readings of contacts?segmentid&forceQuery (docs/sandboxes.md,
// "Open questions"): every test of the fallback runs under both.
var readings = []struct {
	name string
	r    simac.LegacyReading
}{
	{"forced query starts an evaluation", simac.LegacyReading{ForcedQuery: simac.ForcedQueryStartsEvaluation}},
	{"forced query returns members", simac.LegacyReading{ForcedQuery: simac.ForcedQueryReturnsMembers, AudienceIDs: true}},
}

func (s *sandbox) define(t *testing.T, def simac.SegmentDef) simac.Segment {
	t.Helper()
	seg, err := s.sim.DefineSegment("acme", def)
	if err != nil {
		t.Fatal(err)
	}
	return seg
}

func doneDef(name string) simac.SegmentDef {
	return simac.SegmentDef{Name: name, Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Done"}}}
}

// Each segment once, by either id form, without the hidden ones, across
// pages of both lists.
func TestSegmentsListsEachOnceWithoutHidden(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	saved := s.define(t, doneDef("Saved"))
	def := doneDef("Numeric audience")
	def.Legacy, def.Audience = true, true
	both := s.define(t, def)
	def = doneDef("Automation condition")
	def.Legacy, def.Hidden = true, true
	hidden := s.define(t, def)
	for i := range 120 { // /segments answers 100 a page
		def := doneDef(fmt.Sprintf("Old %03d", i))
		def.Legacy = true
		s.define(t, def)
	}
	segs, err := s.client.Segments(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, sg := range segs {
		count[sg.ID]++
	}
	numeric := strconv.FormatInt(both.LegacyID, 10)
	if len(segs) != 122 || count[saved.ID] != 1 || count[numeric] != 1 || count[strconv.FormatInt(hidden.LegacyID, 10)] != 0 {
		t.Fatalf("%d segments; saved %d, numeric audience %d, hidden %d times; want 122, 1, 1, 0",
			len(segs), count[saved.ID], count[numeric], count[strconv.FormatInt(hidden.LegacyID, 10)])
	}
	for _, sg := range segs {
		if sg.ID == numeric && (!sg.Legacy || sg.Name != "Numeric audience") {
			t.Errorf("numeric audience listed as %+v", sg)
		}
	}
}

// Both id forms read by segment matching and checked one contact at a
// time, under both readings.
func TestBothIDFormsAreReadAndChecked(t *testing.T) {
	for _, rd := range readings {
		t.Run(rd.name, func(t *testing.T) {
			s := newSandbox(t, simac.Options{LegacyReading: rd.r}, Config{})
			ids := s.importContacts(t, 30, 12)
			def := doneDef("Numeric audience")
			def.Legacy, def.Audience = true, true
			seg := s.define(t, def)
			for _, ref := range []string{seg.ID, strconv.FormatInt(seg.LegacyID, 10)} {
				snap, err := s.client.Snapshot(context.Background(), ref, nil, nil)
				if err != nil || !slices.Equal(snap.IDs, toIDs(ids[:12])) || snap.Via != (Via{Way: WayMatch}) {
					t.Fatalf("Snapshot(%s) = %d ids via %+v, %v", ref, len(snap.IDs), snap.Via, err)
				}
				if in, err := s.client.IsMember(context.Background(), ref, autocred.ContactID(ids[0])); !in || err != nil {
					t.Fatalf("IsMember(%s) = %v, %v", ref, in, err)
				}
			}
		})
	}
}

// When segment matching refuses a segment or its runs keep failing, the
// segment is read through contacts?segmentid, the snapshot says so, the
// next read goes there directly, and segment matching is tried again
// after RetryPreferredAfter.
func TestSnapshotFallsBackWhenSegmentMatchIsUnavailable(t *testing.T) {
	unavailable := []struct {
		name    string
		m       simac.SegmentMatchAvailability
		numeric bool // read by the numeric id (else the UUID)
		notice  string
	}{
		{"refused on the account (403)", simac.SegmentMatchAvailability{Refuse: simac.MatchRefusesAll}, true, "refused this segment (403"},
		{"numeric ids refused (400)", simac.SegmentMatchAvailability{Refuse: simac.MatchRefusesNumeric, Status: 400}, true, "refused this segment (400"},
		{"every run fails", simac.SegmentMatchAvailability{RunsFail: true}, false, "runs for this segment kept failing"},
	}
	for _, rd := range readings {
		for _, tt := range unavailable {
			if !tt.numeric && !rd.r.AudienceIDs {
				continue // no way left: see TestSnapshotWhenNeitherWayWorks
			}
			t.Run(rd.name+"/"+tt.name, func(t *testing.T) {
				s := newSandbox(t, simac.Options{LegacyReading: rd.r, SegmentMatch: tt.m}, Config{MaxRunAttempts: 2, RetryPreferredAfter: 300 * time.Millisecond})
				ids := s.importContacts(t, 130, 120)
				def := doneDef("Numeric audience")
				def.Legacy, def.Audience = true, true
				seg := s.define(t, def)
				ref := seg.ID
				if tt.numeric {
					ref = strconv.FormatInt(seg.LegacyID, 10)
				}
				ctx := context.Background()
				snap, err := s.client.Snapshot(ctx, ref, nil, nil)
				if err != nil || !slices.Equal(snap.IDs, toIDs(ids[:120])) || snap.Unconfirmed {
					t.Fatalf("Snapshot = %d ids (unconfirmed %v), %v; want the 120 members", len(snap.IDs), snap.Unconfirmed, err)
				}
				if snap.Via.Way != WayContacts || !strings.Contains(snap.Via.Notice(), tt.notice) || !strings.Contains(snap.Via.Notice(), "contacts?segmentid instead") {
					t.Fatalf("via %+v, notice %q", snap.Via, snap.Via.Notice())
				}

				// Remembered: the next read does not ask segment matching.
				before := s.sim.Gate().Stats().ByEndpoint["GET /api/3/segmentMatchAll/{segment}"]
				snap, err = s.client.Snapshot(ctx, ref, nil, nil)
				after := s.sim.Gate().Stats().ByEndpoint["GET /api/3/segmentMatchAll/{segment}"]
				if err != nil || snap.Via.Way != WayContacts || snap.Via.Fallback == "" || after != before {
					t.Fatalf("second read via %+v (%d segment-match calls), %v", snap.Via, after-before, err)
				}
				if _, err := s.client.IsMember(ctx, ref, autocred.ContactID(ids[0])); tt.m.Refuse != "" && !errors.Is(err, ErrMatchUnavailable) {
					t.Fatalf("IsMember on a refused segment: %v, want ErrMatchUnavailable", err)
				}

				// Segment matching works again: it is used once the period is over.
				if err := s.sim.SetSegmentMatch("acme", simac.SegmentMatchAvailability{}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(350 * time.Millisecond)
				snap, err = s.client.Snapshot(ctx, ref, nil, nil)
				if err != nil || snap.Via != (Via{Way: WayMatch}) || len(snap.IDs) != 120 {
					t.Fatalf("after the period: %d ids via %+v, %v", len(snap.IDs), snap.Via, err)
				}
			})
		}
	}
}

// A UUID under the docs' reading: segment matching refused and
// contacts?segmentid refusing UUIDs. The error names both answers.
func TestSnapshotWhenNeitherWayWorks(t *testing.T) {
	s := newSandbox(t, simac.Options{SegmentMatch: simac.SegmentMatchAvailability{Refuse: simac.MatchRefusesAll}}, Config{})
	seg := s.segment(t, false)
	_, err := s.client.Snapshot(context.Background(), seg.ID, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "segmentMatchAll") || !strings.Contains(err.Error(), "contacts?segmentid") {
		t.Fatalf("err = %v; want both answers", err)
	}
}

// An empty answer of contacts?segmentid stays unconfirmed after a
// fallback, under both readings.
func TestFallbackToAnEmptySegmentIsUnconfirmed(t *testing.T) {
	for _, rd := range readings {
		t.Run(rd.name, func(t *testing.T) {
			s := newSandbox(t, simac.Options{LegacyReading: rd.r, SegmentMatch: simac.SegmentMatchAvailability{Refuse: simac.MatchRefusesAll}},
				Config{EvaluationTimeout: 200 * time.Millisecond})
			s.importContacts(t, 5, 0)
			seg := s.segment(t, true)
			snap, err := s.client.Snapshot(context.Background(), strconv.FormatInt(seg.LegacyID, 10), nil, nil)
			if err != nil || len(snap.IDs) != 0 || !snap.Unconfirmed || snap.Via.Way != WayContacts {
				t.Fatalf("snapshot %+v, %v; want empty, unconfirmed, via contacts", snap, err)
			}
		})
	}
}
