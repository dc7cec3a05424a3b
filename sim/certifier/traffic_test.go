package certifier

import (
	"net/http/httptest"
	"testing"
)

// Certifier publishes no rate-limit numbers; the sandbox budget defaults to
// 10 requests per second per workspace and answers 429 rate_limited with no
// Retry-After (spec §5).
func TestRateLimit(t *testing.T) {
	srv := New(Options{}) // the default budget
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for name, token := range map[string]string{"acme": testToken, "other": "tok-other"} {
		if err := srv.AddWorkspace(name, token); err != nil {
			t.Fatal(err)
		}
	}
	sb := &sandbox{t: t, srv: srv, url: ts.URL}

	served, limited := 0, 0
	for range 30 {
		r := sb.api("GET", "/groups?limit=1", nil)
		switch r.status {
		case 200:
			served++
		case 429:
			limited++
			if msg := wantError(t, r, 429, "rate_limited"); msg != "You have exceeded the rate limit" {
				t.Errorf("message %q", msg)
			}
			if ra := r.header.Get("Retry-After"); ra != "" {
				t.Errorf("Retry-After %q sent; Certifier documents none", ra)
			}
		default:
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	}
	if served != 10 || limited != 20 {
		t.Fatalf("served %d, limited %d; want 10 and 20", served, limited)
	}
	// The budget is per workspace.
	if r := sb.do("GET", "/v1/groups?limit=1", nil, map[string]string{"Authorization": "Bearer tok-other"}); r.status != 200 {
		t.Fatalf("other workspace: %d", r.status)
	}
	// The control API is not limited.
	if r := sb.do("GET", "/_sandbox/counters", nil, nil); r.status != 200 {
		t.Fatalf("counters: %d", r.status)
	}
	if st := srv.Gate().Stats().Accounts["acme"]; st.RateLimited != 20 || st.Requests != 30 {
		t.Fatalf("gate counted %+v", st)
	}
}

func TestInjectedFaults(t *testing.T) {
	sb := newSandbox(t, Options{})
	setFaults := func(rules string) {
		t.Helper()
		if r := sb.do("PUT", "/_sandbox/faults", `{"rules":`+rules+`}`, nil); r.status != 200 {
			t.Fatalf("PUT faults: %d %s", r.status, r.body)
		}
	}

	setFaults(`[{"endpoint":"*","error_rate":1.0}]`)
	r := sb.api("GET", "/groups", nil)
	if msg := wantError(t, r, 500, "internal_server_error"); msg != "There was a problem on Certifier's end" {
		t.Errorf("message %q", msg)
	}
	wantError(t, sb.api("POST", "/credentials/create-issue-send", map[string]any{
		"groupId": sb.sample.CourseCompletion.ID, "recipient": map[string]any{"name": "Ada", "email": "ada@example.org"},
	}), 500, "internal_server_error")
	if len(sb.srv.Credentials(testWorkspace)) != 0 {
		t.Fatal("an injected 500 processed the request")
	}
	setFaults(`[{"endpoint":"GET /v1/groups","error_rate":1.0,"error_status":503}]`)
	wantError(t, sb.api("GET", "/groups", nil), 503, "internal_server_error")

	// A refusal with a message of the rule's choosing, a NUL included.
	setFaults(`[{"endpoint":"GET /v1/groups","error_rate":1.0,"error_status":400,"error_message":"name has a \u0000 in it"}]`)
	if msg := wantError(t, sb.api("GET", "/groups", nil), 400, "validation_error"); msg != "name has a \x00 in it" {
		t.Errorf("message %q, want the rule's", msg)
	}

	// The duplicate-maker: the change is made, the answer is lost.
	setFaults(`[{"endpoint":"POST /v1/credentials/create-issue-send","drop_after_rate":1.0}]`)
	_, err := sb.try("POST", "/v1/credentials/create-issue-send", map[string]any{
		"groupId": sb.sample.CourseCompletion.ID, "recipient": map[string]any{"name": "Ada", "email": "ada@example.org"},
	}, nil)
	if err == nil {
		t.Fatal("the client got an answer; want a network error")
	}
	creds, out := sb.srv.Credentials(testWorkspace), sb.srv.Outbox(testWorkspace)
	if len(creds) != 1 || creds[0].Status != StatusIssued || len(out) != 1 || out[0].CredentialID != creds[0].ID {
		t.Fatalf("after a dropped answer: credentials %+v, outbox %+v; want the credential made and emailed", creds, out)
	}

	// A client that searches before retrying finds it, with the documented
	// filter (the recipient's email) and the group checked on its side.
	setFaults(`[]`)
	data, _, _ := sb.api("POST", "/credentials/search", map[string]any{
		"filter": map[string]any{"recipient": map[string]any{"email": map[string]any{"equals": "ada@example.org"}}},
		"sort":   map[string]any{"property": "createdAt", "order": "desc"},
	}).list(t)
	if len(data) != 1 || data[0]["id"] != creds[0].ID || data[0]["groupId"] != sb.sample.CourseCompletion.ID {
		t.Fatalf("search after the drop: %v", data)
	}
	if st := sb.srv.Gate().Stats(); st.Injected.Dropped != 1 || st.Injected.Errors != 4 {
		t.Fatalf("injected %+v", st.Injected)
	}
}

func TestLimitStatus503(t *testing.T) {
	sb := newSandbox(t, Options{})
	if r := sb.do("PUT", "/_sandbox/limits", `{"rate_per_second":1,"limit_status":503}`, nil); r.status != 204 {
		t.Fatalf("PUT limits: %d %s", r.status, r.body)
	}
	sb.ok(200, "GET", "/groups", nil)
	wantError(t, sb.api("GET", "/groups", nil), 503, "internal_server_error")
}
