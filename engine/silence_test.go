package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/internal/accounts"
	"github.com/autocred/autocred/internal/secret"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testlog"
	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/store"
)

func TestMissedDelivery(t *testing.T) {
	reg := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	hook := store.Webhook{ID: 7, RegisteredAt: reg}
	delivered := hook
	delivered.DeliveryAt = reg.Add(time.Hour)
	for _, tc := range []struct {
		name  string
		h     store.Webhook
		udate time.Time
		want  bool
	}{
		{"changed after registration, nothing delivered", hook, reg.Add(time.Minute), true},
		{"changed before registration", hook, reg.Add(-time.Minute), false},
		{"no webhook", store.Webhook{}, reg.Add(time.Minute), false},
		{"registered before the time was recorded", store.Webhook{ID: 7}, reg, false},
		{"changed before the last delivery", delivered, reg.Add(30 * time.Minute), false},
		{"changed within the recording slack of the last delivery", delivered, delivered.DeliveryAt.Add(deliveryRecordEvery), false},
		{"changed after the last delivery", delivered, delivered.DeliveryAt.Add(2 * deliveryRecordEvery), true},
	} {
		if got := missedDelivery(tc.h, tc.udate); got != tc.want {
			t.Errorf("%s: missedDelivery = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSilentWebhook(t *testing.T) {
	const grace, every = 2 * time.Minute, time.Hour
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	silent := store.Webhook{ID: 7, Missed: 2, MissedFirst: now.Add(-10 * time.Minute), MissedLast: now.Add(-5 * time.Minute)}
	with := func(f func(*store.Webhook)) store.Webhook { h := silent; f(&h); return h }
	for _, tc := range []struct {
		name string
		h    store.Webhook
		want bool
	}{
		{"two changes 5 min apart, the last 5 min ago", silent, true},
		{"one missed delivery", with(func(h *store.Webhook) { h.Missed = 1 }), false},
		{"one import: changes within the grace", with(func(h *store.Webhook) { h.Missed = 500; h.MissedFirst = h.MissedLast.Add(-time.Minute) }), false},
		{"the last change's delivery may still come", with(func(h *store.Webhook) { h.MissedLast = now.Add(-time.Minute) }), false},
		{"registered again 30 min ago", with(func(h *store.Webhook) { h.RenewedAt = now.Add(-30 * time.Minute) }), false},
		{"registered again 2 h ago", with(func(h *store.Webhook) { h.RenewedAt = now.Add(-2 * time.Hour) }), true},
		{"no webhook", with(func(h *store.Webhook) { h.ID = 0 }), false},
	} {
		if got := silentWebhook(tc.h, now, grace, every); got != tc.want {
			t.Errorf("%s: silentWebhook = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWebhookGone(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&activecampaign.Error{Status: 404, Message: "No Result found for Webhook with id 3"}, true},
		{&activecampaign.Error{Status: 403, Message: "No Result found for Webhook with id 3"}, true},
		{&activecampaign.Error{Status: 403, Message: "You do not have permission to view webhooks"}, false},
		{&activecampaign.Error{Status: 401, Message: "Unauthorized"}, false},
		{&activecampaign.Error{Status: 500, Message: "No Result found"}, false},
		{errors.New("connection refused"), false},
	} {
		if got := webhookGone(tc.err); got != tc.want {
			t.Errorf("webhookGone(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// webhookFixture is an engine that is not started, with hints on, an
// ActiveCampaign sandbox behind an optional rewriting proxy, and one
// active automation, so that tests call reconcileWebhooks themselves.
type webhookFixture struct {
	ac     *simac.Server
	store  *store.DB
	engine *Engine
	conn   int64
}

func newWebhookFixture(t *testing.T, rewrite func(r *http.Request, status int, body []byte) (int, []byte)) *webhookFixture {
	t.Helper()
	ctx := context.Background()
	f := &webhookFixture{ac: simac.New(simac.Options{RatePerSecond: -1})}
	acSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		f.ac.ServeHTTP(rec, r)
		status, body := rec.Code, rec.Body.Bytes()
		if rewrite != nil {
			status, body = rewrite(r, status, body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(status)
		_, _ = io.Copy(w, bytes.NewReader(body))
	}))
	t.Cleanup(func() { acSrv.Close(); f.ac.Close() })
	if err := f.ac.AddAccount("acme", "ac-key-0001"); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.store, err = store.Open(ctx, testdb.DSN(t, "sqlite")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	if err := f.store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key, _ := secret.CreateKeyFile(filepath.Join(t.TempDir(), "key"))
	box, _ := secret.NewBox(key)
	ac := autocred.Connection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: acSrv.URL + "/acme", SecretHint: "…0001"}
	crt := autocred.Connection{App: autocred.AppCertifier, Name: "Certifier", APIURL: "http://certifier.invalid/v1", SecretHint: "…0001"}
	for _, c := range []*autocred.Connection{&ac, &crt} {
		if err := f.store.CreateConnection(ctx, c, box.Seal("ac-key-0001")); err != nil {
			t.Fatal(err)
		}
	}
	f.conn = ac.ID
	a := autocred.Automation{Name: "Watching", Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: "1", SegmentName: "S"},
		Action: autocred.Action{ConnectionID: crt.ID, GroupID: "g", GroupName: "G", RecipientName: "{{contact.firstName}}",
			RecipientEmail: "{{contact.email}}", IssueDate: "{{today}}", Issue: true, Send: true}}
	if _, err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateAutomation(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetAutomationStatus(ctx, a.ID, autocred.AutomationActive, ""); err != nil {
		t.Fatal(err)
	}
	f.engine, err = New(Config{Logger: testlog.OnFailure(t), Store: f.store, PublicURL: "http://autocred.test", Box: box,
		Clients: accounts.New(accounts.Config{Box: box, ACPerSecond: -1, CertifierPerSecond: -1})})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *webhookFixture) reconcile(t *testing.T) store.Webhook {
	t.Helper()
	if err := f.engine.reconcileWebhooks(context.Background()); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	h, _, err := f.store.WebhookOf(context.Background(), f.conn)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// deleteInApp deletes a webhook as a user in ActiveCampaign's app would.
func (f *webhookFixture) deleteInApp(t *testing.T, id int64) {
	t.Helper()
	req := httptest.NewRequest("DELETE", "/acme/api/3/webhooks/"+strconv.FormatInt(id, 10), nil)
	req.Header.Set("Api-Token", "ac-key-0001")
	rec := httptest.NewRecorder()
	f.ac.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("deleting webhook %d: %d %s", id, rec.Code, rec.Body)
	}
}

// A webhook deleted in the app is registered again whether ActiveCampaign
// says so with a 404 or with a 403 "No Result found", and the connection
// stays as it is.
func TestGoneWebhookIsRegisteredAgain(t *testing.T) {
	webhookPath := regexp.MustCompile(`/api/3/webhooks/\d+$`)
	for _, status := range []int{http.StatusNotFound, http.StatusForbidden} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			f := newWebhookFixture(t, func(r *http.Request, got int, body []byte) (int, []byte) {
				if got == http.StatusNotFound && webhookPath.MatchString(r.URL.Path) {
					return status, body // "No Result found for Webhook with id N"
				}
				return got, body
			})
			first := f.reconcile(t)
			if first.ID == 0 || first.RegisteredAt.IsZero() || first.Notice != "" {
				t.Fatalf("first registration: %+v", first)
			}
			f.deleteInApp(t, int64(first.ID))
			again := f.reconcile(t)
			if again.ID == 0 || again.ID == first.ID {
				t.Fatalf("not registered again: %+v", again)
			}
			if !strings.Contains(again.Notice, "deleted on ActiveCampaign's side") || !strings.Contains(again.Notice, strconv.Itoa(status)) {
				t.Errorf("notice: %q", again.Notice)
			}
			conn, err := f.store.Connection(context.Background(), f.conn)
			if err != nil || conn.Status != autocred.ConnectionOK {
				t.Errorf("connection: %+v, %v", conn, err)
			}
		})
	}
}

// A silent webhook (still listed, no longer sending) is deleted and created
// again in 2 calls, once; and not again before WebhookRenewEvery.
func TestSilentWebhookIsRegisteredAgain(t *testing.T) {
	ctx := context.Background()
	f := newWebhookFixture(t, nil)
	first := f.reconcile(t)
	if err := f.ac.DisableWebhook("acme", int64(first.ID)); err != nil {
		t.Fatal(err)
	}
	// A check sees nothing wrong: the webhook is listed as before.
	if h := f.reconcile(t); h.ID != first.ID || h.Notice != "" {
		t.Fatalf("after a check: %+v", h)
	}
	// Two changes found by polling, 5 minutes apart, none delivered.
	change := time.Now().Add(-10 * time.Minute)
	first.RegisteredAt = change.Add(-time.Hour)
	if err := f.store.RegisterWebhook(ctx, f.conn, first.ID, first.RegisteredAt, ""); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.store.WebhookMissed(ctx, first, 1, change, change); !ok || err != nil {
		t.Fatalf("WebhookMissed: %v, %v", ok, err)
	}
	if ok, err := f.store.WebhookMissed(ctx, first, 1, change.Add(5*time.Minute), change.Add(5*time.Minute)); !ok || err != nil {
		t.Fatalf("WebhookMissed: %v, %v", ok, err)
	}
	before := f.ac.Gate().Stats().Requests
	again := f.reconcile(t)
	if calls := f.ac.Gate().Stats().Requests - before; calls != 2 {
		t.Errorf("%d calls to register the webhook again, want 2 (DELETE, POST)", calls)
	}
	if again.ID == first.ID || again.Missed != 0 || !strings.Contains(again.Notice, "stopped sending webhook deliveries") {
		t.Fatalf("after the renewal: %+v", again)
	}
	hooks, _ := f.ac.Webhooks("acme")
	if len(hooks) != 1 || hooks[0].Disabled || autocred.WebhookID(hooks[0].ID) != again.ID {
		t.Fatalf("sandbox webhooks: %+v", hooks)
	}
	t.Logf("notice: %s", again.Notice)

	// Silent again at once: not registered again within WebhookRenewEvery.
	again.RegisteredAt = change.Add(-time.Hour)
	if err := f.store.RegisterWebhook(ctx, f.conn, again.ID, again.RegisteredAt, ""); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{change, change.Add(5 * time.Minute)} {
		if ok, err := f.store.WebhookMissed(ctx, again, 1, at, at); !ok || err != nil {
			t.Fatalf("WebhookMissed: %v, %v", ok, err)
		}
	}
	if h := f.reconcile(t); h.ID != again.ID {
		t.Errorf("registered again within the minimum interval: %+v", h)
	}

	// A delivery resets the count, and a count read before it is not added.
	seen, _, _ := f.store.WebhookOf(ctx, f.conn)
	if err := f.store.WebhookDelivered(ctx, f.conn, time.Now()); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.store.WebhookMissed(ctx, seen, 1, time.Now(), time.Now()); ok {
		t.Error("a stale count was added after a delivery")
	}
	if h, _, _ := f.store.WebhookOf(ctx, f.conn); h.Missed != 0 || h.DeliveryAt.IsZero() {
		t.Errorf("after a delivery: %+v", h)
	}
}
