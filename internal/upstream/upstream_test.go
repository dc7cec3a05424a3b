package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{"0", 0},
		{"-5", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		if got := RetryAfter(h, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestBackoffStaysWithinBounds(t *testing.T) {
	for n := range 40 {
		d := Backoff(n, time.Second, 30*time.Second)
		hi := min(time.Second<<min(n, 30), 30*time.Second)
		if d < hi/2 || d > hi {
			t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", n, d, hi/2, hi)
		}
	}
}

type recorder struct {
	requests, waits atomic.Int64
}

func (r *recorder) Request(string, string, int, time.Duration) { r.requests.Add(1) }
func (r *recorder) RateLimited(string, time.Duration)          { r.waits.Add(1) }

func TestDoWaitsOutThrottlingThenGivesUp(t *testing.T) {
	var calls atomic.Int64
	throttleFirst := int64(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= throttleFirst {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`ok`))
	}))
	defer srv.Close()
	var slept []time.Duration
	rec := &recorder{}
	d := &Doer{System: "test", Observer: rec, MaxThrottleWait: 20 * time.Second,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	build := func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	}
	resp, err := d.Do(context.Background(), "GET /", build)
	if err != nil || string(resp.Body) != "ok" {
		t.Fatalf("Do = %v, %v", resp, err)
	}
	if len(slept) != 2 || slept[0] != 7*time.Second || rec.waits.Load() != 2 || rec.requests.Load() != 3 {
		t.Errorf("slept %v, waits %d, requests %d; want two waits of 7s and three requests", slept, rec.waits.Load(), rec.requests.Load())
	}

	calls.Store(0)
	throttleFirst = 100
	slept = nil
	_, err = d.Do(context.Background(), "GET /", build)
	if !errors.Is(err, ErrThrottled) {
		t.Fatalf("endless 429s: %v, want ErrThrottled", err)
	}
	if len(slept) != 2 { // 7s + 7s fit in 20s; a third would not
		t.Errorf("waited %d times before giving up, want 2", len(slept))
	}
}

func TestDoReportsNetworkErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Close()
	d := &Doer{System: "test"}
	_, err := d.Do(context.Background(), "POST /x", func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
	})
	var netErr *NetworkError
	if !errors.As(err, &netErr) || netErr.Endpoint != "POST /x" {
		t.Errorf("closed server: %v, want a NetworkError", err)
	}
}

// pauser records the pauses a Doer asks of its limiter.
type pauser struct{ paused []time.Duration }

func (p *pauser) Wait(ctx context.Context) error { return ctx.Err() }
func (p *pauser) Pause(_ context.Context, d time.Duration) error {
	p.paused = append(p.paused, d)
	return nil
}

// A 429 whose Retry-After is longer than the caller may wait (a job, which
// snoozes instead) ends the call at once, saying what the service asked
// and until when; the account's limiter is paused in any case, so that
// its other requests wait too. WaitScale shortens the wait, not what the
// service is said to have asked.
func TestDoReturnsLongWaitsAndPausesTheAccount(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	build := func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	}
	for _, tc := range []struct {
		scale float64
		until time.Duration
	}{{0, 30 * time.Second}, {0.1, 3 * time.Second}} {
		p := &pauser{}
		slept := 0
		d := &Doer{System: "test", Limiter: p, WaitScale: tc.scale,
			Sleep: func(context.Context, time.Duration) error { slept++; return nil }}
		start := time.Now()
		_, err := d.Do(WithWaitLimit(context.Background(), 2*time.Second), "GET /x", build)
		var te *ThrottledError
		if !errors.As(err, &te) || !errors.Is(err, ErrThrottled) {
			t.Fatalf("scale %v: %v, want a ThrottledError", tc.scale, err)
		}
		if te.RetryAfter != 30*time.Second || te.Endpoint != "GET /x" || slept != 0 {
			t.Errorf("scale %v: %+v after %d sleeps, want Retry-After 30s and no sleep", tc.scale, te, slept)
		}
		if left := te.Until.Sub(start); left < tc.until || left > tc.until+time.Second {
			t.Errorf("scale %v: until %s from the start, want %s", tc.scale, left, tc.until)
		}
		if len(p.paused) != 1 || p.paused[0] != tc.until {
			t.Errorf("scale %v: paused %v, want once for %s", tc.scale, p.paused, tc.until)
		}
	}
}
