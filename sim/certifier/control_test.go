package certifier

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestControlAPI(t *testing.T) {
	sb := newSandbox(t, Options{})
	ctl := func(method, path string, body any) response {
		t.Helper()
		return sb.do(method, "/_sandbox"+path, body, map[string]string{"Authorization": "", "Certifier-Version": ""})
	}
	wantControlError := func(r response, status int, inText string) {
		t.Helper()
		var body map[string]string
		if r.status != status || json.Unmarshal(r.body, &body) != nil || !strings.Contains(body["error"], inText) {
			t.Fatalf("status %d body %s; want %d with an error naming %q", r.status, r.body, status, inText)
		}
	}

	if r := ctl("POST", "/workspaces", map[string]any{"name": "beta", "token": "tok-beta"}); r.status != 201 {
		t.Fatalf("add workspace: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		body   any
		inText string
	}{
		{"{", "invalid JSON"},
		{"", "empty"},
		{map[string]any{"name": "x", "token": "t", "plan": "pro"}, "plan"},
		{map[string]any{"name": "x"}, "token"},
		{map[string]any{"name": "a/b", "token": "t"}, "workspace name"},
		{map[string]any{"name": "x", "token": "has space"}, "token"},
		{map[string]any{"name": "x", "token": "tok-beta"}, "beta"},
		{`{"name":"x","token":"t"} {}`, "after"},
	} {
		wantControlError(ctl("POST", "/workspaces", tc.body), 400, tc.inText)
	}

	r := ctl("POST", "/workspaces/beta/groups", map[string]any{"name": "Diploma", "expiryMonths": 36})
	if r.status != 201 {
		t.Fatalf("add group: %d %s", r.status, r.body)
	}
	g := r.object(t)
	if g["expiryMonths"] != 36.0 || len(g["designIds"].([]any)) != 1 {
		t.Fatalf("group %v", g)
	}
	wantControlError(ctl("POST", "/workspaces/nobody/groups", map[string]any{"name": "X"}), 404, "nobody")
	wantControlError(ctl("POST", "/workspaces/beta/groups", map[string]any{"name": ""}), 400, "name")
	wantControlError(ctl("POST", "/workspaces/beta/groups", map[string]any{"name": "X", "expiryMonths": -1}), 400, "expiryMonths")
	wantControlError(ctl("POST", "/workspaces/beta/groups", map[string]any{"name": "X", "designIds": []string{"a"}, "badgeDesignId": "b"}), 400, "not both")

	if r := ctl("POST", "/workspaces/beta/attributes", map[string]any{"tag": "custom.level", "name": "Level"}); r.status != 201 {
		t.Fatalf("add attribute: %d %s", r.status, r.body)
	}
	wantControlError(ctl("POST", "/workspaces/beta/attributes", map[string]any{"tag": "custom.level", "name": "Level"}), 400, "already exists")
	wantControlError(ctl("POST", "/workspaces/beta/attributes", map[string]any{"tag": "level", "name": "Level"}), 400, "custom.")

	// The new group and attribute work through the API of beta.
	beta := map[string]string{"Authorization": "Bearer tok-beta"}
	r = sb.do("POST", "/v1/credentials/create-issue-send", map[string]any{
		"groupId": g["id"], "recipient": map[string]any{"name": "Ada", "email": "Ada@Example.org"}, "issueDate": "2025-01-31",
		"customAttributes": map[string]any{"custom.level": "3"},
	}, beta)
	if r.status != 201 || r.object(t)["expiryDate"] != "2028-01-31" {
		t.Fatalf("create-issue-send in beta: %d %s", r.status, r.body)
	}

	var creds struct{ Data []map[string]any }
	if r := ctl("GET", "/workspaces/beta/credentials", nil); r.status != 200 || json.Unmarshal(r.body, &creds) != nil || len(creds.Data) != 1 || creds.Data[0]["status"] != "issued" {
		t.Fatalf("ground truth: %s", r.body)
	}
	var out struct{ Data []Email }
	for email, want := range map[string]int{"": 1, "ada@example.org": 1, "bob@example.org": 0} {
		r := ctl("GET", "/workspaces/beta/outbox?email="+email, nil)
		if json.Unmarshal(r.body, &out) != nil || len(out.Data) != want {
			t.Fatalf("outbox?email=%s: %s", email, r.body)
		}
	}
	wantControlError(ctl("GET", "/workspaces/nobody/outbox", nil), 404, "nobody")

	var list struct{ Data []workspaceSummary }
	if r := ctl("GET", "/workspaces", nil); json.Unmarshal(r.body, &list) != nil || len(list.Data) != 2 {
		t.Fatalf("workspaces: %s", r.body)
	}
	if b := list.Data[1]; b.Name != "beta" || b.Groups != 1 || b.Attributes != 1 || b.Credentials != 1 || b.Emails != 1 || b.Tokens != 1 {
		t.Fatalf("beta summary %+v", b)
	}

	// Seeding is idempotent and answers the sample.
	var s1, s2 Sample
	json.Unmarshal(ctl("POST", "/workspaces/beta/seed", nil).body, &s1)
	json.Unmarshal(ctl("POST", "/workspaces/beta/seed", nil).body, &s2)
	if s1.CourseCompletion.ID == "" || s1.CourseCompletion.ID != s2.CourseCompletion.ID || s1.CourseCompletion.ExpiryMonths != 24 || s1.VIPMember.ExpiryMonths != 0 {
		t.Fatalf("seed: %+v then %+v", s1, s2)
	}
	if n := len(sb.srv.Credentials("beta")); n != 1 {
		t.Fatal("seeding touched credentials")
	}

	wantControlError(ctl("GET", "/nothing", nil), 404, "/_sandbox/nothing")

	setFaults := ctl("PUT", "/faults", `{"rules":[{"endpoint":"*","error_rate":1}]}`)
	if setFaults.status != 200 {
		t.Fatal(string(setFaults.body))
	}
	if r := ctl("POST", "/reset", nil); r.status != 204 {
		t.Fatalf("reset: %d", r.status)
	}
	wantError(t, sb.api("GET", "/groups", nil), 401, "unauthorized") // no injected 500: rules cleared
	if r := ctl("GET", "/workspaces", nil); !strings.Contains(string(r.body), `"data":[]`) {
		t.Fatalf("workspaces after reset: %s", r.body)
	}
}

// PUT /_sandbox/search switches the search mode of the whole sandbox at run
// time; GET reads it.
func TestControlSearchMode(t *testing.T) {
	sb := newSandbox(t, Options{Search: SearchStrict})
	ctl := func(method string, body any) response {
		t.Helper()
		return sb.do(method, "/_sandbox/search", body, map[string]string{"Authorization": "", "Certifier-Version": ""})
	}
	mode := func(r response) string {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		return strings.TrimSpace(string(r.body))
	}
	byGroup := map[string]any{"filter": map[string]any{"groupId": map[string]any{"equals": sb.sample.CourseCompletion.ID}}}

	if got := mode(ctl("GET", nil)); got != `{"strict":true}` {
		t.Fatalf("GET: %s", got)
	}
	wantError(t, sb.api("POST", "/credentials/search", byGroup), 400, "validation_error")
	if got := mode(ctl("PUT", map[string]any{"strict": false})); got != `{"strict":false}` {
		t.Fatalf("PUT false: %s", got)
	}
	if r := sb.api("POST", "/credentials/search", byGroup); r.status != 200 {
		t.Fatalf("lenient search by groupId: %d %s", r.status, r.body)
	}
	if got := mode(ctl("PUT", map[string]any{"strict": true})); got != `{"strict":true}` || !sb.srv.StrictSearch() {
		t.Fatalf("PUT true: %s", got)
	}
	for body, inText := range map[any]string{
		"{}":                              "strict is required",
		`{"strict":"yes"}`:                "invalid JSON",
		`{"strict":true,"lenient":false}`: "lenient",
	} {
		r := ctl("PUT", body)
		var e map[string]string
		if r.status != 400 || json.Unmarshal(r.body, &e) != nil || !strings.Contains(e["error"], inText) {
			t.Errorf("PUT %s: %d %s, want 400 naming %q", body, r.status, r.body, inText)
		}
	}
	if !sb.srv.StrictSearch() {
		t.Fatal("a refused PUT changed the mode")
	}
}

// The sample depends only on the seed (apart from fresh group ids).
func TestSeedSampleIsDeterministic(t *testing.T) {
	designs := func(seed uint64) string {
		srv := New(Options{Seed: seed})
		if err := srv.AddWorkspace("w", "t"); err != nil {
			t.Fatal(err)
		}
		s, err := srv.SeedSample("w")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(append(s.CourseCompletion.DesignIDs, s.VIPMember.DesignIDs[0], s.WebinarAttendance.DesignIDs[0]), ",")
	}
	first, again := designs(7), designs(7)
	if first != again || first == designs(8) {
		t.Fatal("design ids do not follow the seed")
	}
	if _, err := New(Options{}).SeedSample("missing"); err == nil {
		t.Fatal("seeded a workspace that does not exist")
	}
}
