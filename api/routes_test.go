package api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testlog"
)

// examplePath fills a route's path for a request.
func examplePath(rt route) string {
	return prefix + strings.ReplaceAll(rt.path, "{id}", "1")
}

func TestEveryRouteNeedsAToken(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	bad := []struct{ name, authorization string }{
		{"no header", ""},
		{"unknown token", "Bearer acr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"not an autocred token", "Bearer " + a.token[len("acr_"):]},
		{"empty bearer", "Bearer "},
		{"basic auth", "Basic dGVzdHM6c2VjcmV0"},
		{"token without scheme", a.token},
	}
	routes := (&handler{}).routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		for _, tc := range bad {
			t.Run(rt.method+" "+rt.path+"/"+tc.name, func(t *testing.T) {
				r := a.callAuth(tc.authorization, rt.method, examplePath(rt), "{}")
				r.fails(t, http.StatusUnauthorized, autocred.EUNAUTHORIZED, "")
				if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate %q", got)
				}
			})
		}
	}
	// Nothing got through.
	var list struct{ Connections []any }
	a.call("GET", "/api/v1/connections", nil).ok(t, http.StatusOK, &list)
	if len(list.Connections) != 0 {
		t.Errorf("connections were created without a token: %v", list.Connections)
	}

	t.Run("scheme in any case", func(t *testing.T) {
		a.callAuth("bearer "+a.token, "GET", "/api/v1/connections", nil).ok(t, http.StatusOK, nil)
	})
	t.Run("public routes", func(t *testing.T) {
		for _, rt := range (&handler{}).publicRoutes() {
			a.callAuth("", rt.method, examplePath(rt), nil).ok(t, http.StatusOK, nil)
		}
	})
}

func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(New(Config{Tokens: stubTokens{}}))
	defer srv.Close()
	a := &apiTest{t: t, url: srv.URL}
	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/api/v1/nothing", http.StatusNotFound, autocred.ENOTFOUND, ""},
		{"GET", "/api/v1/", http.StatusNotFound, autocred.ENOTFOUND, ""},
		{"GET", "/elsewhere", http.StatusNotFound, autocred.ENOTFOUND, ""},
		{"GET", "/api/v1/automations/1/nothing", http.StatusNotFound, autocred.ENOTFOUND, ""},
		{"PUT", "/api/v1/connections", http.StatusMethodNotAllowed, autocred.EUNSUPPORTED, "GET, POST"},
		{"GET", "/api/v1/automations/1/activate", http.StatusMethodNotAllowed, autocred.EUNSUPPORTED, "POST"},
		{"POST", "/api/v1/automations/1", http.StatusMethodNotAllowed, autocred.EUNSUPPORTED, "DELETE, GET, PATCH"},
		{"DELETE", "/api/v1/openapi.json", http.StatusMethodNotAllowed, autocred.EUNSUPPORTED, "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := a.callAuth("Bearer acr_x", tc.method, tc.path, nil)
			r.fails(t, tc.status, tc.code, "")
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
}

// An internal error is logged in full and answered with a generic message.
func TestInternalErrorsAreNotShown(t *testing.T) {
	t.Parallel()
	var logs testlog.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(New(Config{Tokens: stubTokens{err: errDatabaseDown}, Logger: logger}))
	defer srv.Close()
	a := &apiTest{t: t, url: srv.URL, secrets: []string{"disk I/O", "autocred.db"}}

	e := a.callAuth("Bearer acr_x", "GET", "/api/v1/connections", nil).fails(t, http.StatusInternalServerError, autocred.EINTERNAL, "")
	if e.Message != autocred.ErrorMessage(errDatabaseDown) {
		t.Errorf("message %q", e.Message)
	}
	got := logs.String()
	for _, want := range []string{"level=ERROR", "disk I/O error", "path=/api/v1/connections"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log lacks %q:\n%s", want, got)
		}
	}
}

// Every request is logged at debug level, without headers or bodies.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	a.callAuth("Bearer "+a.token, "POST", "/api/v1/connections",
		`{"app":"certifier","name":"x","api_url":"`+a.env.CertifierURL+`","access_token":"cert-token-in-a-body-9999"}`)
	a.callAuth("", "GET", "/api/v1/automations", nil)

	logs := a.logs.String()
	for _, want := range []string{
		`level=DEBUG msg="api request" method=POST path=/api/v1/connections status=422 duration=`,
		`level=DEBUG msg="api request" method=GET path=/api/v1/automations status=401 duration=`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	for _, leak := range []string{"cert-token-in-a-body-9999", "Bearer", "Authorization"} {
		if strings.Contains(logs, leak) {
			t.Errorf("the log holds %q:\n%s", leak, logs)
		}
	}
}
