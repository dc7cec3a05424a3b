package certifier

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	simcert "github.com/autocred/autocred/sim/certifier"
)

// TestRedirectToAnotherPortIsRefused: Certifier's URL answers with a
// redirect to a server on another port of the same host (net/http would
// send the Authorization header there: it strips it only when the domain
// changes). The client follows a redirect within the sandbox's origin, and
// refuses the other: the token never reaches it, the error says so in
// words, and a create that met the redirect is neither refused nor of
// unknown outcome.
func TestRedirectToAnotherPortIsRefused(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	var stolen atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			stolen.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[],"pagination":{"next":null}}`))
	}))
	defer other.Close()
	sandboxURL := strings.TrimSuffix(s.url, "/v1")
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/moved/"): // within the origin: followed
			http.Redirect(w, r, "/same"+strings.TrimPrefix(r.URL.Path, "/moved"), http.StatusTemporaryRedirect)
		case strings.HasPrefix(r.URL.Path, "/same/"): // serve the sandbox's answer
			req, _ := http.NewRequestWithContext(r.Context(), r.Method, sandboxURL+strings.TrimPrefix(r.URL.Path, "/same")+"?"+r.URL.RawQuery, r.Body)
			req.Header = r.Header.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
		default: // to another port: refused
			http.Redirect(w, r, other.URL+r.URL.Path+"?leak=1", http.StatusTemporaryRedirect)
		}
	}))
	defer front.Close()

	same, err := New(Config{URL: front.URL + "/moved/v1", Token: "token-abcdef123456"})
	if err != nil {
		t.Fatal(err)
	}
	if err := same.CheckToken(context.Background()); err != nil {
		t.Fatalf("a redirect within the origin: CheckToken = %v", err)
	}

	c, err := New(Config{URL: front.URL + "/v1", Token: "token-abcdef123456"})
	if err != nil {
		t.Fatal(err)
	}
	err = c.CheckToken(context.Background())
	want := "Certifier answered with a redirect to another host (" + other.URL + "); autocred does not follow it, so the access token is never sent there."
	if !errors.Is(err, ErrRedirect) || errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "leak") {
		t.Errorf("CheckToken = %v, want ErrRedirect saying %q", err, want)
	}
	_, err = c.Create(context.Background(), s.newCredential("ada@example.com"))
	if !errors.Is(err, ErrRedirect) || Refused(err) || errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("Create = %v (refused %v, unknown outcome %v), want ErrRedirect, neither refused nor unknown",
			err, Refused(err), errors.Is(err, ErrUnknownOutcome))
	}
	if n := stolen.Load(); n != 0 {
		t.Errorf("the other port received the token %d times", n)
	}
	if n := len(s.sim.Credentials("acme")); n != 0 {
		t.Errorf("%d credentials were created", n)
	}
}
