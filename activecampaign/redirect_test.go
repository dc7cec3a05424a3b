package activecampaign

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// recorder is a server on another port that records every request it gets
// and answers each one as the API would, so that a client that followed a
// redirect to it would look as if it worked.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []http.Header
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.seen = append(rec.seen, r.Header.Clone())
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"user":{"id":"1","username":"admin"},"fieldValues":[],"fields":[],"meta":{"total":"0"}}`))
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// TestRedirectToAnotherPortIsRefused: the account's URL answers 302 to a
// server on another port of the same host. The client does not follow it,
// so the key never reaches that server, and says so in words, naming the
// target's origin only.
func TestRedirectToAnotherPortIsRefused(t *testing.T) {
	for _, status := range []int{301, 302, 307, 308} {
		s := newSandbox(t, simac.Options{}, Config{})
		rec := newRecorder(t)
		if err := s.sim.SetRedirect("acme", rec.URL, status); err != nil {
			t.Fatal(err)
		}
		_, err := s.client.CheckKey(context.Background())
		if !errors.Is(err, ErrRedirect) || errors.Is(err, ErrAuth) {
			t.Fatalf("%d: CheckKey = %v, want ErrRedirect", status, err)
		}
		want := "ActiveCampaign answered with a redirect to another host (" + rec.URL + "); autocred does not follow it, so the API key is never sent there."
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "/users/me?") || strings.Contains(err.Error(), "secret-key") {
			t.Errorf("%d: error %q, want it to contain %q and no path or key", status, err, want)
		}
		if _, err := s.client.ContactFields(context.Background(), 1); !errors.Is(err, ErrRedirect) {
			t.Errorf("%d: ContactFields = %v, want ErrRedirect", status, err)
		}
		if n := rec.requests(); n != 0 {
			t.Errorf("%d: the other port received %d requests (the key went along)", status, n)
		}
	}
}

// TestErrorPageIsDescribedNotQuoted: a proxy's HTML page in place of an
// API answer becomes its status in words; none of the page reaches the
// error.
func TestErrorPageIsDescribedNotQuoted(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	if err := s.sim.SetErrorPage("acme", http.StatusBadGateway); err != nil {
		t.Fatal(err)
	}
	_, err := s.client.CheckKey(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ActiveCampaign answered 502 Bad Gateway (a non-JSON page, not an API answer)") ||
		strings.ContainsAny(err.Error(), "<>") || strings.Contains(err.Error(), "nginx") {
		t.Errorf("CheckKey = %v, want the status in words and none of the page", err)
	}
}
