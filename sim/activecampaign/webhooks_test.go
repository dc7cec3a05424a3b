package activecampaign_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// receiver records webhook deliveries and answers status.
type receiver struct {
	mu     sync.Mutex
	forms  []url.Values
	ctype  string
	status int
	ts     *httptest.Server
}

func newReceiver(t *testing.T, status int) *receiver {
	rc := &receiver{status: status}
	rc.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("delivery is not a form: %v", err)
		}
		rc.mu.Lock()
		rc.forms = append(rc.forms, r.PostForm)
		rc.ctype = r.Header.Get("Content-Type")
		rc.mu.Unlock()
		w.WriteHeader(rc.status)
	}))
	t.Cleanup(rc.ts.Close)
	return rc
}

func (rc *receiver) got() []url.Values {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]url.Values(nil), rc.forms...)
}

func (e *env) hook(u string, events, sources []string, listid int) string {
	e.t.Helper()
	m := e.api("POST", "/webhooks", map[string]any{"webhook": map[string]any{
		"name": "w", "url": u, "events": events, "sources": sources, "listid": listid}}, 201)
	return get(m, "webhook", "id").(string)
}

// settle waits until no delivery is pending.
func (e *env) settle() simac.DeliveryStats {
	e.t.Helper()
	var st simac.DeliveryStats
	eventually(e.t, 5*time.Second, "deliveries", func() bool {
		st = e.srv.Deliveries()
		return st.Pending == 0
	})
	return st
}

var allSources = []string{"public", "admin", "api", "system"}

func TestWebhookCRUDAndValidation(t *testing.T) {
	e := newEnv(t, simac.Options{})
	bad := []map[string]any{
		{"url": "http://x.example/h", "events": []string{"update"}, "sources": allSources},
		{"name": "w", "events": []string{"update"}, "sources": allSources},
		{"name": "w", "url": "http://x.example/h", "sources": allSources},
		{"name": "w", "url": "http://x.example/h", "events": []string{"update"}},
		{"name": "w", "url": "http://x.example/h", "events": []string{"entered_segment"}, "sources": allSources},
		{"name": "w", "url": "http://x.example/h", "events": []string{"update"}, "sources": []string{"robot"}},
		{"name": "w", "url": "not a url", "events": []string{"update"}, "sources": allSources},
	}
	for i, b := range bad {
		r := e.do("POST", "/acme/api/3/webhooks", map[string]any{"webhook": b})
		if r.status != 422 || get(r.json(t), "errors", 0, "title") == nil {
			t.Errorf("case %d: %d %s", i, r.status, r.body)
		}
	}
	id := e.hook("http://x.example/h", []string{"update"}, allSources, 0)
	w := e.api("GET", "/webhooks/"+id, nil, 200)
	if get(w, "webhook", "listid") != "0" || get(w, "webhook", "events", 0) != "update" {
		t.Fatalf("webhook: %v", w)
	}
	// Tests see the same webhook without spending the account's requests.
	if hooks, err := e.srv.Webhooks("acme"); err != nil || len(hooks) != 1 || strconv.FormatInt(hooks[0].ID, 10) != id ||
		hooks[0].URL != "http://x.example/h" || !slices.Equal(hooks[0].Events, []string{"update"}) {
		t.Errorf("Webhooks = %+v, %v", hooks, err)
	}
	if l := e.api("GET", "/webhooks?filters[name]=w", nil, 200); get(l, "meta", "total") != "1" {
		t.Fatalf("list: %v", l)
	}
	e.api("DELETE", "/webhooks/"+id, nil, 200)
	if r := e.do("GET", "/acme/api/3/webhooks/"+id, nil); r.status != 404 {
		t.Fatalf("deleted: %d", r.status)
	}
}

func TestWebhookDeliveries(t *testing.T) {
	e := newEnv(t, simac.Options{})
	rc := newReceiver(t, 200)
	ids := e.importContacts(
		simac.ContactInput{Email: "ana@example.com", FirstName: "Ana", Tags: []string{"trial"}, Fields: map[string]string{"PLAN": "pro"}},
		simac.ContactInput{Email: "bo@example.com"},
	)
	e.hook(rc.ts.URL+"/all", []string{"update", "contact_tag_added", "contact_tag_removed", "subscribe", "unsubscribe"}, allSources, 0)
	e.hook(rc.ts.URL+"/adminonly", []string{"contact_tag_added"}, []string{"admin"}, 0)

	// Import fires nothing.
	e.importContacts(simac.ContactInput{Email: "cy@example.com", Tags: []string{"x"}})
	if st := e.settle(); st.Queued != 0 {
		t.Fatalf("import fired webhooks: %+v", st)
	}

	e.api("PUT", "/contacts/1", map[string]any{"contact": map[string]any{"lastName": "Lee"}}, 200)
	e.settle()
	got := rc.got()
	if len(got) != 1 {
		t.Fatalf("deliveries: %d", len(got))
	}
	f := got[0]
	want := map[string]string{"type": "update", "initiated_from": "api", "list": "0", "contact[id]": "1",
		"contact[email]": "ana@example.com", "contact[first_name]": "Ana", "contact[last_name]": "Lee",
		"contact[tags]": "trial", "contact[fields][plan]": "pro"}
	for k, v := range want {
		if f.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, f.Get(k), v)
		}
	}
	if _, err := time.Parse("2006-01-02T15:04:05-07:00", f.Get("date_time")); err != nil {
		t.Errorf("date_time %q", f.Get("date_time"))
	}
	if rc.ctype != "application/x-www-form-urlencoded" {
		t.Errorf("content type %q", rc.ctype)
	}

	// BulkTag (admin): both webhooks, per contact.
	if err := e.srv.BulkTag("acme", ids, "VIP", false); err != nil {
		t.Fatal(err)
	}
	e.settle()
	got = rc.got()[1:]
	if len(got) != 4 {
		t.Fatalf("bulk tag of 2 contacts to 2 webhooks: %d deliveries", len(got))
	}
	for _, f := range got {
		if f.Get("type") != "contact_tag_added" || f.Get("initiated_from") != "admin" || f.Get("tag") != "VIP" {
			t.Fatalf("bulk delivery: %v", f)
		}
	}
}

func TestWebhookListFilter(t *testing.T) {
	e := newEnv(t, simac.Options{})
	rc := newReceiver(t, 200)
	e.importContacts(simac.ContactInput{Email: "a@example.com", Lists: []string{"One", "Two"}})
	e.api("POST", "/contactLists", map[string]any{"contactList": map[string]any{"list": 2, "contact": 1, "status": 2}}, 200)
	e.hook(rc.ts.URL, []string{"subscribe", "unsubscribe"}, allSources, 1)
	// List 2 is filtered out, list 1 is delivered.
	e.api("POST", "/contactLists", map[string]any{"contactList": map[string]any{"list": 2, "contact": 1, "status": 1}}, 200)
	e.api("POST", "/contactLists", map[string]any{"contactList": map[string]any{"list": 1, "contact": 1, "status": 2}}, 200)
	e.settle()
	got := rc.got()
	if len(got) != 1 || got[0].Get("type") != "unsubscribe" || got[0].Get("list") != "1" {
		t.Fatalf("deliveries: %v", got)
	}
}

// A webhook turned off, by a 410 answer or silently, stays listed exactly
// as before (no status field) and receives nothing more; deleting it and
// creating it again brings deliveries back (spec §4, §7).
func TestWebhookDisabledStaysListed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int                    // the receiver's answer
		disable func(e *env, id int64) // nil: the 410 answer disables it
	}{
		{name: "410 answer", status: http.StatusGone},
		{name: "silently, Go method", status: http.StatusOK, disable: func(e *env, id int64) {
			if err := e.srv.DisableWebhook("acme", id); err != nil {
				e.t.Fatal(err)
			}
		}},
		{name: "silently, control route", status: http.StatusOK, disable: func(e *env, id int64) {
			if r := e.doKey("POST", "/_sandbox/accounts/acme/webhooks/"+strconv.FormatInt(id, 10)+"/disable", nil, ""); r.status != 204 {
				e.t.Fatalf("disable: %d %s", r.status, r.body)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, simac.Options{})
			rc := newReceiver(t, tc.status)
			e.importContacts(simac.ContactInput{Email: "a@example.com"})
			sid := e.hook(rc.ts.URL, []string{"update"}, allSources, 0)
			id, _ := strconv.ParseInt(sid, 10, 64)
			before := e.api("GET", "/webhooks/"+sid, nil, 200)
			list := e.api("GET", "/webhooks", nil, 200)
			e.api("PUT", "/contacts/1", map[string]any{"contact": map[string]any{"firstName": "A"}}, 200)
			e.settle()
			if tc.disable != nil {
				tc.disable(e, id)
			}
			if st := e.srv.Deliveries(); st.Disabled != 1 {
				t.Fatalf("stats: %+v", st)
			}
			// Listed exactly as before, in the list and on its own.
			if got := e.api("GET", "/webhooks/"+sid, nil, 200); !reflect.DeepEqual(got, before) {
				t.Errorf("GET /webhooks/%s changed:\n%v\nwas\n%v", sid, got, before)
			}
			if got := e.api("GET", "/webhooks", nil, 200); !reflect.DeepEqual(got, list) {
				t.Errorf("GET /webhooks changed:\n%v\nwas\n%v", got, list)
			}
			if hooks, _ := e.srv.Webhooks("acme"); len(hooks) != 1 || !hooks[0].Disabled {
				t.Errorf("Webhooks = %+v, want one, disabled", hooks)
			}
			// Nothing more is sent.
			e.api("PUT", "/contacts/1", map[string]any{"contact": map[string]any{"firstName": "B"}}, 200)
			if st := e.settle(); st.Queued != 1 {
				t.Errorf("events queued for a disabled webhook: %+v", st)
			}
			if n := len(rc.got()); n != 1 {
				t.Fatalf("deliveries: %d, want only the one before it was disabled", n)
			}
			// Deleting it and creating it again is the way back.
			e.api("DELETE", "/webhooks/"+sid, nil, 200)
			ok := newReceiver(t, http.StatusOK)
			e.hook(ok.ts.URL, []string{"update"}, allSources, 0)
			e.api("PUT", "/contacts/1", map[string]any{"contact": map[string]any{"firstName": "C"}}, 200)
			e.settle()
			if n := len(ok.got()); n != 1 {
				t.Fatalf("deliveries to the webhook created again: %d", n)
			}
		})
	}
}

// A delivery already queued when the webhook is disabled is not sent.
func TestWebhookDisableDropsQueued(t *testing.T) {
	e := newEnv(t, simac.Options{})
	release := make(chan struct{})
	var got atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		<-release
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	ids := e.importContacts(simac.ContactInput{Email: "a@example.com"})
	sid := e.hook(slow.URL, []string{"update"}, allSources, 0)
	id, _ := strconv.ParseInt(sid, 10, 64)
	// The sandbox delivers with eight workers: twelve changes leave four
	// queued behind the eight held by the receiver.
	for i := range 12 {
		e.api("PUT", "/contacts/"+strconv.FormatInt(ids[0], 10), map[string]any{"contact": map[string]any{"firstName": strconv.Itoa(i)}}, 200)
	}
	eventually(t, 5*time.Second, "eight deliveries in flight", func() bool { return got.Load() == 8 })
	if err := e.srv.DisableWebhook("acme", id); err != nil {
		t.Fatal(err)
	}
	for range 8 {
		release <- struct{}{}
	}
	st := e.settle()
	if got.Load() != 8 || st.Dropped != 4 {
		t.Fatalf("%d sent, stats %+v; want the 4 queued behind the 8 dropped", got.Load(), st)
	}
	if err := e.srv.DisableWebhook("acme", 99); err == nil {
		t.Error("disabling an unknown webhook: no error")
	}
	if r := e.doKey("POST", "/_sandbox/accounts/acme/webhooks/99/disable", nil, ""); r.status != 404 {
		t.Errorf("unknown webhook: %d %s", r.status, r.body)
	}
	if r := e.doKey("POST", "/_sandbox/accounts/acme/webhooks/x/disable", nil, ""); r.status != 400 {
		t.Errorf("bad id: %d %s", r.status, r.body)
	}
}

func TestWebhookDuplicatesAndNoRetry(t *testing.T) {
	e := newEnv(t, simac.Options{WebhookDuplicateRate: 1})
	ok := newReceiver(t, 200)
	e.importContacts(simac.ContactInput{Email: "a@example.com"})
	e.hook(ok.ts.URL, []string{"update"}, allSources, 0)
	e.api("PUT", "/contacts/1", map[string]any{"contact": map[string]any{"firstName": "A"}}, 200)
	st := e.settle()
	if n := len(ok.got()); n != 2 || st.Duplicated != 1 || st.Sent != 2 {
		t.Fatalf("duplicate rate 1: %d deliveries, %+v", n, st)
	}

	e2 := newEnv(t, simac.Options{})
	failing := newReceiver(t, 500)
	e2.importContacts(simac.ContactInput{Email: "a@example.com"})
	e2.hook(failing.ts.URL, []string{"update"}, allSources, 0)
	e2.api("PUT", "/contacts/1", map[string]any{"contact": map[string]any{"firstName": "A"}}, 200)
	st = e2.settle()
	time.Sleep(50 * time.Millisecond)
	if n := len(failing.got()); n != 1 || st.Failed != 1 {
		t.Fatalf("failing receiver: %d attempts, %+v", n, st)
	}
}
