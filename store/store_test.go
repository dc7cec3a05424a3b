package store

import (
	"context"
	"database/sql"
	"errors"
	"github.com/autocred/autocred/internal/testdb"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// forEachDB runs a test on a fresh store of every database: the same
// suite is the conformance test of both.
func forEachDB(t *testing.T, test func(t *testing.T, db *DB)) {
	for _, kind := range testdb.Kinds {
		t.Run(kind, func(t *testing.T) {
			db, err := Open(context.Background(), testdb.DSN(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			test(t, db)
		})
	}
}

// AutovacuumOff reports the server's setting on PostgreSQL (CI's has it
// off, a deployment's on), and never on SQLite.
func TestAutovacuumOffSaysWhatTheServerIsSetTo(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		off, err := db.AutovacuumOff(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := false
		if db.IsPostgres() {
			var setting string
			if err := db.sql.QueryRow(`SHOW autovacuum`).Scan(&setting); err != nil {
				t.Fatal(err)
			}
			want = setting == "off"
		}
		if off != want {
			t.Errorf("AutovacuumOff = %v, want %v", off, want)
		}
	})
}

// fixture creates two connections and an automation on them.
func fixture(t *testing.T, db *DB) autocred.Automation {
	t.Helper()
	ctx := context.Background()
	ac := autocred.Connection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: "https://acme.api-us1.com", SecretHint: "…abcd"}
	cert := autocred.Connection{App: autocred.AppCertifier, Name: "Cert", APIURL: "https://api.certifier.io/v1", SecretHint: "…wxyz"}
	for _, c := range []*autocred.Connection{&ac, &cert} {
		if err := db.CreateConnection(ctx, c, []byte("sealed")); err != nil {
			t.Fatal(err)
		}
	}
	a := autocred.Automation{
		Name:    "Certificates",
		Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: "seg-1", SegmentName: "Course Completers"},
		Action: autocred.Action{ConnectionID: cert.ID, GroupID: "grp", GroupName: "Course", RecipientName: "{{contact.firstName}}",
			RecipientEmail: "{{contact.email}}", CustomAttributes: map[string]string{"custom.course": "Go"}, Issue: true, Send: true},
		PollInterval: 30 * time.Second,
	}
	if err := db.CreateAutomation(ctx, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestMigrateTwiceAndReady(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if err := db.Ready(context.Background()); err != nil {
			t.Fatalf("Ready: %v", err)
		}
		fresh, err := Open(context.Background(), filepath.Join(t.TempDir(), "fresh.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		if err := fresh.Ready(context.Background()); err == nil {
			t.Error("an unmigrated database reports ready")
		}
	})
}

// Nodes that start together all migrate the same fresh database: they take
// turns, and every one of them ends up ready.
func TestMigrateFromSeveralNodesAtOnce(t *testing.T) {
	for _, kind := range testdb.Kinds {
		t.Run(kind, func(t *testing.T) {
			dsn := testdb.DSN(t, kind)
			errs := make(chan error, 4)
			for range cap(errs) {
				go func() {
					db, err := Open(context.Background(), dsn)
					if err != nil {
						errs <- err
						return
					}
					defer db.Close()
					if err := db.Migrate(context.Background()); err != nil {
						errs <- err
						return
					}
					errs <- db.Ready(context.Background())
				}()
			}
			for range cap(errs) {
				if err := <-errs; err != nil {
					t.Errorf("a node starting with the others: %v", err)
				}
			}
		})
	}
}

func TestAutomationRoundTrip(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		got, err := db.Automation(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != autocred.AutomationDraft || got.Action.CustomAttributes["custom.course"] != "Go" ||
			got.PollInterval != 30*time.Second || got.Trigger.SegmentName != "Course Completers" || !got.Action.Send {
			t.Errorf("read back %+v", got)
		}
		if _, err := db.Automation(context.Background(), 999); autocred.ErrorCode(err) != autocred.ENOTFOUND {
			t.Errorf("missing automation: %v", err)
		}
	})
}

func TestLedgerEntriesAndAbsences(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		now := time.Now()
		inTx := func(fn func(tx *sql.Tx) error) {
			t.Helper()
			if err := db.tx(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}

		inTx(func(tx *sql.Tx) error { return db.markBaseline(ctx, tx, a.ID, []autocred.ContactID{1, 2, 3}, now) })
		if in, _ := db.InSegment(ctx, a.ID); !slices.Equal(in, []autocred.ContactID{1, 2, 3}) {
			t.Fatalf("after baseline in = %v", in)
		}
		if m, _ := db.Membership(ctx, a.ID, 1); m.Entries != 0 || !m.InSegment {
			t.Errorf("a baseline member has %d entries, in=%v; want 0 entries", m.Entries, m.InSegment)
		}

		// A new contact enters: entry 1. Entering again while in is refused.
		inTx(func(tx *sql.Tx) error {
			entry, err := db.enter(ctx, tx, a.ID, 4, now)
			if entry != 1 || err != nil {
				t.Errorf("first entry = %d, %v", entry, err)
			}
			if _, err := db.enter(ctx, tx, a.ID, 4, now); !errors.Is(err, errAlreadyIn) {
				t.Errorf("second entry while in: %v, want errAlreadyIn", err)
			}
			return nil
		})

		// absentFrom records one confirmed snapshot from which ids are
		// missing, every would-be leaver confirmed out: it returns who left.
		absentFrom := func(ids ...autocred.ContactID) (left []autocred.ContactID) {
			leavers, err := db.PreviouslyMissing(ctx, a.ID, ids)
			if err != nil {
				t.Fatal(err)
			}
			inTx(func(tx *sql.Tx) error {
				seq, err := db.nextSnapshotSeq(ctx, tx, a.ID)
				if err != nil {
					return err
				}
				left, err = db.recordAbsences(ctx, tx, a.ID, seq, leavers, ids, now)
				return err
			})
			return left
		}
		// Contact 2 misses snapshots 1 and 2: left only after the second.
		if left := absentFrom(2, 3); len(left) != 0 {
			t.Fatalf("left after one absence: %v", left)
		}
		// Contact 3 is back in snapshot 2; contact 2 is missing again.
		if left := absentFrom(2); !slices.Equal(left, []autocred.ContactID{2}) {
			t.Fatalf("left after two absences = %v, want [2]", left)
		}
		// Contact 3 missing in snapshot 3 after being present in 2: not left,
		// and not a would-be leaver.
		if got, _ := db.PreviouslyMissing(ctx, a.ID, []autocred.ContactID{3}); len(got) != 0 {
			t.Fatalf("absent, present: %v taken as would-be leavers", got)
		}
		if left := absentFrom(3); len(left) != 0 {
			t.Fatalf("absent, present, absent counted as left: %v", left)
		}
		if got, _ := db.PreviouslyMissing(ctx, a.ID, []autocred.ContactID{1, 3}); !slices.Equal(got, []autocred.ContactID{3}) {
			t.Fatalf("would-be leavers after snapshot 3 = %v, want [3]", got)
		}

		// Contact 2 (a baseline member) re-enters: its first entry (R5, R2).
		inTx(func(tx *sql.Tx) error {
			entry, err := db.enter(ctx, tx, a.ID, 2, now)
			if entry != 1 || err != nil {
				t.Errorf("re-entry of a baseline member = %d, %v; want entry 1", entry, err)
			}
			return nil
		})
		// Contact 4 leaves by a single-contact check and re-enters: entry 2.
		if was, err := db.MarkLeft(ctx, a.ID, 4, now); !was || err != nil {
			t.Errorf("MarkLeft = %v, %v", was, err)
		}
		inTx(func(tx *sql.Tx) error {
			entry, err := db.enter(ctx, tx, a.ID, 4, now)
			if entry != 2 || err != nil {
				t.Errorf("re-entry = %d, %v; want 2", entry, err)
			}
			return nil
		})
		if in, _ := db.InSegment(ctx, a.ID); !slices.Equal(in, []autocred.ContactID{1, 2, 3, 4}) {
			t.Errorf("in = %v", in)
		}
	})
}

func TestRunUniquePerEntry(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		insert := func(contact autocred.ContactID, entry int) error {
			return db.tx(ctx, func(tx *sql.Tx) error {
				return db.insertRun(ctx, tx, &autocred.Run{AutomationID: a.ID, ContactID: contact, Entry: entry, Email: "Ana@Example.com"})
			})
		}
		if err := insert(7, 1); err != nil {
			t.Fatal(err)
		}
		if err := insert(7, 1); err == nil || !strings.Contains(strings.ToLower(err.Error()), "unique") {
			t.Fatalf("a second run for one entry was stored (err %v)", err)
		}
		if err := insert(7, 2); err != nil {
			t.Fatalf("run for entry 2: %v", err)
		}
		runs, next, err := db.Runs(ctx, autocred.RunFilter{AutomationID: a.ID, Contact: "ana@example"})
		if err != nil || len(runs) != 2 || next != 0 || runs[0].Entry != 2 {
			t.Fatalf("runs by email = %+v, next %d, %v", runs, next, err)
		}
		page, next, _ := db.Runs(ctx, autocred.RunFilter{AutomationID: a.ID, Limit: 1})
		if len(page) != 1 || next == 0 {
			t.Fatalf("page of 1: %d runs, next %d", len(page), next)
		}
		page2, next2, _ := db.Runs(ctx, autocred.RunFilter{AutomationID: a.ID, Limit: 1, After: next})
		if len(page2) != 1 || page2[0].ID == page[0].ID || next2 != 0 {
			t.Fatalf("second page = %+v, next %d", page2, next2)
		}
	})
}

func TestRetryOnlyFailedOrSkipped(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		withJobs(t, db)
		a := fixture(t, db)
		ctx := context.Background()
		r := autocred.Run{AutomationID: a.ID, ContactID: 1, Entry: 1}
		_ = db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, &r) })
		retry := func() error { return db.RetryRun(ctx, r.ID, "") }
		if err := retry(); autocred.ErrorCode(err) != autocred.ECONFLICT {
			t.Errorf("retry of a pending run: %v, want conflict", err)
		}
		r.Status, r.LastError = autocred.RunFailed, "bad date"
		if err := db.SaveRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		if err := retry(); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Run(ctx, r.ID)
		if got.Status != autocred.RunPending || got.LastError != "" {
			t.Errorf("after retry: %s %q", got.Status, got.LastError)
		}
		if n := jobs(t, db, "issue"); n != 1 {
			t.Errorf("%d issue jobs after one retry, want 1", n)
		}
	})
}

// While its automation does not watch its segment, a run cannot be
// retried, alone or with every failed run: nothing would work it. The
// refusal says what to do first; once resumed, the retry is accepted.
func TestRetryIsRefusedWhileTheAutomationIsStopped(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		withJobs(t, db)
		a := fixture(t, db)
		ctx := context.Background()
		r := autocred.Run{AutomationID: a.ID, ContactID: 1, Entry: 1, Status: autocred.RunFailed, LastError: "bad date"}
		_ = db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, &r) })
		for _, tt := range []struct {
			status autocred.AutomationStatus
			reason string
			says   string
		}{
			{autocred.AutomationPaused, "", "resume it first"},
			{autocred.AutomationPaused, autocred.GroupMissingReason("Course"), "once another group is chosen under Edit"},
			{autocred.AutomationBroken, "connection stopped working: 401", "reconnect the connection, resume the automation"},
		} {
			if err := db.SetAutomationStatus(ctx, a.ID, tt.status, tt.reason); err != nil {
				t.Fatal(err)
			}
			err := db.RetryRun(ctx, r.ID, "")
			if autocred.ErrorCode(err) != autocred.ECONFLICT || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("retry while %s (%q): %v, want a conflict saying %q", tt.status, tt.reason, err, tt.says)
			}
			if _, err := db.RetryFailedRuns(ctx, a.ID, ""); autocred.ErrorCode(err) != autocred.ECONFLICT || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("retry all failed while %s (%q): %v, want a conflict saying %q", tt.status, tt.reason, err, tt.says)
			}
		}
		if got, _ := db.Run(ctx, r.ID); got.Status != autocred.RunFailed || jobs(t, db, "issue") != 0 {
			t.Errorf("after refused retries: %s, %d issue jobs; want failed, none", got.Status, jobs(t, db, "issue"))
		}
		if err := db.SetAutomationStatus(ctx, a.ID, autocred.AutomationActive, ""); err != nil {
			t.Fatal(err)
		}
		if err := db.RetryRun(ctx, r.ID, ""); err != nil {
			t.Errorf("retry of an active automation's failed run: %v", err)
		}
	})
}

// A line added to a run's log (a resend of its email, who asked) is a
// change to the run: its updated_at moves to the line's time, never back.
func TestALogLineUpdatesTheRun(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		defer func(now func() time.Time) { db.now = now }(db.now)
		issued := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		db.now = func() time.Time { return issued }
		r := autocred.Run{AutomationID: a.ID, ContactID: 1, Entry: 1, Status: autocred.RunIssued, CredentialID: "cred-1"}
		_ = db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, &r) })
		resent := issued.Add(3 * time.Hour)
		db.now = func() time.Time { return resent }
		if err := db.AddRunEvent(ctx, r.ID, "Email resent by ada@example.com to bo@example.com."); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Run(ctx, r.ID); !got.UpdatedAt.Equal(resent) {
			t.Errorf("after a resend line, updated_at is %s, want %s", got.UpdatedAt, resent)
		}
		if err := db.AddRunEvents(ctx, r.ID, []autocred.RunEvent{{At: issued.Add(time.Hour), Message: "an older line"}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Run(ctx, r.ID); !got.UpdatedAt.Equal(resent) {
			t.Errorf("a line older than the last change moved updated_at to %s", got.UpdatedAt)
		}
	})
}

func TestConnectionDeleteAndBroken(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		if err := db.DeleteConnection(ctx, a.Trigger.ConnectionID); autocred.ErrorCode(err) != autocred.ECONFLICT {
			t.Errorf("deleting a used connection: %v, want conflict", err)
		}
		_ = db.tx(ctx, func(tx *sql.Tx) error {
			return db.setAutomationStatus(ctx, tx, a.ID, autocred.AutomationActive, "", autocred.AutomationDraft)
		})
		if err := db.SetConnectionStatus(ctx, a.Action.ConnectionID, autocred.ConnectionBroken, "401 unauthorized"); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Automation(ctx, a.ID)
		if got.Status != autocred.AutomationBroken || !strings.Contains(got.StatusReason, "401") {
			t.Errorf("automation on a broken connection is %s (%q)", got.Status, got.StatusReason)
		}
		err := db.tx(ctx, func(tx *sql.Tx) error {
			return db.setAutomationStatus(ctx, tx, a.ID, autocred.AutomationPaused, "", autocred.AutomationActive)
		})
		// The refusal says the status in words, with the automation's name.
		if autocred.ErrorCode(err) != autocred.ECONFLICT || !strings.Contains(err.Error(), `"Certificates" is stopped for its connection`) {
			t.Errorf("pausing a broken automation: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		token, err := db.CreateToken(ctx, "ci")
		if err != nil {
			t.Fatal(err)
		}
		if name, err := db.CheckToken(ctx, token); err != nil || name != "ci" {
			t.Errorf("CheckToken = %q, %v", name, err)
		}
		for _, bad := range []string{"", token + "x", "acr_nope", strings.TrimPrefix(token, "acr_")} {
			if _, err := db.CheckToken(ctx, bad); autocred.ErrorCode(err) != autocred.EUNAUTHORIZED {
				t.Errorf("CheckToken(%q) = %v", bad, err)
			}
		}
		if _, err := db.CreateToken(ctx, " "); autocred.ErrorCode(err) != autocred.EINVALID {
			t.Errorf("empty name: %v", err)
		}

		// Listed without the token, with its last use; revoked, refused.
		other, err := db.CreateToken(ctx, "zapier")
		if err != nil {
			t.Fatal(err)
		}
		list, err := db.Tokens(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "ci" || list[0].LastUsedAt.IsZero() || !list[1].LastUsedAt.IsZero() {
			t.Fatalf("Tokens = %+v, %v; want ci (used) then zapier (never used)", list, err)
		}
		if err := db.RevokeToken(ctx, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CheckToken(ctx, token); autocred.ErrorCode(err) != autocred.EUNAUTHORIZED {
			t.Errorf("a revoked token: %v, want it refused", err)
		}
		if name, err := db.CheckToken(ctx, other); err != nil || name != "zapier" {
			t.Errorf("the other token after a revocation: %q, %v", name, err)
		}
		if err := db.RevokeToken(ctx, list[0].ID); autocred.ErrorCode(err) != autocred.ENOTFOUND {
			t.Errorf("revoking twice: %v, want not found", err)
		}
	})
}

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT ? , ?", "SELECT $1 , $2"},
		{`WHERE a = ? AND b LIKE ? ESCAPE '\'`, `WHERE a = $1 AND b LIKE $2 ESCAPE '\'`},
		{"SELECT '?' , ?", "SELECT '?' , $1"},
		{"no placeholders", "no placeholders"},
	}
	for _, tt := range tests {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSaveRunKeepsTheContactSent: a run records the contact its credential
// was made from, as the attempt that read it again left it.
func TestSaveRunKeepsTheContactSent(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		r := autocred.Run{AutomationID: a.ID, ContactID: 1, Entry: 1, Email: "ana@example",
			Contact: autocred.Contact{ID: 1, Email: "ana@example", FirstName: "Ana"}}
		if err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, &r) }); err != nil {
			t.Fatal(err)
		}
		r.Email = "ana@example.com"
		r.Contact = autocred.Contact{ID: 1, Email: "ana@example.com", FirstName: "Ana", LastName: "Lee", Fields: map[string]string{"course": "Go 101"}}
		if err := db.SaveRun(ctx, &r); err != nil {
			t.Fatal(err)
		}
		got, err := db.Run(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Email != "ana@example.com" || got.Contact.Email != "ana@example.com" || got.Contact.LastName != "Lee" || got.Contact.Fields["course"] != "Go 101" {
			t.Errorf("run as read back: email %q, contact %+v", got.Email, got.Contact)
		}
	})
}

// TestRunRecordedWithAStringContactIDReads: runs recorded before
// autocred.ContactID stored their contact with its id as a string
// ("ID":"42"); they must still read, with the id.
func TestRunRecordedWithAStringContactIDReads(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		r := autocred.Run{AutomationID: a.ID, ContactID: 42, Entry: 1, Email: "ana@example.com"}
		if err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, &r) }); err != nil {
			t.Fatal(err)
		}
		old := `{"ID":"42","Email":"ana@example.com","FirstName":"Ana","LastName":"","Phone":"","Fields":null}`
		if _, err := db.pool().ExecContext(ctx, `UPDATE runs SET contact = ? WHERE id = ?`, old, r.ID); err != nil {
			t.Fatal(err)
		}
		got, err := db.Run(ctx, r.ID)
		if err != nil {
			t.Fatalf("reading a run stored with a string contact id: %v", err)
		}
		if got.ContactID != 42 || got.Contact.ID != 42 || got.Contact.FirstName != "Ana" {
			t.Errorf("run as read: contact id %d, contact %+v", got.ContactID, got.Contact)
		}
	})
}

// TestSaveRunWithWritesWhatChangedWithItsLogAndLease: a save that knows
// the row as read writes the columns that changed and leaves the others
// as they are; the run, the lines of its log and the release of its job's
// lease commit together, and a failure leaves none of them.
func TestSaveRunWithWritesWhatChangedWithItsLogAndLease(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		r := autocred.Run{AutomationID: a.ID, ContactID: 1, Entry: 1, Email: "ana@example.com",
			Contact: autocred.Contact{ID: 1, Email: "ana@example.com", FirstName: "Ana"}}
		if err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, &r) }); err != nil {
			t.Fatal(err)
		}
		read, err := db.Run(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		row, err := RowOf(&read)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := db.AcquireLease(ctx, "run:1", "job", time.Now().Add(time.Minute)); err != nil || !ok {
			t.Fatalf("lease: %v %v", ok, err)
		}
		// Someone else changes a column this save does not change.
		if _, err := db.pool().ExecContext(ctx, `UPDATE runs SET public_link = 'https://elsewhere' WHERE id = ?`, r.ID); err != nil {
			t.Fatal(err)
		}
		read.Status, read.CredentialID, read.Step, read.Attempts = autocred.RunIssued, "cred-1", autocred.StepNone, 1
		at := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
		err = db.SaveRunWith(ctx, &read, RunSave{Row: &row, Events: []autocred.RunEvent{{At: at, Message: "one"}, {At: at, Message: "two"}},
			Release: &Lease{Key: "run:1", Holder: "job"}})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := db.Run(ctx, r.ID)
		if got.Status != autocred.RunIssued || got.CredentialID != "cred-1" || got.Attempts != 1 || got.Email != "ana@example.com" || got.Contact.FirstName != "Ana" {
			t.Errorf("run as saved: %+v", got)
		}
		if got.PublicLink != "https://elsewhere" {
			t.Errorf("public link %q: a column the save did not change was written", got.PublicLink)
		}
		events, _ := db.RunEvents(ctx, r.ID)
		if len(events) != 2 || events[0].Message != "one" || events[1].Message != "two" || !events[0].At.Equal(at) {
			t.Errorf("events %+v, want one and two at %s", events, at)
		}
		if ok, err := db.AcquireLease(ctx, "run:1", "another job", time.Now().Add(time.Minute)); err != nil || !ok {
			t.Errorf("lease still held after the save that released it (%v, %v)", ok, err)
		}
		if next, _ := RowOf(&got); next.values[3] != row.values[3] || row.values[4] != "cred-1" {
			t.Errorf("the row the save knows is not what it wrote: %v", row.values)
		}

		// A write that fails (the log of a run that does not exist breaks
		// its foreign key) leaves the lease held.
		if ok, err := db.AcquireLease(ctx, "run:2", "job", time.Now().Add(time.Minute)); err != nil || !ok {
			t.Fatalf("lease: %v %v", ok, err)
		}
		missing := autocred.Run{ID: 99999, Status: autocred.RunFailed}
		if err := db.SaveRunWith(ctx, &missing, RunSave{Events: []autocred.RunEvent{{At: at, Message: "lost"}}, Release: &Lease{Key: "run:2", Holder: "job"}}); err == nil {
			t.Fatal("saved the log of a run that does not exist")
		}
		if ok, _ := db.AcquireLease(ctx, "run:2", "another job", time.Now().Add(time.Minute)); ok {
			t.Error("the lease was released by a save that failed")
		}
	})
}

// TestRunAndAutomationReadsBoth: the issue job's one read gives the run,
// its automation and its Certifier connection as the reads of their own
// do.
func TestRunAndAutomationReadsBoth(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		r := autocred.Run{AutomationID: a.ID, ContactID: 7, Entry: 2, Email: "ana@example.com", Attempts: 3,
			Contact: autocred.Contact{ID: 7, Email: "ana@example.com", FirstName: "Ana", Fields: map[string]string{"course": "Go"}}}
		if err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, &r) }); err != nil {
			t.Fatal(err)
		}
		wantRun, _ := db.Run(ctx, r.ID)
		wantAuto, _ := db.Automation(ctx, a.ID)
		wantConn, _ := db.Connection(ctx, a.Action.ConnectionID)
		gotRun, gotAuto, gotConn, err := db.RunAndAutomation(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotRun, wantRun) || !reflect.DeepEqual(gotAuto, wantAuto) || !reflect.DeepEqual(gotConn, wantConn) || gotConn.App != autocred.AppCertifier {
			t.Errorf("RunAndAutomation read\n%+v\n%+v\n%+v\nwant\n%+v\n%+v\n%+v", gotRun, gotAuto, gotConn, wantRun, wantAuto, wantConn)
		}
		if _, _, _, err := db.RunAndAutomation(ctx, r.ID+1000); autocred.ErrorCode(err) != autocred.ENOTFOUND {
			t.Errorf("a run that does not exist: %v, want not found", err)
		}
	})
}
