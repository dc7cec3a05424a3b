package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrDamaged means the SQLite file is damaged: SQLite answered
// SQLITE_CORRUPT ("database disk image is malformed") or SQLITE_NOTADB, or
// its quick_check found damage. Nothing autocred does can repair it; the
// errors that wrap it say how the operator can (see damaged).
var ErrDamaged = errors.New("the database file is damaged")

// damaged wraps ErrDamaged with what showed it and the recovery path
// (https://sqlite.org/recovery.html for .recover).
func (db *DB) damaged(detail string) error {
	return fmt.Errorf("%w (%s). Stop autocred, then restore the latest backup of %s (docs/deploy.md, \"Backups\"), "+
		"or save what SQLite can still read: sqlite3 %s .recover | sqlite3 %s.recovered, "+
		"move %s and its -wal and -shm files aside, and rename %s.recovered to %s",
		ErrDamaged, detail, db.file, db.file, db.file, db.file, db.file, db.file)
}

// isDamage tells whether err is SQLite reporting a damaged file.
func isDamage(err error) bool {
	var serr *sqlite.Error
	if !errors.As(err, &serr) {
		return false
	}
	switch serr.Code() & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// damage remembers the first sign of a damaged file that a query met, for
// Ready: a damaged file does not heal while the process runs.
type damage struct{ seen atomic.Pointer[string] }

// note records err when it says the file is damaged, and returns it.
func (d *damage) note(err error) error {
	if err != nil && isDamage(err) {
		msg := err.Error()
		d.seen.CompareAndSwap(nil, &msg)
	}
	return err
}

// first is the first damage a query met, or "".
func (d *damage) first() string {
	if msg := d.seen.Load(); msg != nil {
		return *msg
	}
	return ""
}

// CheckIntegrity runs SQLite's quick_check on the whole file, for the
// start of serve: a damaged file then refuses to start, with ErrDamaged,
// instead of answering ready and failing every request. quick_check reads
// every page (O(size): measured on a 300 MB file, about 6 s per GB when
// the file is in the page cache and about 55 s per GB from disk) but does
// not compare the indexes with their tables.
// It stops after budget: done is then false, and the caller decides; a
// damage met later by a query still makes Ready fail. PostgreSQL keeps its
// own checksums: done is true and err nil.
func (db *DB) CheckIntegrity(ctx context.Context, budget time.Duration) (done bool, err error) {
	if db.postgres {
		return true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	rows, err := db.sql.QueryContext(ctx, `PRAGMA quick_check(20)`)
	if err != nil {
		return db.checkEnd(ctx, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return db.checkEnd(ctx, err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return db.checkEnd(ctx, err)
	}
	if len(problems) > 0 {
		found := "quick_check found: " + strings.Join(problems, "; ")
		db.damage.seen.CompareAndSwap(nil, &found)
		return true, db.damaged(found)
	}
	return true, nil
}

// checkEnd sorts out how a quick_check ended early: out of time, damage
// that stopped it, or another failure.
func (db *DB) checkEnd(ctx context.Context, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	if isDamage(db.damage.note(err)) {
		return true, db.damaged(err.Error())
	}
	return true, fmt.Errorf("checking the database file: %w", err)
}
