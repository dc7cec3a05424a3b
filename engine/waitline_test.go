package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/internal/testenv"
)

// A wait that repeats (a Certifier that answers 503 all day) keeps one
// line in the run's log that counts it, with its first and last time,
// instead of a line per try: the log stays small and honest. Two waits
// that alternate keep a line each; anything else in between (a retry
// asked for) starts new lines. What it says is what happened: Certifier
// did not answer, not "unconfirmed", and no raw upstream error.
func TestRepeatedWaitIsOneLine(t *testing.T) {
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	a, run := h.anasRun()
	run.Status, run.Step, run.Attempts = autocred.RunPending, autocred.StepCreate, 1
	unavailable := &certifier.Error{Endpoint: "GET /credentials", Status: 503, Message: "upstream connect error or disconnect/reset before headers"}
	for range 14 {
		_ = h.engine.ReconcileFailed(ctx, &run, a, unavailable, false)
	}
	lines := func() []string {
		t.Helper()
		events, err := h.store.RunEvents(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range events {
			out = append(out, e.Message)
		}
		return out
	}
	const didNotAnswer = "Waiting: Certifier answered with an error (503 Service Unavailable)"
	got := lines()
	if len(got) != 1 || !strings.HasPrefix(got[0], didNotAnswer+", 14 times between ") || strings.Contains(got[0], "upstream connect") {
		t.Fatalf("the log after 14 failed tries: %q; want one line counting them, in words", got)
	}
	if r, _ := h.store.Run(ctx, run.ID); r.ErrorCode != autocred.RunCodeRetrying || r.LastError != "Certifier answered with an error (503 Service Unavailable)." {
		t.Errorf("the run says %q (%s); want that Certifier answered with an error, code retrying", r.LastError, r.ErrorCode)
	}

	// Alternating with another wait: a line each, each counting itself.
	for range 3 {
		_ = h.engine.PermissionDenied(ctx, &run, "The key's user lacks the contacts permission.", false)
		_ = h.engine.ReconcileFailed(ctx, &run, a, unavailable, false)
	}
	got = lines()
	if len(got) != 2 || !strings.HasPrefix(got[0], didNotAnswer+", 17 times between ") ||
		!strings.HasPrefix(got[1], "Waiting: The key's user lacks the contacts permission. autocred retries by itself (at most 10 minutes apart) until it is granted, 3 times between ") {
		t.Fatalf("the log after alternating waits: %q; want two lines, 17 and 3 times", got)
	}

	// A retry asked for in between: the next wait is a new line.
	if err := h.store.AddRunEvent(ctx, run.ID, "Retry requested by ada@example.com."); err != nil {
		t.Fatal(err)
	}
	_ = h.engine.ReconcileFailed(ctx, &run, a, unavailable, false)
	if got = lines(); len(got) != 4 || got[3] != didNotAnswer+"." {
		t.Fatalf("the log after a retry: %q; want a new line for the wait after it", got)
	}
}
