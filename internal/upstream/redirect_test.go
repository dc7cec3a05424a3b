package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRedirectsStayOnTheOrigin: a redirect to another port of the same
// host, or to another host, is refused before anything reaches it (net/http
// alone would send every header to another port, and Api-Token to any
// host); a redirect within the origin is followed, with the key.
func TestRedirectsStayOnTheOrigin(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer other.Close()
	otherHost := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) // same machine, another host name

	var home *httptest.Server
	home = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/port":
			http.Redirect(w, r, other.URL+"/steal?key=x", http.StatusFound)
		case "/host":
			http.Redirect(w, r, otherHost+"/steal", http.StatusTemporaryRedirect)
		case "/scheme":
			http.Redirect(w, r, "https://"+r.Host+"/final", http.StatusMovedPermanently)
		case "/same":
			http.Redirect(w, r, home.URL+"/final", http.StatusFound)
		case "/relative":
			http.Redirect(w, r, "/final", http.StatusPermanentRedirect)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/final":
			if r.Header.Get("Api-Token") != "k" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer home.Close()

	tests := []struct {
		path       string
		wantStatus int    // of the answer, when followed
		wantTo     string // of the RedirectError, when refused
		wantCode   int
		wantLoop   bool
	}{
		{path: "/same", wantStatus: 200},
		{path: "/relative", wantStatus: 200},
		{path: "/port", wantTo: other.URL, wantCode: 302},
		{path: "/host", wantTo: otherHost, wantCode: 307},
		{path: "/scheme", wantTo: "https://" + strings.TrimPrefix(home.URL, "http://"), wantCode: 301},
		{path: "/loop", wantCode: 302, wantLoop: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var checked int
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { checked++; return nil }}
			d := &Doer{System: "activecampaign", Client: client}
			resp, err := d.Do(context.Background(), "GET "+tt.path, func(ctx context.Context) (*http.Request, error) {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, home.URL+tt.path, nil)
				if err == nil {
					req.Header.Set("Api-Token", "k")
				}
				return req, err
			})
			if tt.wantStatus != 0 {
				if err != nil || resp.Status != tt.wantStatus {
					t.Fatalf("Do = %v, %v; want status %d", resp, err, tt.wantStatus)
				}
				if checked == 0 {
					t.Error("the caller's CheckRedirect was not consulted")
				}
				return
			}
			var re *RedirectError
			if !errors.As(err, &re) {
				t.Fatalf("Do = %v, %v; want a RedirectError", resp, err)
			}
			if re.Status != tt.wantCode || re.To != tt.wantTo || re.Loop != tt.wantLoop {
				t.Errorf("RedirectError = %+v, want status %d to %q loop %v", re, tt.wantCode, tt.wantTo, tt.wantLoop)
			}
			if strings.Contains(err.Error(), "steal") || strings.Contains(err.Error(), "key=") {
				t.Errorf("the error shows the target's path or query: %v", err)
			}
		})
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other origin received %d requests, want 0", n)
	}
	if http.DefaultClient.CheckRedirect != nil {
		t.Error("the policy was installed on http.DefaultClient")
	}
}

func TestOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"https://acme.api-us1.com/api/3", "https://ACME.api-us1.com:443/x", true},
		{"http://h/x", "http://h:80/y", true},
		{"http://h:8080/", "http://h:8081/", false},
		{"http://h/", "https://h/", false},
		{"https://acme.api-us1.com/", "https://evil.api-us1.com/", false},
	}
	for _, tt := range tests {
		a, b := mustURL(t, tt.a), mustURL(t, tt.b)
		if got := Origin(a) == Origin(b); got != tt.same {
			t.Errorf("Origin(%s) == Origin(%s) is %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
