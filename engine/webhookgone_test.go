package engine_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/store"
)

// webhookFixture is an engine that testenv builds with hints on and
// leaves stopped, with the ActiveCampaign sandbox behind an optional
// rewriting proxy and one active automation, so that tests reconcile the
// webhooks themselves (as a webhooks job does).
type webhookFixture struct {
	ac     *simac.Server
	store  *store.DB
	engine *engine.Engine
	conn   int64
}

func newWebhookFixture(t *testing.T, rewrite func(r *http.Request, status int, body []byte) (int, []byte)) *webhookFixture {
	t.Helper()
	ctx := context.Background()
	env := testenv.New(t, testenv.Options{Stopped: true, WrapAC: rewriting(rewrite),
		Engine: func(c *engine.Config) { c.PublicURL = "http://autocred.test" }})
	f := &webhookFixture{ac: env.AC, store: env.Store, engine: env.Engine}
	ac := autocred.Connection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL, SecretHint: "…cdef"}
	crt := autocred.Connection{App: autocred.AppCertifier, Name: "Certifier", APIURL: "http://certifier.invalid/v1", SecretHint: "…cdef"}
	for _, c := range []*autocred.Connection{&ac, &crt} {
		if err := f.store.CreateConnection(ctx, c, env.Box.Seal(testenv.ACKey)); err != nil {
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
	return f
}

// rewriting wraps the sandbox so that rewrite may change each answer's
// status and body; nil leaves the sandbox as it is.
func rewriting(rewrite func(r *http.Request, status int, body []byte) (int, []byte)) func(http.Handler) http.Handler {
	if rewrite == nil {
		return nil
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			status, body := rewrite(r, rec.Code, rec.Body.Bytes())
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(status)
			_, _ = io.Copy(w, bytes.NewReader(body))
		})
	}
}

func (f *webhookFixture) reconcile(t *testing.T) store.Webhook {
	t.Helper()
	if err := f.engine.ReconcileWebhooks(context.Background()); err != nil {
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
	req := httptest.NewRequest("DELETE", "/"+testenv.ACAccount+"/api/3/webhooks/"+strconv.FormatInt(id, 10), nil)
	req.Header.Set("Api-Token", testenv.ACKey)
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
	if err := f.ac.DisableWebhook(testenv.ACAccount, int64(first.ID)); err != nil {
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
	hooks, _ := f.ac.Webhooks(testenv.ACAccount)
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
