package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/autocred/autocred"
)

// InSegment returns the contacts the ledger has in an automation's segment,
// ascending.
func (db *DB) InSegment(ctx context.Context, automationID int64) ([]int64, error) {
	ids, err := queryAll(ctx, db.pool(), scanID, `SELECT contact_id FROM memberships WHERE automation_id = ? AND in_segment = 1 ORDER BY contact_id`, automationID)
	if err != nil {
		return nil, fmt.Errorf("reading ledger of automation %d: %w", automationID, err)
	}
	return ids, nil
}

// Membership reads one ledger row; a contact never seen is returned with
// InSegment false and no error.
func (db *DB) Membership(ctx context.Context, automationID, contactID int64) (autocred.Membership, error) {
	m := autocred.Membership{AutomationID: automationID, ContactID: contactID}
	var in int
	var first, entered, left int64
	err := db.pool().QueryRowContext(ctx, `SELECT in_segment, entries, missed_snapshot, first_seen, last_entered, last_left
		FROM memberships WHERE automation_id = ? AND contact_id = ?`, automationID, contactID).
		Scan(&in, &m.Entries, &m.MissedSnapshot, &first, &entered, &left)
	if errors.Is(err, sql.ErrNoRows) {
		return m, nil
	}
	m.InSegment = in == 1
	m.FirstSeen, m.LastEntered, m.LastLeft = fromMS(first), fromMS(entered), fromMS(left)
	return m, err
}

// batch is how many ids one statement carries: well under SQLite's limit of
// 32,766 variables, and small enough to keep statements cheap to prepare.
const batch = 500

// RecordBaseline records contacts as in the segment without entries and
// without runs: they were there before the automation started (rule R5).
// Contacts the ledger already has keep their row, marked in.
func (db *DB) RecordBaseline(ctx context.Context, tx *sql.Tx, automationID int64, ids []int64, at time.Time) error {
	for start := 0; start < len(ids); start += batch {
		chunk := ids[start:min(start+batch, len(ids))]
		values := strings.Repeat("(?, ?, 1, ?),", len(chunk))
		args := make([]any, 0, 3*len(chunk))
		for _, id := range chunk {
			args = append(args, automationID, id, ms(at))
		}
		_, err := db.in(tx).ExecContext(ctx, `INSERT INTO memberships (automation_id, contact_id, in_segment, first_seen)
			VALUES `+values[:len(values)-1]+`
			ON CONFLICT (automation_id, contact_id) DO UPDATE SET in_segment = 1, missed_snapshot = 0`, args...)
		if err != nil {
			return fmt.Errorf("recording baseline of automation %d: %w", automationID, err)
		}
	}
	return nil
}

// ResetLedger forgets who is in the segment, before a new baseline. Entry
// counts stay, so a later entry gets the next number and never collides
// with an earlier run.
func (db *DB) ResetLedger(ctx context.Context, tx *sql.Tx, automationID int64) error {
	_, err := db.in(tx).ExecContext(ctx, `UPDATE memberships SET in_segment = 0, missed_snapshot = 0 WHERE automation_id = ?`, automationID)
	return err
}

// ErrAlreadyIn means a contact entering is already in the segment: another
// sync or hint recorded the entry first.
var ErrAlreadyIn = errors.New("contact already in the segment")

// Enter records that a contact entered the segment and returns the entry's
// number (1 for the first). It fails with ErrAlreadyIn when the ledger
// already has the contact in, so that two detections of one entry, by a sync
// and a hint at once, make one run.
func (db *DB) Enter(ctx context.Context, tx *sql.Tx, automationID, contactID int64, at time.Time) (int, error) {
	var entry int
	err := db.in(tx).QueryRowContext(ctx, `INSERT INTO memberships (automation_id, contact_id, in_segment, entries, first_seen, last_entered)
		VALUES (?, ?, 1, 1, ?, ?)
		ON CONFLICT (automation_id, contact_id) DO UPDATE
			SET in_segment = 1, entries = memberships.entries + 1, missed_snapshot = 0, last_entered = excluded.last_entered
			WHERE memberships.in_segment = 0
		RETURNING entries`, automationID, contactID, ms(at), ms(at)).Scan(&entry)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrAlreadyIn
	}
	if err != nil {
		return 0, fmt.Errorf("recording entry of contact %d: %w", contactID, err)
	}
	return entry, nil
}

// PreviouslyMissing returns those of ids (ascending) that the ledger has
// in the segment but missing from the automation's last confirmed
// snapshot: absent again now, they would leave (DESIGN §3). Ascending.
func (db *DB) PreviouslyMissing(ctx context.Context, automationID int64, ids []int64) ([]int64, error) {
	var out []int64
	for start := 0; start < len(ids); start += batch {
		chunk := ids[start:min(start+batch, len(ids))]
		args := []any{automationID}
		for _, id := range chunk {
			args = append(args, id)
		}
		got, err := queryAll(ctx, db.pool(), scanID, `SELECT m.contact_id FROM memberships m JOIN automations a ON a.id = m.automation_id
			WHERE m.automation_id = ? AND m.in_segment = 1 AND m.missed_snapshot <> 0 AND m.missed_snapshot = a.snapshot_seq
			AND m.contact_id IN (`+placeholders(len(chunk))+`) ORDER BY m.contact_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("reading absences of automation %d: %w", automationID, err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// RecordAbsences applies the verified absences of a complete snapshot
// numbered seq: left are marked out, if they were missing from snapshot
// seq-1 too (a contact that entered again meanwhile is not); missing are
// remembered as absent from seq. It returns those marked out.
func (db *DB) RecordAbsences(ctx context.Context, tx *sql.Tx, automationID, seq int64, left, missing []int64, at time.Time) ([]int64, error) {
	var out []int64
	for start := 0; start < len(left); start += batch {
		chunk := left[start:min(start+batch, len(left))]
		args := []any{ms(at), automationID, seq - 1}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := db.in(tx).QueryContext(ctx, `UPDATE memberships SET in_segment = 0, missed_snapshot = 0, last_left = ?
			WHERE automation_id = ? AND in_segment = 1 AND missed_snapshot <> 0 AND missed_snapshot = ? AND contact_id IN (`+placeholders(len(chunk))+`)
			RETURNING contact_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("marking contacts left: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for start := 0; start < len(missing); start += batch {
		chunk := missing[start:min(start+batch, len(missing))]
		args := []any{seq, automationID}
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := db.in(tx).ExecContext(ctx, `UPDATE memberships SET missed_snapshot = ?
			WHERE automation_id = ? AND in_segment = 1 AND contact_id IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
			return nil, fmt.Errorf("marking contacts missing: %w", err)
		}
	}
	return out, nil
}

// MarkLeft records that one contact is out of the segment, as a
// single-contact check said. It reports whether the contact was in.
func (db *DB) MarkLeft(ctx context.Context, tx *sql.Tx, automationID, contactID int64, at time.Time) (bool, error) {
	res, err := db.in(tx).ExecContext(ctx, `UPDATE memberships SET in_segment = 0, missed_snapshot = 0, last_left = ?
		WHERE automation_id = ? AND contact_id = ? AND in_segment = 1`, ms(at), automationID, contactID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
