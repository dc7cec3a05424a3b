package engine_test

import (
	"context"
	"database/sql"
	"strconv"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertest"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/store"
	"github.com/autocred/autocred/store/storetest"
)

// workerFixture works one job of the engine's workers with rivertest, in
// a transaction the test rolls back, on an engine that testenv builds and
// leaves stopped, so that no job but the test's runs. Its connections
// point at addresses that do not resolve: a worker that called
// ActiveCampaign or Certifier would fail, and change the run or the job's
// outcome that the tests check.
//
// On PostgreSQL only: the worker writes its lease and its runs through the
// store's own connections, which SQLite's single writer would hold up
// behind the test's transaction.
type workerFixture struct {
	engine *engine.Engine
	store  *store.DB
	db     *sql.DB // the test's own pool, for its transaction
	tx     *sql.Tx
	auto   autocred.Automation
}

func newWorkerFixture(t *testing.T) *workerFixture {
	t.Helper()
	ctx := context.Background()
	env := testenv.New(t, testenv.Options{Database: "postgres", Stopped: true})
	st := env.Store
	a := unreachableAutomation(t, env)
	db, err := sql.Open("pgx", env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	return &workerFixture{engine: env.Engine, store: st, db: db, tx: tx, auto: a}
}

// unreachableAutomation stores an active automation on two connections
// whose addresses do not resolve (so that a job which called either app
// would fail, and show it), for tests that work jobs by hand.
func unreachableAutomation(t *testing.T, env *testenv.Env) autocred.Automation {
	t.Helper()
	ctx := context.Background()
	st := env.Store
	ac := autocred.Connection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: "http://ac.invalid/acme", SecretHint: "…0001"}
	crt := autocred.Connection{App: autocred.AppCertifier, Name: "Certifier", APIURL: "http://certifier.invalid/v1", SecretHint: "…0001"}
	for _, c := range []*autocred.Connection{&ac, &crt} {
		if err := st.CreateConnection(ctx, c, env.Box.Seal("key-0001")); err != nil {
			t.Fatal(err)
		}
	}
	a := autocred.Automation{Name: "Graduates", Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: "1", SegmentName: "Graduates"},
		Action: autocred.Action{ConnectionID: crt.ID, GroupID: "g", GroupName: "G", RecipientName: "{{contact.firstName}}",
			RecipientEmail: "{{contact.email}}", IssueDate: "{{today}}", Issue: true, Send: true}}
	if _, err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAutomation(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAutomationStatus(ctx, a.ID, autocred.AutomationActive, ""); err != nil {
		t.Fatal(err)
	}
	return a
}

// run inserts a pending run of the fixture's automation.
func (f *workerFixture) run(t *testing.T) autocred.Run {
	t.Helper()
	r := autocred.Run{AutomationID: f.auto.ID, ContactID: 42, Entry: 1, Email: "ana@example.com",
		Contact: autocred.Contact{ID: 42, Email: "ana@example.com", FirstName: "Ana"}}
	if err := storetest.InsertRun(context.Background(), f.store, &r); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.Run(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// work works one job of the worker in the fixture's transaction.
func work[T river.JobArgs](t *testing.T, f *workerFixture, w river.Worker[T], args T) *rivertest.WorkResult {
	t.Helper()
	tw := rivertest.NewWorker(t, riverdatabasesql.New(f.db), f.engine.RiverConfig(), w)
	res, err := tw.Work(context.Background(), t, f.tx, args, nil)
	if err != nil {
		t.Fatalf("working %s: %v", args.Kind(), err)
	}
	return res
}

func TestIssueWorker(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T, f *workerFixture, run *autocred.Run)
		want    river.EventKind
	}{
		{"a run of a paused automation is left pending", func(t *testing.T, f *workerFixture, run *autocred.Run) {
			if err := f.store.SetAutomationStatus(ctx, f.auto.ID, autocred.AutomationPaused, ""); err != nil {
				t.Fatal(err)
			}
		}, river.EventKindJobCompleted},
		{"a run already issued is not issued again", func(t *testing.T, f *workerFixture, run *autocred.Run) {
			run.Status, run.CredentialID = autocred.RunIssued, "cred-1"
			if err := f.store.SaveRun(ctx, run); err != nil {
				t.Fatal(err)
			}
		}, river.EventKindJobCompleted},
		{"a run another job is working on waits for it", func(t *testing.T, f *workerFixture, run *autocred.Run) {
			if ok, err := f.store.AcquireLease(ctx, "run:"+itoa(run.ID), "another-job", time.Now().Add(time.Minute)); err != nil || !ok {
				t.Fatalf("taking the run's lease: %v, %v", ok, err)
			}
		}, river.EventKindJobSnoozed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newWorkerFixture(t)
			run := f.run(t)
			tt.prepare(t, f, &run)
			res := work(t, f, f.engine.IssueWorker(), engine.IssueArgs{RunID: run.ID})
			if res.EventKind != tt.want {
				t.Errorf("job %s, want %s", res.EventKind, tt.want)
			}
			got, err := f.store.Run(ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != run.Status || got.Attempts != run.Attempts || got.Step != run.Step || got.CredentialID != run.CredentialID {
				t.Errorf("run after the job: %s, %d attempts, step %q, credential %q; want it untouched: %s, %d attempts, step %q, credential %q",
					got.Status, got.Attempts, got.Step, got.CredentialID, run.Status, run.Attempts, run.Step, run.CredentialID)
			}
		})
	}
}

func TestSyncWorker(t *testing.T) {
	ctx := context.Background()
	t.Run("a segment another job is reading is read after it", func(t *testing.T) {
		f := newWorkerFixture(t)
		if ok, err := f.store.AcquireLease(ctx, "sync:"+itoa(f.auto.Trigger.ConnectionID)+":1", "another-job", time.Now().Add(time.Minute)); err != nil || !ok {
			t.Fatalf("taking the segment's lease: %v, %v", ok, err)
		}
		res := work(t, f, f.engine.SyncWorker(), engine.SyncArgs{ConnectionID: f.auto.Trigger.ConnectionID, SegmentID: "1"})
		if res.EventKind != river.EventKindJobSnoozed {
			t.Errorf("job %s, want %s: the segment is read once at a time", res.EventKind, river.EventKindJobSnoozed)
		}
	})
	t.Run("a segment no running automation watches is not read", func(t *testing.T) {
		f := newWorkerFixture(t)
		if err := f.store.SetAutomationStatus(ctx, f.auto.ID, autocred.AutomationPaused, ""); err != nil {
			t.Fatal(err)
		}
		res := work(t, f, f.engine.SyncWorker(), engine.SyncArgs{ConnectionID: f.auto.Trigger.ConnectionID, SegmentID: "1"})
		if res.EventKind != river.EventKindJobCompleted {
			t.Errorf("job %s, want %s", res.EventKind, river.EventKindJobCompleted)
		}
		got, _ := f.store.Automation(ctx, f.auto.ID)
		if got.SnapshotSeq != 0 || !got.LastSyncAt.IsZero() {
			t.Errorf("a paused automation was synced: snapshot %d at %v", got.SnapshotSeq, got.LastSyncAt)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
