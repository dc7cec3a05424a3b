package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/store/storetest"
)

// The chart "Runs finished per day" counts a run issued yesterday on
// yesterday, though its email was resent today (a line of its log, which
// moves the run's last update): a tester saw the resend move it to today.
func TestRunsPerDayKeepsAResentRunOnItsDay(t *testing.T) {
	for _, kind := range testdb.Kinds {
		t.Run(kind, func(t *testing.T) {
			env := testenv.New(t, testenv.Options{Database: kind})
			ctx := context.Background()
			is := startIssuing(t, env, "Course certificate")
			a, err := env.Store.Automation(ctx, is.automation.ID)
			if err != nil {
				t.Fatal(err)
			}
			// The chart's days are read from the clock when asked: a test
			// that straddled UTC midnight would see "yesterday" move.
			waitPastMidnight(time.Now().UTC(), time.Minute)
			yesterday := time.Now().UTC().Truncate(24 * time.Hour).Add(-12 * time.Hour) // noon
			run := autocred.Run{AutomationID: a.ID, ContactID: 1, Entry: 1, Email: "ana@example.com", Status: autocred.RunIssued,
				CredentialID: "01cred", CreatedAt: yesterday.Add(-time.Minute), UpdatedAt: yesterday}
			if err := storetest.InsertRun(ctx, env.Store, &run); err != nil {
				t.Fatal(err)
			}
			// What "Resend email" writes in the run's log, today.
			if err := env.Store.AddRunEvent(ctx, run.ID, "Email resent by ada@example.com to ana@example.com."); err != nil {
				t.Fatal(err)
			}
			_, days, err := env.Service.RunsPerDay(ctx, a, 2, "UTC")
			if err != nil {
				t.Fatal(err)
			}
			if days[0].Issued != 1 || days[1].Issued != 0 {
				t.Errorf("yesterday %+v, today %+v; want the run issued yesterday counted yesterday", days[0], days[1])
			}
		})
	}
}

// waitPastMidnight sleeps past the next UTC midnight when it is less than
// margin away from now, so that a test of "today" and "yesterday" shorter
// than margin runs within one UTC day.
func waitPastMidnight(now time.Time, margin time.Duration) {
	if left := now.Truncate(24 * time.Hour).Add(24 * time.Hour).Sub(now); left < margin {
		time.Sleep(left + time.Second)
	}
}
