package store

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// On SQLite the store has one connection, and a statement holds it until
// it is done. A sync reads its automation's whole ledger; read in one
// statement, a ledger of 200,000 held the connection for a tenth of a
// second and more on a busy machine, and every issue job of a batch stood
// waiting meanwhile (docs/benchmarks.md, "Batch"). Other statements must
// get in while a large ledger is read (SQLite; PostgreSQL's pool has
// connections to spare), and on both databases the ledger must still come
// back whole and in order, over several of InSegment's lists.
func TestLedgerReadLetsOtherStatementsIn(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		testLedgerRead(t, db)
	})
}

func testLedgerRead(t *testing.T, db *DB) {
	ctx := context.Background()
	a := fixture(t, db)
	members := 10 * ledgerChunk // ten lists: room for others in between
	if db.IsPostgres() {
		members = 2*ledgerChunk + ledgerChunk/2 // three lists, the last short
	}
	want := make([]autocred.ContactID, members)
	for i := range want {
		want[i] = autocred.ContactID(2*i + 1) // gaps, as real ids have
	}
	if err := db.tx(ctx, func(tx *sql.Tx) error { return db.markBaseline(ctx, tx, a.ID, want, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	// A contact who left is not in the ledger's answer.
	if _, err := db.pool().ExecContext(ctx, `UPDATE memberships SET in_segment = 0 WHERE automation_id = ? AND contact_id = ?`, a.ID, want[5]); err != nil {
		t.Fatal(err)
	}
	want = slices.Delete(want, 5, 6)

	// Small statements, one after the other, for as long as the ledger
	// is read: how many of them finish while it is read shows whether the
	// read lets them in. Held for the whole read, at most the one already
	// running when it began could finish.
	var (
		mu       sync.Mutex
		finished []time.Time
		stop     = make(chan struct{})
		done     = make(chan error, 1)
	)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := db.Membership(ctx, a.ID, 1); err != nil {
				done <- err
				return
			}
			mu.Lock()
			finished = append(finished, time.Now())
			mu.Unlock()
		}
	}()
	time.Sleep(20 * time.Millisecond) // the small statements are running
	began := time.Now()
	got, err := db.InSegment(ctx, a.ID)
	ended := time.Now()
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the ledger read has %d contacts (first %v), want %d in order", len(got), got[:min(3, len(got))], len(want))
	}
	if db.IsPostgres() {
		return
	}
	during := 0
	for _, at := range finished {
		if at.After(began) && at.Before(ended) {
			during++
		}
	}
	if during < 4 {
		t.Errorf("%d other statements finished during the ledger read of %d members (%v), want at least 4: the read holds the only connection",
			during, len(want), ended.Sub(began).Round(time.Millisecond))
	}
}
