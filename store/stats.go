package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/autocred/autocred"
)

// RunsPerDay counts an automation's runs that reached each final status
// on each of the last days calendar days in loc, oldest first, today last,
// the runs pruned from its history included (see PruneRuns; for up to 35
// days back). A run counts on the day it last became final (finished_at,
// migration 0022), not on the day of its last update, which a later line
// of its log moves (a resend of its email). The
// days are cut in Go, not in SQL, so that both databases count the same
// days, with their daylight-saving changes, in any zone.
func (db *DB) RunsPerDay(ctx context.Context, automationID int64, days int, loc *time.Location) ([]autocred.DayCount, error) {
	out := make([]autocred.DayCount, days)
	now := db.now().In(loc)
	args := []any{}
	var day strings.Builder
	day.WriteString("CASE")
	for i := range out {
		out[i].Day = time.Date(now.Year(), now.Month(), now.Day()-(days-1-i), 0, 0, 0, 0, loc)
		fmt.Fprintf(&day, " WHEN finished_at < ? THEN %d", i-1) // -1: before the first day, which WHERE leaves out
		args = append(args, ms(out[i].Day))
	}
	fmt.Fprintf(&day, " ELSE %d END", days-1)
	end := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, loc)
	args = append(args, automationID, ms(out[0].Day), ms(end))
	rows, err := db.pool().QueryContext(ctx, `SELECT `+day.String()+`, status, count(*) FROM runs
		WHERE automation_id = ? AND finished_at >= ? AND finished_at < ? AND status NOT IN `+sqlPending+` GROUP BY 1, 2`, args...)
	if err != nil {
		return nil, fmt.Errorf("counting runs per day: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i, n int
		var status autocred.RunStatus
		if err := rows.Scan(&i, &status, &n); err != nil {
			return nil, err
		}
		if i < 0 || i >= days {
			continue
		}
		addToDay(&out[i], status, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, db.addPrunedDays(ctx, automationID, out, end)
}

// addPrunedDays adds to days (as RunsPerDay cuts them, ending at end) the
// runs pruned from the automation's history, each on the day of the
// quarter hour in which it finished: a quarter hour falls within one day
// in every zone.
func (db *DB) addPrunedDays(ctx context.Context, automationID int64, days []autocred.DayCount, end time.Time) error {
	rows, err := db.pool().QueryContext(ctx, `SELECT finished_at, status, runs FROM pruned_runs
		WHERE automation_id = ? AND finished_at >= ? AND finished_at < ?`, automationID, ms(days[0].Day), ms(end))
	if err != nil {
		return fmt.Errorf("counting pruned runs per day: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		var status autocred.RunStatus
		var n int
		if err := rows.Scan(&at, &status, &n); err != nil {
			return err
		}
		// The last day that starts at or before the quarter hour.
		i := sort.Search(len(days), func(i int) bool { return ms(days[i].Day) > at }) - 1
		if i >= 0 {
			addToDay(&days[i], status, n)
		}
	}
	return rows.Err()
}

// addToDay adds n runs that finished in status to a day's counts.
func addToDay(d *autocred.DayCount, status autocred.RunStatus, n int) {
	switch status {
	case autocred.RunIssued, autocred.RunSendUnconfirmed:
		d.Issued += n
	case autocred.RunDraft:
		d.Draft += n
	case autocred.RunSkipped:
		d.Skipped += n
	case autocred.RunFailed:
		d.Failed += n
	}
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

// SegmentMembers returns up to n contacts that the ledger of some
// automation has in the segment now, for a preview that needs no call to
// read the segment. It is empty when no automation knows a member.
func (db *DB) SegmentMembers(ctx context.Context, connID int64, segmentID string, n int) ([]autocred.ContactID, error) {
	rows, err := db.pool().QueryContext(ctx, `SELECT DISTINCT m.contact_id FROM memberships m JOIN automations a ON a.id = m.automation_id
		WHERE a.trigger_connection_id = ? AND a.segment_id = ? AND m.in_segment = 1 ORDER BY m.contact_id LIMIT ?`,
		connID, segmentID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []autocred.ContactID
	for rows.Next() {
		var id autocred.ContactID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
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
