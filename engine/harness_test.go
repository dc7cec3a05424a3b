package engine

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/accounts"
	"github.com/autocred/autocred/internal/secret"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testlog"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
	"github.com/autocred/autocred/store"
)

// harness runs an Engine against both sandboxes over HTTP.
type harness struct {
	t       *testing.T
	ac      *simac.Server
	cert    *simcert.Server
	store   *store.DB
	engine  *Engine
	box     *secret.Box
	acConn  int64
	crtConn int64
	group   simcert.Group
}

// newHarness runs the engine on a database of the kind ("sqlite" or
// "postgres").
func newHarness(t *testing.T, kind string, acOpts simac.Options, certOpts simcert.Options) *harness {
	t.Helper()
	return newHarnessWith(t, kind, acOpts, certOpts, harnessOptions{})
}

// harnessOptions changes what newHarness builds.
type harnessOptions struct {
	// acWrap wraps the ActiveCampaign sandbox's handler, e.g. to act when
	// a request arrives.
	acWrap func(http.Handler) http.Handler
	// config changes the engine's and the clients' configuration.
	config func(*Config, *accounts.Config)
}

func newHarnessWith(t *testing.T, kind string, acOpts simac.Options, certOpts simcert.Options, o harnessOptions) *harness {
	t.Helper()
	if acOpts.MatchRunDelay == 0 {
		acOpts.MatchRunDelay = 20 * time.Millisecond
	}
	if acOpts.LegacyEvalDelay == 0 {
		acOpts.LegacyEvalDelay = 20 * time.Millisecond
	}
	h := &harness{t: t, ac: simac.New(acOpts), cert: simcert.New(certOpts)}
	var acHandler http.Handler = h.ac
	if o.acWrap != nil {
		acHandler = o.acWrap(h.ac)
	}
	acSrv, certSrv := httptest.NewServer(acHandler), httptest.NewServer(h.cert)
	t.Cleanup(func() { acSrv.Close(); certSrv.Close(); h.ac.Close() })
	if err := h.ac.AddAccount("acme", "ac-key-0001"); err != nil {
		t.Fatal(err)
	}
	if err := h.cert.AddWorkspace("acme", "cert-token-0001"); err != nil {
		t.Fatal(err)
	}
	var err error
	if h.group, err = h.cert.AddGroup("acme", simcert.GroupInput{Name: "Course Completion"}); err != nil {
		t.Fatal(err)
	}
	if err := h.cert.AddAttribute("acme", "custom.course_name", "Course Name"); err != nil {
		t.Fatal(err)
	}

	if h.store, err = store.Open(context.Background(), testdb.DSN(t, kind)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })
	ctx := context.Background()
	if err := h.store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key, _ := secret.LoadKey("", filepath.Join(t.TempDir(), "key"))
	h.box, _ = secret.NewBox(key)
	ac := autocred.Connection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: acSrv.URL + "/acme", SecretHint: "…0001"}
	if err := h.store.CreateConnection(ctx, &ac, h.box.Seal("ac-key-0001")); err != nil {
		t.Fatal(err)
	}
	crt := autocred.Connection{App: autocred.AppCertifier, Name: "Certifier", APIURL: certSrv.URL + "/v1", SecretHint: "…0001"}
	if err := h.store.CreateConnection(ctx, &crt, h.box.Seal("cert-token-0001")); err != nil {
		t.Fatal(err)
	}
	h.acConn, h.crtConn = ac.ID, crt.ID

	cc := accounts.Config{Box: h.box, ACPollInterval: 10 * time.Millisecond, ACPerSecond: -1, CertifierPerSecond: -1}
	cfg := Config{
		Logger:        failureLog(t),
		Store:         h.store,
		Box:           h.box,
		PollInterval:  100 * time.Millisecond,
		ScheduleEvery: 50 * time.Millisecond,
	}
	if o.config != nil {
		o.config(&cfg, &cc)
	}
	if cfg.Circuits != nil {
		cc.Breakers = cfg.Circuits
	}
	cfg.Clients = accounts.New(cc)
	h.engine, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.engine.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = h.engine.Stop(sctx)
	})
	return h
}

// segment defines a segment of contacts tagged tag.
func (h *harness) segment(name, tag string) simac.Segment {
	h.t.Helper()
	seg, err := h.ac.DefineSegment("acme", simac.SegmentDef{Name: name, Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: tag}}})
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
	if err := h.store.CreateAutomation(ctx, &a); err != nil {
		h.t.Fatal(err)
	}
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

func (h *harness) importContacts(in ...simac.ContactInput) []int64 {
	h.t.Helper()
	ids, err := h.ac.Import("acme", in)
	if err != nil {
		h.t.Fatal(err)
	}
	return ids
}

func (h *harness) tag(tag string, ids ...int64) {
	h.t.Helper()
	if err := h.ac.BulkTag("acme", ids, tag, false); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) untag(tag string, ids ...int64) {
	h.t.Helper()
	if err := h.ac.BulkTag("acme", ids, tag, true); err != nil {
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
	for _, c := range h.cert.Credentials("acme") {
		if c.Recipient.Email == email {
			n++
		}
	}
	return n
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

// failureLog returns a logger whose lines are shown only if the test fails:
// the engine's story of a timed-out wait, without noise from passing tests.
func failureLog(t *testing.T) *slog.Logger {
	w := &testlog.Buffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("engine log:\n%s", w.String())
		}
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
