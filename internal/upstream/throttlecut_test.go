package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// slowLimiter holds every request until ctx ends.
type slowLimiter struct{}

func (slowLimiter) Wait(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

// A caller whose context ends while it waits out 429s was rate limited:
// nothing was processed. A tester saw Certifier's 429s, without
// Retry-After, end in "context deadline exceeded" after the in-place
// backoff outlived the job, which the run then read as a create whose
// answer was lost ("the credential may have been created"). Each way a
// wait can end early must say "throttled, until when" (or "not sent"),
// never a bare context error or a NetworkError.
func TestDoWaitCutShortIsThrottledNotLost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests) // no Retry-After, as Certifier
	}))
	defer srv.Close()
	build := func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
	}
	tests := []struct {
		name      string
		doer      *Doer
		timeout   time.Duration
		throttled bool // else not sent
	}{
		{"backoff longer than the deadline", &Doer{System: "test"}, 300 * time.Millisecond, true},
		{"sleep cut by the deadline", &Doer{System: "test", Sleep: func(ctx context.Context, _ time.Duration) error {
			<-ctx.Done()
			return ctx.Err()
		}}, 5 * time.Second, true},
		{"deadline while waiting for the limiter", &Doer{System: "test", Limiter: slowLimiter{}}, 100 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			if tt.name == "sleep cut by the deadline" {
				// The deadline is far, but the sleep is cut: the caller
				// was cancelled (shutdown).
				go func() { time.Sleep(200 * time.Millisecond); cancel() }()
			}
			_, err := tt.doer.Do(ctx, "POST /credentials", build)
			var te *ThrottledError
			var ns *NotSentError
			var ne *NetworkError
			switch {
			case errors.As(err, &ne):
				t.Fatalf("Do = %v: a NetworkError (an answer lost), want throttled or not sent", err)
			case tt.throttled && (!errors.As(err, &te) || te.Until.IsZero() || te.RetryAfter <= 0):
				t.Fatalf("Do = %v (%T), want a *ThrottledError saying until when", err, err)
			case !tt.throttled && !errors.As(err, &ns):
				t.Fatalf("Do = %v (%T), want a *NotSentError", err, err)
			}
		})
	}
}
