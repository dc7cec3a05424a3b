package store

import (
	"context"
	"database/sql"
	"errors"
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
