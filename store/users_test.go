package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

func TestUsers(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if has, err := db.HasUsers(ctx); err != nil || has {
			t.Fatalf("fresh database has users: %v %v", has, err)
		}
		for _, c := range []struct{ email, password, field string }{
			{"", "long enough password", "email"},
			{"not-an-email", "long enough password", "email"},
			{"a@example.com", "short", "password"},
		} {
			_, err := db.CreateUser(ctx, c.email, c.password)
			var e *autocred.Error
			if !asError(err, &e) || e.Field != c.field {
				t.Errorf("CreateUser(%q, %q): %v, want an error on %s", c.email, c.password, err, c.field)
			}
		}
		u, err := db.CreateFirstUser(ctx, " Admin@Example.com ", "long enough password")
		if err != nil || u.ID == 0 || u.Email != "admin@example.com" {
			t.Fatalf("CreateFirstUser: %+v %v; want the email trimmed and lower-cased", u, err)
		}
		if _, err := db.CreateFirstUser(ctx, "other@example.com", "long enough password"); autocred.ErrorCode(err) != autocred.ECONFLICT {
			t.Errorf("second first user: %v, want a conflict", err)
		}
		if _, err := db.CreateUser(ctx, "admin@example.com", "another password"); autocred.ErrorCode(err) != autocred.ECONFLICT {
			t.Errorf("same email in another case: %v, want a conflict", err)
		}
		if _, err := db.CreateUser(ctx, "second@example.com", "another password"); err != nil {
			t.Errorf("a second user: %v", err)
		}
		if got, err := db.Authenticate(ctx, "ADMIN@example.com", "long enough password"); err != nil || got.ID != u.ID {
			t.Errorf("Authenticate: %+v %v", got, err)
		}
		for _, c := range [][2]string{{"admin@example.com", "wrong password!"}, {"nobody@example.com", "long enough password"}} {
			if _, err := db.Authenticate(ctx, c[0], c[1]); autocred.ErrorCode(err) != autocred.EUNAUTHORIZED || autocred.ErrorMessage(err) != "wrong email or password" {
				t.Errorf("Authenticate(%q): %v", c[0], err)
			}
		}
		var hash string
		if err := db.pool().QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash); err != nil || hash[:4] != "$2a$" {
			t.Errorf("password stored as %q, want a bcrypt hash", hash)
		}
	})
}

func TestSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		u, err := db.CreateUser(ctx, "a@example.com", "long enough password")
		if err != nil {
			t.Fatal(err)
		}
		token, expires, err := db.CreateSession(ctx, u.ID)
		if err != nil || len(token) < 40 || time.Until(expires) < SessionTTL-time.Minute {
			t.Fatalf("CreateSession: %q %v %v", token, expires, err)
		}
		if got, err := db.SessionUser(ctx, token); err != nil || got.ID != u.ID {
			t.Errorf("SessionUser: %+v %v", got, err)
		}
		var stored int
		if err := db.pool().QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE id = ?`, []byte(token)).Scan(&stored); err != nil || stored != 0 {
			t.Error("the token is stored as it is; only its hash may be")
		}
		if _, err := db.SessionUser(ctx, token+"x"); autocred.ErrorCode(err) != autocred.EUNAUTHORIZED {
			t.Errorf("unknown token: %v", err)
		}
		// Expired: seen from 15 days later.
		db.now = func() time.Time { return time.Now().Add(15 * 24 * time.Hour) }
		if _, err := db.SessionUser(ctx, token); autocred.ErrorCode(err) != autocred.EUNAUTHORIZED {
			t.Errorf("expired session: %v", err)
		}
		db.now = time.Now
		if err := db.DeleteSession(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SessionUser(ctx, token); autocred.ErrorCode(err) != autocred.EUNAUTHORIZED {
			t.Errorf("deleted session: %v", err)
		}
	})
}

func TestRunsPerDayAndBatchProgress(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		chicago, err := time.LoadLocation("America/Chicago")
		if err != nil {
			t.Fatal(err)
		}
		// 10:00 in Chicago on the day after the spring change: the
		// days before it are 24 hours long, that one 23.
		now := time.Date(2025, 3, 10, 10, 0, 0, 0, chicago)
		at := func(day, hour int) time.Time { return time.Date(2025, 3, day, hour, 30, 0, 0, chicago) }
		for i, c := range []struct {
			at     time.Time
			status autocred.RunStatus
		}{
			{at(10, 9), autocred.RunIssued}, {at(10, 0), autocred.RunSendUnconfirmed}, {at(10, 1), autocred.RunFailed},
			{at(10, 2), autocred.RunSkipped}, {at(10, 3), autocred.RunPending}, {at(10, 4), autocred.RunDraft},
			{at(9, 23), autocred.RunIssued}, // 04:30 UTC on the 10th: still the 9th in Chicago
			{at(8, 0), autocred.RunFailed}, {at(8, 12), autocred.RunFailed},
			{at(3, 23), autocred.RunIssued}, // the day before the first of 7
			{at(11, 1), autocred.RunIssued}, // tomorrow (a clock moved back): not counted
		} {
			db.now = func() time.Time { return c.at }
			r := autocred.Run{AutomationID: a.ID, ContactID: autocred.ContactID(i + 1), Entry: 1, Status: c.status}
			if err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, &r) }); err != nil {
				t.Fatal(err)
			}
		}
		db.now = func() time.Time { return now }
		got, err := db.RunsPerDay(ctx, a.ID, 7, chicago)
		if err != nil || len(got) != 7 {
			t.Fatalf("RunsPerDay: %v %v", got, err)
		}
		want := map[int]autocred.DayCount{
			6: {Issued: 2, Draft: 1, Skipped: 1, Failed: 1},
			5: {Issued: 1},
			4: {Failed: 2},
		}
		for i, d := range got {
			if !d.Day.Equal(time.Date(2025, 3, 4+i, 0, 0, 0, 0, chicago)) {
				t.Errorf("day %d is %v, want midnight of March %d in Chicago", i, d.Day, 4+i)
			}
			w := want[i]
			if d.Issued != w.Issued || d.Draft != w.Draft || d.Skipped != w.Skipped || d.Failed != w.Failed {
				t.Errorf("day %d (%s): %+v, want %+v", i, d.Day.Format("Jan 2"), d, w)
			}
		}
		// The same runs counted in UTC: the issued run of 23:30 on the
		// 9th in Chicago is on the 10th.
		utc, err := db.RunsPerDay(ctx, a.ID, 7, time.UTC)
		if err != nil || utc[6].Issued != 3 || utc[5].Issued != 0 {
			t.Errorf("RunsPerDay in UTC: %+v %v, want 3 issued today and none yesterday", utc, err)
		}
		p, err := db.BatchProgress(ctx, a.ID)
		if err != nil || p.Total != 7 || p.Done != 6 {
			t.Errorf("BatchProgress: %+v %v, want 6 done of 7 since the oldest pending", p, err)
		}
	})
}

func asError(err error, target **autocred.Error) bool { return errors.As(err, target) }

// A run counts on the day it finished, not on the day of a later line of
// its log: a tester saw "Resend email" move an issued run to the day of
// the resend in the chart "Runs finished per day". A run retried counts on
// the day its retry finished.
func TestRunsPerDayCountsTheDayARunFinished(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		day1 := time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC)
		day2 := day1.AddDate(0, 0, 1)
		db.now = func() time.Time { return day1.Add(-time.Hour) }
		issued := autocred.Run{AutomationID: a.ID, ContactID: 1, Entry: 1, Status: autocred.RunPending}
		failed := autocred.Run{AutomationID: a.ID, ContactID: 2, Entry: 1, Status: autocred.RunPending}
		for _, r := range []*autocred.Run{&issued, &failed} {
			if err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, r) }); err != nil {
				t.Fatal(err)
			}
		}
		db.now = func() time.Time { return day1 }
		issued.Status, failed.Status = autocred.RunIssued, autocred.RunFailed
		for _, r := range []*autocred.Run{&issued, &failed} {
			if err := db.SaveRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		// Day 2: the issued run's email is resent (a line of its log),
		// and the failed one is retried and issued.
		db.now = func() time.Time { return day2 }
		if err := db.AddRunEvent(ctx, issued.ID, "Email resent by ada@example.com to ana@example.com."); err != nil {
			t.Fatal(err)
		}
		failed.Status = autocred.RunPending
		if err := db.SaveRun(ctx, &failed); err != nil {
			t.Fatal(err)
		}
		failed.Status = autocred.RunIssued
		if err := db.SaveRun(ctx, &failed); err != nil {
			t.Fatal(err)
		}
		got, err := db.RunsPerDay(ctx, a.ID, 2, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Issued != 1 || got[0].Failed != 0 || got[1].Issued != 1 {
			t.Errorf("day 1: %+v, day 2: %+v; want the resent run issued on day 1, the retried one on day 2 (and no failure left)", got[0], got[1])
		}
	})
}

// Upgraded, a final run from before migration 0022 counts on the day of
// the last line of its log that is not about a resend (its outcome), or of
// its last update without one; a pending run has not finished.
func TestUpgradeFinishesRunsOnTheirOutcomesDay(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		day1 := time.Date(2025, 6, 2, 15, 0, 0, 0, time.UTC)
		day2 := day1.AddDate(0, 0, 1)
		db.now = func() time.Time { return day1 }
		runs := []*autocred.Run{
			{AutomationID: a.ID, ContactID: 1, Entry: 1, Status: autocred.RunPending},
			{AutomationID: a.ID, ContactID: 2, Entry: 1, Status: autocred.RunPending},
			{AutomationID: a.ID, ContactID: 3, Entry: 1, Status: autocred.RunPending},
		}
		for _, r := range runs {
			if err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, r) }); err != nil {
				t.Fatal(err)
			}
		}
		runs[0].Status, runs[1].Status = autocred.RunIssued, autocred.RunFailed
		for _, r := range runs[:2] {
			if err := db.SaveRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.AddRunEvent(ctx, runs[0].ID, "Created, issued and sent in one call (credential 01abc)."); err != nil {
			t.Fatal(err)
		}
		db.now = func() time.Time { return day2 }
		if err := db.AddRunEvent(ctx, runs[0].ID, "Email resent by ada@example.com to ana@example.com."); err != nil {
			t.Fatal(err)
		}
		// Back to the schema before 0022 (each run's updated_at as it
		// was: the failed run's a day later), then up again.
		for _, q := range []string{`DROP INDEX runs_by_finished`, `ALTER TABLE runs DROP COLUMN finished_at`,
			`UPDATE runs SET updated_at = ` + fmt.Sprint(ms(day2)) + ` WHERE id = ` + fmt.Sprint(runs[1].ID),
			`DELETE FROM schema_migrations WHERE version = 22`} {
			if _, err := db.sql.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for i, want := range []time.Time{day1, day2, {}} {
			var got int64
			if err := db.sql.QueryRowContext(ctx, `SELECT finished_at FROM runs WHERE id = `+fmt.Sprint(runs[i].ID)).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if w := ms(want); want.IsZero() && got != 0 || !want.IsZero() && got != w {
				t.Errorf("run %d (%s) finished at %d after the upgrade, want %d", i, runs[i].Status, got, w)
			}
		}
	})
}
