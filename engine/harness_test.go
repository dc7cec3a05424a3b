package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
	"github.com/autocred/autocred/store"
	"github.com/autocred/autocred/store/storetest"
)

// harness runs the engine, built by internal/testenv as every package's
// tests build autocred, with a connection to each sandbox and a Certifier
// group to issue into.
type harness struct {
	t       *testing.T
	env     *testenv.Env
	ac      *simac.Server
	cert    *simcert.Server
	store   *store.DB
	engine  *engine.Engine
	acConn  int64
	crtConn int64
	group   simcert.Group
}

func newHarness(t *testing.T, opts testenv.Options) *harness {
	t.Helper()
	env := testenv.New(t, opts)
	h := &harness{t: t, env: env, ac: env.AC, cert: env.Certifier, store: env.Store, engine: env.Engine}
	var err error
	if h.group, err = h.cert.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Course Completion"}); err != nil {
		t.Fatal(err)
	}
	if err := h.cert.AddAttribute(testenv.CertWorkspace, "custom.course_name", "Course Name"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ac, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "AC",
		APIURL: env.ACURL, APIKey: testenv.ACKey})
	if err != nil {
		t.Fatal(err)
	}
	crt, err := env.Service.CreateConnection(ctx, service.NewConnection{App: autocred.AppCertifier, Name: "Certifier",
		APIURL: env.CertifierURL, AccessToken: testenv.CertifierToken})
	if err != nil {
		t.Fatal(err)
	}
	h.acConn, h.crtConn = ac.ID, crt.ID
	return h
}

// forEachDB runs an engine test on each database: the engine's rules must
// hold the same on SQLite and PostgreSQL.
func forEachDB(t *testing.T, test func(t *testing.T, kind string)) {
	for _, kind := range testdb.Kinds {
		t.Run(kind, func(t *testing.T) { test(t, kind) })
	}
}

// segment defines a segment of contacts tagged tag.
func (h *harness) segment(name, tag string) simac.Segment {
	h.t.Helper()
	seg, err := h.ac.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: name, Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: tag}}})
	if err != nil {
		h.t.Fatal(err)
	}
	return seg
}

// automation creates and activates an automation on a segment, and waits
// for its baseline.
func (h *harness) automation(seg simac.Segment, mutate func(*autocred.Automation)) autocred.Automation {
	h.t.Helper()
	ctx := context.Background()
	a := h.draft(seg, mutate)
	if err := h.store.ActivateAutomation(ctx, a.ID); err != nil {
		h.t.Fatal(err)
	}
	if err := h.engine.WebhooksChanged(ctx); err != nil { // as the service does on activation
		h.t.Fatal(err)
	}
	h.waitFor("baseline of "+a.Name, func() bool {
		got, _ := h.store.Automation(ctx, a.ID)
		return got.Status == autocred.AutomationActive
	})
	got, _ := h.store.Automation(ctx, a.ID)
	return got
}

// draft creates an automation on a segment, not yet activated.
func (h *harness) draft(seg simac.Segment, mutate func(*autocred.Automation)) autocred.Automation {
	h.t.Helper()
	a := autocred.Automation{
		Name:    "Certificates for " + seg.Name,
		Trigger: autocred.Trigger{ConnectionID: h.acConn, SegmentID: seg.ID, SegmentName: seg.Name},
		Action: autocred.Action{ConnectionID: h.crtConn, GroupID: h.group.ID, GroupName: h.group.Name,
			RecipientName: "{{contact.firstName}} {{contact.lastName}}", RecipientEmail: "{{contact.email}}",
			IssueDate: "{{today}}", ExpiryDate: "{{today+1y}}", Issue: true, Send: true},
	}
	if mutate != nil {
		mutate(&a)
	}
	if _, err := a.Validate(); err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.CreateAutomation(context.Background(), &a); err != nil {
		h.t.Fatal(err)
	}
	return a
}

func (h *harness) importContacts(in ...simac.ContactInput) []int64 {
	h.t.Helper()
	ids, err := h.ac.Import(testenv.ACAccount, in)
	if err != nil {
		h.t.Fatal(err)
	}
	return ids
}

func (h *harness) tag(tag string, ids ...int64) {
	h.t.Helper()
	if err := h.ac.BulkTag(testenv.ACAccount, ids, tag, false); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) untag(tag string, ids ...int64) {
	h.t.Helper()
	if err := h.ac.BulkTag(testenv.ACAccount, ids, tag, true); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	// Generous: under the race detector on two busy cores a sync can take
	// a second; the condition is what is tested, not the speed.
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// credentialsFor counts the credentials Certifier holds for an email.
func (h *harness) credentialsFor(email string) int {
	n := 0
	for _, c := range h.cert.Credentials(testenv.CertWorkspace) {
		if c.Recipient.Email == email {
			n++
		}
	}
	return n
}

// attributes maps the email of each credential's recipient to the value
// of one of its custom attributes (the last credential's, for several).
func (h *harness) attributes(name string) map[string]string {
	byEmail := map[string]string{}
	for _, c := range h.cert.Credentials(testenv.CertWorkspace) {
		byEmail[c.Recipient.Email] = c.CustomAttributes[name]
	}
	return byEmail
}

// runs returns an automation's runs by status.
func (h *harness) runs(automationID int64) map[autocred.RunStatus][]autocred.Run {
	h.t.Helper()
	all, _, err := h.store.Runs(context.Background(), autocred.RunFilter{AutomationID: automationID, Limit: 500})
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[autocred.RunStatus][]autocred.Run{}
	for _, r := range all {
		out[r.Status] = append(out[r.Status], r)
	}
	return out
}

// settle waits until an automation has no pending run and two syncs that
// started after the call have completed, so that anything left to happen
// has happened. (Counting any two syncs is not enough: one that read the
// segment before a change may finish after the call.)
func (h *harness) settle(a autocred.Automation) {
	h.t.Helper()
	h.waitFor("runs to finish", func() bool { return len(h.runs(a.ID)[autocred.RunPending]) == 0 })
	since := time.Now()
	for range 2 {
		h.waitFor("a sync that started after the last", func() bool {
			now, _ := h.store.Automation(context.Background(), a.ID)
			if now.LastSyncAt.After(since) {
				since = now.LastSyncAt
				return true
			}
			return false
		})
	}
	h.waitFor("runs to finish", func() bool { return len(h.runs(a.ID)[autocred.RunPending]) == 0 })
}

// anasRun stores a new active automation and a run of it, with no
// attempt yet, for Ana (contact 900001): for tests that work one run's
// issue job by hand.
func (h *harness) anasRun() (autocred.Automation, autocred.Run) {
	h.t.Helper()
	a := h.automation(h.segment("Done", "Done"), nil)
	run := autocred.Run{AutomationID: a.ID, ContactID: 900_001, Entry: 1, Email: "ana@example.com",
		Contact: autocred.Contact{ID: 1, Email: "ana@example.com", FirstName: "Ana"}}
	if err := storetest.InsertRun(context.Background(), h.store, &run); err != nil {
		h.t.Fatal(err)
	}
	return a, run
}
