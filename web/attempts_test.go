package web

import (
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// While Certifier rate limits, a run's create call waits for its turn
// after the run has recorded it (its step and attempt are saved before
// the call, in case it is sent and its answer lost). A tester saw
// "Attempts: 1" beside a log without "Attempt 1", nothing sent: the page
// counts the attempts whose call its log shows, as it says it does.
func TestAttemptsAgreeWithTheLog(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	ctx := t.Context()
	now := time.Now()
	slowDown := "Certifier asked autocred to wait 30 seconds (rate limit); the run continues then; a wait is not a failed attempt."
	sent := func(attempt int) string {
		return autocred.SentCredential{Attempt: attempt, Call: autocred.CallCreateIssueSend, GroupID: "g", RecipientName: "Amy Lee",
			RecipientEmail: "amy@example.com"}.EventMessage()
	}
	tests := []struct {
		name     string
		attempts int // as the engine saved it before the call
		log      []string
		want     int
	}{
		{"the first call waits for its turn", 1, []string{slowDown}, 0},
		{"a second call waits after a first was sent", 2, []string{sent(1), "Certifier answered with an error (500 Internal Server Error).", slowDown}, 1},
		{"the call was sent", 1, []string{sent(1)}, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := u.addRun(f.automation, autocred.ContactID(60+i), "Amy", "Lee", "amy@example.com", autocred.RunPending, now)
			r.Step, r.StepStartedAt, r.Attempts = autocred.StepCreate, now, tt.attempts
			r.ErrorCode, r.LastError = autocred.RunCodeRetrying, "Certifier asked autocred to slow down (rate limit); the call changed nothing, and the wait is not a failed attempt."
			if err := u.env.Store.SaveRun(ctx, &r); err != nil {
				t.Fatal(err)
			}
			for _, line := range tt.log {
				if err := u.env.Store.AddRunEvent(ctx, r.ID, line); err != nil {
					t.Fatal(err)
				}
			}
			p := u.do("GET", "/runs/"+itoa(r.ID), nil)
			want := "<dt>Attempts</dt><dd>" + itoa(int64(tt.want)) + " "
			if !strings.Contains(p.body, want) {
				i := strings.Index(p.body, "<dt>Attempts</dt>")
				t.Errorf("the run page lacks %q: %.80s", want, p.body[max(i, 0):])
			}
		})
	}
}
