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

func TestIssuedPerDayAndBatchProgress(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		day := 24 * time.Hour
		now := time.Now()
		for i, c := range []struct {
			ago    time.Duration
			status autocred.RunStatus
		}{{0, autocred.RunIssued}, {0, autocred.RunSendUnconfirmed}, {2 * day, autocred.RunIssued}, {0, autocred.RunFailed}, {20 * day, autocred.RunIssued}, {0, autocred.RunPending}, {0, autocred.RunIssued}} {
			db.now = func() time.Time { return now.Add(-c.ago) }
			r := autocred.Run{AutomationID: a.ID, ContactID: autocred.ContactID(i + 1), Entry: 1, Status: c.status}
			if err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, &r) }); err != nil {
				t.Fatal(err)
			}
		}
		db.now = func() time.Time { return now }
		got, err := db.IssuedPerDay(ctx, a.ID, 7)
		if err != nil || len(got) != 7 || got[6] != 3 || got[4] != 1 || got[0] != 0 {
			t.Errorf("IssuedPerDay: %v %v", got, err)
		}
		p, err := db.BatchProgress(ctx, a.ID)
		if err != nil || p.Total != 2 || p.Done != 1 {
			t.Errorf("BatchProgress: %+v %v, want 1 done of 2 since the oldest pending", p, err)
		}
	})
}

func asError(err error, target **autocred.Error) bool { return errors.As(err, target) }
