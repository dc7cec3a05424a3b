package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// The two readings of the open question on contacts?segmentid&forceQuery
// (docs/sandboxes.md): the documentation's, and the one Pipedream's segment
// source relies on.
var (
	docsReading      = simac.LegacyReading{ForcedQuery: simac.ForcedQueryStartsEvaluation}
	pipedreamReading = simac.LegacyReading{ForcedQuery: simac.ForcedQueryReturnsMembers, AudienceIDs: true}
)

// pickerCount counts how often the segment picker lists an id.
func (w *world) pickerCount(acConn int64) map[string]int {
	w.t.Helper()
	var list struct {
		Segments []struct {
			ID string `json:"id"`
		} `json:"segments"`
	}
	w.mustCall("GET", fmt.Sprintf("/api/v1/connections/%d/segments", acConn), nil, &list, 200)
	out := map[string]int{}
	for _, s := range list.Segments {
		out[s.ID]++
	}
	return out
}

// A segment that /audiences lists by its numeric id: picked once from the
// list (the hidden legacy segment is not offered), and an entry found by a
// webhook hint and one found by a sync each get one credential, whether or
// not segment matching takes numeric ids.
func TestNumericAudienceSegmentIssuesOnEntry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reading simac.LegacyReading
		match   simac.SegmentMatchAvailability
		notice  bool
	}{
		{"segment matching takes numeric ids", docsReading, simac.SegmentMatchAvailability{}, false},
		{"segment matching refuses numeric ids", pipedreamReading, simac.SegmentMatchAvailability{Refuse: simac.MatchRefusesNumeric, Status: 400}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{hints: true, poll: 10 * time.Minute,
				ac: simac.Options{LegacyReading: tt.reading, SegmentMatch: tt.match}})
			acConn, certConn := w.connect()
			ids := w.importContacts(contact("Base", "Member"), contact("Hinted", "Entrant"))
			w.tag("Webinar", ids[0])
			seg, err := w.ac.DefineSegment(acAccount, simac.SegmentDef{Name: "Webinar Attendees", Legacy: true, Audience: true,
				Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Webinar"}}})
			must(t, err)
			hidden, err := w.ac.DefineSegment(acAccount, simac.SegmentDef{Name: "Webinar follow-up", Legacy: true, Hidden: true,
				Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Webinar"}}})
			must(t, err)
			numeric := strconv.FormatInt(seg.LegacyID, 10)
			if got := w.pickerCount(acConn); got[numeric] != 1 || got[strconv.FormatInt(hidden.LegacyID, 10)] != 0 {
				t.Fatalf("the picker lists the numeric audience %d times and the hidden segment %d times; want 1 and 0",
					got[numeric], got[strconv.FormatInt(hidden.LegacyID, 10)])
			}
			seg.ID = numeric
			a := w.automation(acConn, certConn, seg, w.group("Webinar"), nil)
			w.waitFor("the webhook", 30*time.Second, func() bool { return len(w.acWebhooks()) == 1 })

			w.tag("Webinar", ids[1]) // a webhook hint
			w.waitFor("the hinted entrant's credential", 20*time.Second, func() bool { return len(w.cert.Credentials(workspace)) == 1 })
			// Imports fire no webhook: only a sync finds this one.
			w.importContacts(simac.ContactInput{Email: "synced.entrant@example.com", FirstName: "Synced", LastName: "Entrant", Tags: []string{"Webinar"}})
			w.mustCall("POST", fmt.Sprintf("/api/v1/automations/%d/sync", a.ID), nil, nil, 202)
			w.waitFor("the synced entrant's credential", 20*time.Second, func() bool { return len(w.cert.Credentials(workspace)) == 2 })

			creds := w.credentials()
			if len(creds["hinted.entrant@example.com"]) != 1 || len(creds["synced.entrant@example.com"]) != 1 || len(creds["base.member@example.com"]) != 0 {
				t.Fatalf("credentials by email: %v", creds)
			}
			if st := w.automationNow(a.ID); (st.SyncNotice != "") != tt.notice || st.Status != "active" {
				t.Fatalf("automation %+v; want a notice: %v", st, tt.notice)
			}
		})
	}
}

// Segment matching unavailable on the account (every call refused, or
// every run failing): the automation reads its segment through
// contacts?segmentid, says so, and gives each entrant exactly one
// credential, found by a hint or a sync, under both readings.
func TestSegmentMatchUnavailableFallsBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reading simac.LegacyReading
		match   simac.SegmentMatchAvailability
		legacy  bool // a numeric id; else a UUID
		notice  string
	}{
		{"refused (403), docs' reading, numeric id", docsReading, simac.SegmentMatchAvailability{Refuse: simac.MatchRefusesAll}, true, "segment-match API refused this segment"},
		{"runs fail, Pipedream's reading, UUID", pipedreamReading, simac.SegmentMatchAvailability{RunsFail: true}, false, "segment-match runs for this segment kept failing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{hints: true, ac: simac.Options{LegacyReading: tt.reading, SegmentMatch: tt.match}})
			acConn, certConn := w.connect()
			ids := w.importContacts(contact("Base", "One"), contact("Base", "Two"), contact("Hinted", "Entrant"))
			w.tag("Done", ids[0], ids[1])
			seg, err := w.ac.DefineSegment(acAccount, simac.SegmentDef{Name: "Completers", Legacy: tt.legacy, Audience: tt.legacy,
				Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Done"}}})
			must(t, err)
			if tt.legacy {
				seg.ID = strconv.FormatInt(seg.LegacyID, 10)
			}
			a := w.automation(acConn, certConn, seg, w.group("Course"), nil)
			if st := w.automationNow(a.ID); !strings.Contains(st.SyncNotice, tt.notice) || !strings.Contains(st.SyncNotice, "contacts?segmentid instead") {
				t.Fatalf("sync notice %q; want it to say %q and which way is used", st.SyncNotice, tt.notice)
			}

			w.tag("Done", ids[2]) // a webhook hint
			w.importContacts(simac.ContactInput{Email: "synced.entrant@example.com", FirstName: "Synced", LastName: "Entrant", Tags: []string{"Done"}})
			w.waitFor("two credentials", 20*time.Second, func() bool { return len(w.cert.Credentials(workspace)) == 2 })
			w.settle(a.ID)

			creds, emails := w.credentials(), w.emails()
			for _, e := range []string{"hinted.entrant@example.com", "synced.entrant@example.com"} {
				if len(creds[e]) != 1 || emails[e] != 1 {
					t.Errorf("%s: %d credentials, %d emails; want 1 and 1", e, len(creds[e]), emails[e])
				}
			}
			if len(creds) != 2 {
				t.Errorf("credentials by email: %v", creds)
			}
			if st := w.automationNow(a.ID); st.Status != "active" || st.LastSyncError != "" || st.SyncNotice == "" {
				t.Errorf("automation after settling: %+v", st)
			}
		})
	}
}
