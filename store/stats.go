package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/autocred/autocred"
)

// IssuedPerDay counts an automation's credentials issued on each of the
// last days calendar days (UTC), oldest first, today last. A run's last
// update is when it reached its final status.
func (db *DB) IssuedPerDay(ctx context.Context, automationID int64, days int) ([]int, error) {
	out := make([]int, days)
	today := db.now().UTC().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, 1-days)
	rows, err := db.pool().QueryContext(ctx, `SELECT (updated_at - ?) / 86400000, count(*) FROM runs
		WHERE automation_id = ? AND status IN `+sqlIssued+` AND updated_at >= ? GROUP BY 1`,
		ms(since), automationID, ms(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var day, n int
		if err := rows.Scan(&day, &n); err != nil {
			return nil, err
		}
		if day >= 0 && day < days {
			out[day] = n
		}
	}
	return out, rows.Err()
}

// BatchProgress tells how far the current wave of runs has got: the runs
// created since the oldest one still pending, and how many of them are
// done. Both are 0 when nothing is pending.
func (db *DB) BatchProgress(ctx context.Context, automationID int64) (autocred.Progress, error) {
	var p autocred.Progress
	var done sql.NullInt64
	err := db.pool().QueryRowContext(ctx, `SELECT count(*), coalesce(sum(CASE WHEN status NOT IN `+sqlPending+` THEN 1 ELSE 0 END), 0) FROM runs
		WHERE automation_id = ? AND id >= (SELECT min(id) FROM runs WHERE automation_id = ? AND status IN `+sqlPending+`)`,
		automationID, automationID).Scan(&p.Total, &done)
	p.Done = int(done.Int64)
	return p, err
}

// SegmentMember returns a contact that the ledger of some automation has
// in the segment now, for a preview that needs no call to read the
// segment. ok is false when no automation knows a member.
func (db *DB) SegmentMember(ctx context.Context, connID int64, segmentID string) (contactID autocred.ContactID, ok bool, err error) {
	err = db.pool().QueryRowContext(ctx, `SELECT m.contact_id FROM memberships m JOIN automations a ON a.id = m.automation_id
		WHERE a.trigger_connection_id = ? AND a.segment_id = ? AND m.in_segment = 1 ORDER BY m.contact_id LIMIT 1`,
		connID, segmentID).Scan(&contactID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return contactID, err == nil, err
}

// RecentFailures lists the newest failed runs of all automations, for the
// health page.
func (db *DB) RecentFailures(ctx context.Context, limit int) ([]autocred.Run, error) {
	rows, err := db.pool().QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE status IN `+sqlFailed+` ORDER BY updated_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []autocred.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
