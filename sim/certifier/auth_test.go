package certifier

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Spec §1 and §5: the version header is checked first (400 missing_version,
// 400 invalid_version), then the bearer token (401 unauthorized).
func TestVersionThenToken(t *testing.T) {
	sb := newSandbox(t, Options{})
	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
		code    string
	}{
		{"no version header", map[string]string{"Certifier-Version": ""}, 400, "missing_version"},
		{"unknown version", map[string]string{"Certifier-Version": "2024-01-01"}, 400, "invalid_version"},
		{"version checked before token", map[string]string{"Certifier-Version": "", "Authorization": ""}, 400, "missing_version"},
		{"invalid version before bad token", map[string]string{"Certifier-Version": "v1", "Authorization": "Bearer nope"}, 400, "invalid_version"},
		{"no token", map[string]string{"Authorization": ""}, 401, "unauthorized"},
		{"unknown token", map[string]string{"Authorization": "Bearer nope"}, 401, "unauthorized"},
		{"not a bearer token", map[string]string{"Authorization": "Basic " + testToken}, 401, "unauthorized"},
		{"empty bearer token", map[string]string{"Authorization": "Bearer "}, 401, "unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, sb.do("GET", "/v1/groups?limit=1", nil, tc.headers), tc.status, tc.code)
		})
	}
	t.Run("valid call", func(t *testing.T) {
		if r := sb.do("GET", "/v1/groups?limit=1", nil, map[string]string{"Authorization": "bearer " + testToken}); r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
}

func TestTokensAreScopedToTheirWorkspace(t *testing.T) {
	sb := newSandbox(t, Options{})
	if err := sb.srv.AddWorkspace("other", "tok-other"); err != nil {
		t.Fatal(err)
	}
	if err := sb.srv.AddWorkspace("acme", "tok-acme-second"); err != nil {
		t.Fatal(err)
	}
	if err := sb.srv.AddWorkspace("other", testToken); err == nil {
		t.Fatal("a token was given to a second workspace")
	}
	// A group of acme cannot be used or seen with other's token.
	other := map[string]string{"Authorization": "Bearer tok-other"}
	wantError(t, sb.do("GET", "/v1/groups/"+sb.sample.CourseCompletion.ID, nil, other), 404, "not_found")
	r := sb.do("POST", "/v1/credentials", map[string]any{"groupId": sb.sample.CourseCompletion.ID, "recipient": map[string]any{"name": "Ada"}}, other)
	wantError(t, r, 400, "validation_error")
	// Both of acme's tokens reach the same data.
	if r := sb.do("GET", "/v1/groups/"+sb.sample.CourseCompletion.ID, nil, map[string]string{"Authorization": "Bearer tok-acme-second"}); r.status != 200 {
		t.Fatalf("second token: %d %s", r.status, r.body)
	}
}

func TestUnknownRouteAndBadJSON(t *testing.T) {
	sb := newSandbox(t, Options{})
	wantError(t, sb.api("GET", "/nothing-here", nil), 404, "not_found")
	wantError(t, sb.api("PUT", "/groups", nil), 404, "not_found")
	wantError(t, sb.do("GET", "/v2/groups", nil, nil), 404, "not_found")
	for _, body := range []string{"{", `{"groupId": }`, "", `{} {}`} {
		wantError(t, sb.api("POST", "/credentials", body), 400, "invalid_json")
	}
	wantError(t, sb.api("POST", "/credentials", "[1,2]"), 400, "validation_error")
}

func TestRevokedTokenIsRefused(t *testing.T) {
	srv := New(Options{RatePerSecond: -1})
	if err := srv.AddWorkspace("w", "tok-1"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	get := func() int {
		req, _ := http.NewRequest("GET", ts.URL+"/v1/groups", nil)
		req.Header.Set("Authorization", "Bearer tok-1")
		req.Header.Set("Certifier-Version", "2022-10-26")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(); got != 200 {
		t.Fatalf("before revocation: %d", got)
	}
	if err := srv.RevokeToken("tok-1"); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != 401 {
		t.Errorf("after revocation: %d, want 401", got)
	}
	if err := srv.RevokeToken("tok-1"); err == nil {
		t.Error("revoking an unknown token succeeded")
	}
}
