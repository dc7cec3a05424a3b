package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/autocred/autocred"
)

// ledgerChunk is how many contacts one statement of InSegment lists. On
// SQLite the store has one connection, which a statement holds until it is
// done: a ledger of 200,000 read in one statement held it for a tenth of a
// second and more on a busy machine, and every issue job of a batch stood
// waiting (docs/benchmarks.md, "Batch"). A list of 10,000 holds it for a
// millisecond or two, and the jobs' statements go in between.
const ledgerChunk = 10_000

// InSegment returns the contacts the ledger has in an automation's segment,
// ascending. They come as lists (group_concat, string_agg), one row per
// ledgerChunk contacts: every sync reads the ledger of each automation it
// applies to, on SQLite's one connection, and a row per contact cost
// SQLite's driver three times as much (2.7 ms against 0.9 ms for 6,000
// contacts; see docs/benchmarks.md, "Many accounts").
//
// Each list starts after the last one's highest id, so each contact is
// read once; the lists are read moments apart, not as one snapshot. A
// contact that a hint's check enters or marks out meanwhile is read as
// before or as after that change, as one statement run a moment earlier
// or later would have read it; every use of the ledger already takes such
// a change as coming at any moment (store.RecordEntries skips a contact
// already in, and an entry is never taken from an absence).
func (db *DB) InSegment(ctx context.Context, automationID int64) (ids []autocred.ContactID, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("reading ledger of automation %d: %w", automationID, db.damage.note(err))
		}
	}()
	list := `group_concat(contact_id)`
	if db.postgres {
		list = `string_agg(contact_id::text, ',')`
	}
	query := `SELECT ` + list + ` FROM (SELECT contact_id FROM memberships
		WHERE automation_id = ? AND in_segment = 1 AND contact_id > ? ORDER BY contact_id LIMIT ?) AS chunk`
	var after autocred.ContactID // ids are positive (parseIDList)
	for {
		chunk, err := db.ledgerList(ctx, query, automationID, after)
		if err != nil {
			return nil, err
		}
		if !slices.IsSorted(chunk) { // as the subquery gives them, mostly
			chunk = autocred.SortIDs(chunk)
		}
		ids = append(ids, chunk...)
		if len(chunk) < ledgerChunk {
			return ids, nil
		}
		after = chunk[len(chunk)-1]
	}
}

// ledgerList reads one list of InSegment.
func (db *DB) ledgerList(ctx context.Context, query string, automationID int64, after autocred.ContactID) ([]autocred.ContactID, error) {
	rows, err := db.pool().QueryContext(ctx, query, automationID, after, ledgerChunk)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []autocred.ContactID
	if rows.Next() {
		var raw sql.RawBytes // valid until Close: parsed before
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		if ids, err = parseIDList(raw); err != nil {
			return nil, err
		}
	}
	return ids, rows.Err()
}

// parseIDList reads a comma-separated list of contact ids; an empty one (no
// member: SQL's NULL) is none.
func parseIDList(raw []byte) ([]autocred.ContactID, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	ids := make([]autocred.ContactID, 0, bytes.Count(raw, []byte{','})+1)
	var n autocred.ContactID
	digits := 0
	for i, c := range raw {
		switch {
		case c >= '0' && c <= '9' && digits < 18:
			n = n*10 + autocred.ContactID(c-'0')
			digits++
		case c == ',' && digits > 0:
			ids = append(ids, n)
			n, digits = 0, 0
		default:
			return nil, fmt.Errorf("unexpected %q at byte %d of a list of contact ids", c, i)
		}
	}
	if digits == 0 {
		return nil, errors.New("a list of contact ids ends with a comma")
	}
	return append(ids, n), nil
}

// Membership reads one ledger row; a contact never seen is returned with
// InSegment false and no error.
func (db *DB) Membership(ctx context.Context, automationID int64, contactID autocred.ContactID) (autocred.Membership, error) {
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

// RecordBaseline records a complete snapshot as a baselining
// automation's baseline, in one transaction: the automation becomes
// active, the snapshot's members are in the segment and everyone else
// out, and its baseline progress shows the snapshot read. A confirmed
// snapshot is numbered, like every applied read (see RecordAbsences); an
// unconfirmed one (an empty contacts?segmentid answer, which may be an
// evaluation still running) is not. It fails with a conflict when the
// automation is no longer baselining (paused meanwhile).
//
// The first baseline (at activation) gives nobody a run: they were there
// before the automation started (rule R5). A later one, taken when a user
// resumes with Start fresh, is compared with the ledger it replaces
// (kept until now for this): a member the ledger had out entered while
// the automation was stopped, paused by a user or by autocred (or left
// before and came back), and gets a
// skipped run (autocred.RunCodeEnteredWhilePaused) with the next entry
// number and no issue job, so that they can be found and retried on
// purpose instead of lost without a trace (SkippedEntrants counts those
// left to retry), apart from the baseline's members. contacts holds
// what is known of them (name, email) by id; it may be nil.
func (db *DB) RecordBaseline(ctx context.Context, automationID int64, ids []autocred.ContactID, at time.Time, unconfirmed bool,
	contacts map[autocred.ContactID]autocred.Contact) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.setAutomationStatus(ctx, tx, automationID, autocred.AutomationActive, "", autocred.AutomationBaselining); err != nil {
			return err
		}
		fresh, err := db.baselinedBefore(ctx, tx, automationID)
		if err != nil {
			return err
		}
		entrants, err := db.pausedEntrants(ctx, tx, automationID, ids)
		if err != nil {
			return err
		}
		if err := db.resetLedger(ctx, tx, automationID); err != nil {
			return err
		}
		if err := db.recordPausedEntrants(ctx, tx, automationID, entrants, contacts, at); err != nil {
			return err
		}
		if err := db.markBaseline(ctx, tx, automationID, ids, at); err != nil {
			return err
		}
		_, err = db.in(tx).ExecContext(ctx, `UPDATE automations SET
			baselined_at = CASE WHEN baselined_at = 0 THEN ? ELSE baselined_at END WHERE id = ?`, ms(at), automationID)
		if err != nil {
			return fmt.Errorf("recording when automation %d took its baseline: %w", automationID, err)
		}
		// Runs left pending when the automation was paused or archived
		// were enqueued again when it resumed, but their jobs found it
		// baselining and let them be: active now, they go again.
		if err := db.requeuePending(ctx, tx, automationID); err != nil {
			return err
		}
		// With the status, so that an active automation never shows the
		// progress of a baseline still being read. Those who entered
		// while it was paused are counted apart: they are not "already in
		// the segment when autocred started watching it".
		members := len(ids) - len(entrants)
		if err := db.setBaselineProgress(ctx, tx, automationID, autocred.Progress{Done: members, Total: members}); err != nil {
			return err
		}
		if fresh {
			if err := db.recordFreshStart(ctx, tx, automationID, ids, entrants, at); err != nil {
				return err
			}
		}
		if unconfirmed {
			return nil
		}
		_, err = db.nextSnapshotSeq(ctx, tx, automationID)
		return err
	})
}

// SkippedEntrants counts the contacts who entered while the automation
// was stopped, and got nothing because it resumed with Start fresh, whose
// skipped run is still there to retry: what the automation's page and the
// API's paused_entrants say, and what the runs filtered by status skipped
// and RunCodeEnteredWhilePaused list. It is counted from the runs, not
// kept, so that a run retried (issued, or failed for its own reason),
// pruned or deleted with the history leaves the count by itself.
func (db *DB) SkippedEntrants(ctx context.Context, automationID int64) (int, error) {
	var n int
	// error_code <> '' lets the partial index runs_by_error_code serve
	// the count: SQLite uses it only for a query that says so.
	err := db.pool().QueryRowContext(ctx, `SELECT count(*) FROM runs
		WHERE automation_id = ? AND error_code = ? AND error_code <> '' AND status = ?`,
		automationID, autocred.RunCodeEnteredWhilePaused, autocred.RunSkipped).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting the skipped runs of who entered automation %d while it was stopped: %w", automationID, err)
	}
	return n, nil
}

// PausedEntrants returns those of a snapshot's ids that would enter while
// paused if it were recorded now as the automation's baseline
// (RecordBaseline, which works them out again in its transaction): the
// engine reads their names and emails first, for their runs. Ascending.
func (db *DB) PausedEntrants(ctx context.Context, automationID int64, ids []autocred.ContactID) ([]autocred.ContactID, error) {
	var entrants []autocred.ContactID
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		entrants, err = db.pausedEntrants(ctx, tx, automationID, ids)
		return err
	})
	return entrants, err
}

// pausedEntrants returns those of a snapshot's ids that the ledger of an
// automation which has had a baseline has out (or has never seen):
// taken as its new baseline, the snapshot would have them in without a
// run. None for an automation taking its first baseline. Ascending.
func (db *DB) pausedEntrants(ctx context.Context, tx *sql.Tx, automationID int64, ids []autocred.ContactID) ([]autocred.ContactID, error) {
	var baselinedAt int64
	if err := db.in(tx).QueryRowContext(ctx, `SELECT baselined_at FROM automations WHERE id = ?`, automationID).Scan(&baselinedAt); err != nil {
		return nil, fmt.Errorf("reading automation %d: %w", automationID, err)
	}
	if baselinedAt == 0 {
		return nil, nil
	}
	in, err := queryAll(ctx, db.in(tx), scanContactID, `SELECT contact_id FROM memberships WHERE automation_id = ? AND in_segment = 1 ORDER BY contact_id`, automationID)
	if err != nil {
		return nil, fmt.Errorf("reading ledger of automation %d: %w", automationID, err)
	}
	entered, _ := autocred.Diff(in, autocred.SortIDs(slices.Clone(ids)))
	return entered, nil
}

// baselinedBefore tells whether the automation has recorded a baseline
// before: one recorded now is a new one, taken on a resume with Start
// fresh.
func (db *DB) baselinedBefore(ctx context.Context, tx *sql.Tx, automationID int64) (bool, error) {
	var baselinedAt int64
	if err := db.in(tx).QueryRowContext(ctx, `SELECT baselined_at FROM automations WHERE id = ?`, automationID).Scan(&baselinedAt); err != nil {
		return false, fmt.Errorf("reading automation %d: %w", automationID, err)
	}
	return baselinedAt != 0, nil
}

// recordFreshStart keeps what is true of a baseline taken on a resume
// with Start fresh (autocred.FreshStart): when, and how many of its
// contacts (ids less the entrants, who entered while it was stopped)
// already have a credential from this automation, or one on its way: a
// run issued, sent unconfirmed, made a draft, or pending (it goes on
// after the resume), or such a run deleted since, by the run retention
// or with the history, which the ledger remembers (credited_pruned):
// pruning does not make anyone one who "got nothing" (issue 16).
func (db *DB) recordFreshStart(ctx context.Context, tx *sql.Tx, automationID int64, ids, entrants []autocred.ContactID, at time.Time) error {
	credited, err := queryAll(ctx, db.in(tx), scanContactID, `SELECT contact_id FROM runs WHERE automation_id = ? AND status IN `+
		sqlList(autocred.RunIssued, autocred.RunSendUnconfirmed, autocred.RunDraft, autocred.RunPending)+`
		UNION SELECT contact_id FROM memberships WHERE automation_id = ? AND credited_pruned = 1`, automationID, automationID)
	if err != nil {
		return fmt.Errorf("counting who already got a credential from automation %d: %w", automationID, err)
	}
	had := make(map[autocred.ContactID]bool, len(credited))
	for _, c := range credited {
		had[c] = true
	}
	for _, c := range entrants {
		delete(had, c)
	}
	issued := 0
	for _, c := range ids {
		if had[c] {
			issued++
			delete(had, c) // a snapshot lists a contact once, but count once anyway
		}
	}
	_, err = db.in(tx).ExecContext(ctx, `UPDATE automations SET fresh_baseline_at = ?, fresh_baseline_credited = ? WHERE id = ?`, ms(at), issued, automationID)
	if err != nil {
		return fmt.Errorf("recording the new baseline of automation %d: %w", automationID, err)
	}
	return nil
}

// recordPausedEntrants records the entries of contacts who entered while
// the automation was stopped (pausedEntrants), each with a skipped run and
// no issue job: the ledger, just reset, has them out.
func (db *DB) recordPausedEntrants(ctx context.Context, tx *sql.Tx, automationID int64, entrants []autocred.ContactID,
	contacts map[autocred.ContactID]autocred.Contact, at time.Time) error {
	if len(entrants) == 0 {
		return nil
	}
	entries, err := db.enterMany(ctx, tx, automationID, entrants, time.Time{}, at)
	if err != nil {
		return err
	}
	runs := make([]autocred.Run, 0, len(entrants))
	for _, c := range entrants {
		entry, ok := entries[c]
		if !ok {
			continue // cannot happen: the ledger has everyone out
		}
		contact := contacts[c]
		runs = append(runs, autocred.Run{AutomationID: automationID, ContactID: c, Entry: entry, Email: contact.Email, Contact: contact,
			Status: autocred.RunSkipped, LastError: autocred.EnteredWhilePausedReason, ErrorCode: autocred.RunCodeEnteredWhilePaused})
	}
	return db.insertRuns(ctx, tx, runs)
}

// markBaseline marks contacts as in the segment without entries.
func (db *DB) markBaseline(ctx context.Context, tx *sql.Tx, automationID int64, ids []autocred.ContactID, at time.Time) error {
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

// resetLedger forgets who is in the segment, as a new baseline is
// recorded (not before: RecordBaseline compares it with the ledger). Entry
// counts stay, so a later entry gets the next number and never collides
// with an earlier run; so does who had a credential from a run deleted
// since (credited_pruned).
func (db *DB) resetLedger(ctx context.Context, tx *sql.Tx, automationID int64) error {
	_, err := db.in(tx).ExecContext(ctx, `UPDATE memberships SET in_segment = 0, missed_snapshot = 0 WHERE automation_id = ?`, automationID)
	return err
}

// RecordEntries records contacts entering automations' segments, in one
// transaction: for each run, its contact is marked in its automation's
// ledger with the entry's number, the run is inserted, and its issue job
// enqueued. This is where an entry becomes a credential to issue, once
// (rules R1, R9): the three commit together or not at all, so a crash
// leaves either a run and its job or a contact still out, which the next
// sync finds again; and the ledger refuses a contact already in, so two
// detections of one entry (a sync and a hint at once) make one run.
//
// runs are the would-be runs, one per contact and automation, made from
// the contacts as read at contactReadAt. seenAt is when the answer that
// found them in began (a segment read's start, a single-contact check's):
// see enterMany for the contacts it keeps out. A run is left out when its
// automation is no longer active (paused since the snapshot) or its
// contact is already in. batch: the runs are part of a batch of entries,
// more than BatchRuns (see Jobs.Issue). It returns the runs recorded, with
// their ids and entry numbers.
func (db *DB) RecordEntries(ctx context.Context, runs []autocred.Run, seenAt, contactReadAt time.Time, batch bool) ([]autocred.Run, error) {
	var recorded []autocred.Run
	err := db.tx(ctx, func(tx *sql.Tx) error {
		groups, err := db.activeEntries(ctx, tx, runs)
		if err != nil {
			return err
		}
		recorded = nil
		for _, g := range groups {
			contacts := make([]autocred.ContactID, len(g))
			for i, r := range g {
				contacts[i] = r.ContactID
			}
			entries, err := db.enterMany(ctx, tx, g[0].AutomationID, contacts, seenAt, db.now())
			if err != nil {
				return err
			}
			for _, r := range g {
				if entry, ok := entries[r.ContactID]; ok {
					r.Entry = entry
					recorded = append(recorded, r)
				}
			}
		}
		if err := db.insertRuns(ctx, tx, recorded); err != nil {
			return err
		}
		ids := make([]int64, len(recorded))
		for i, r := range recorded {
			ids[i] = r.ID
		}
		return db.enqueueIssues(ctx, tx, ids, contactReadAt, batch)
	})
	if err != nil {
		return nil, err
	}
	return recorded, nil
}

// activeEntries groups would-be runs by automation, in the order they
// come, keeping only the automations still active (read, and on
// PostgreSQL locked, once each: lockStatus) and the first run of a
// contact that comes twice.
func (db *DB) activeEntries(ctx context.Context, tx *sql.Tx, runs []autocred.Run) ([][]autocred.Run, error) {
	var groups [][]autocred.Run
	group := map[int64]int{} // automation → its group's index; -1: not active
	seen := map[[2]int64]bool{}
	for _, r := range runs {
		i, read := group[r.AutomationID]
		if !read {
			status, err := db.lockStatus(ctx, tx, r.AutomationID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				// A failed read is no answer: the sync fails and finds
				// the entry again, rather than skip it.
				return nil, fmt.Errorf("reading automation %d: %w", r.AutomationID, err)
			}
			i = -1 // deleted for good, or no longer active: nothing to record
			if err == nil && status == autocred.AutomationActive {
				i = len(groups)
				groups = append(groups, nil)
			}
			group[r.AutomationID] = i
		}
		key := [2]int64{r.AutomationID, int64(r.ContactID)}
		if i < 0 || seen[key] {
			continue
		}
		seen[key] = true
		groups[i] = append(groups[i], r)
	}
	return groups, nil
}

// lockStatus reads an automation's status in tx and, on PostgreSQL, holds
// a share lock on its row until tx ends, so that a change of status
// (pausing, archiving) waits for tx instead of committing between the read
// and the writes that rely on it: without it, runs were recorded for an
// automation archived a moment before, even after its history was deleted.
// SQLite needs none: its writers take turns, and a write transaction whose
// read was overtaken by another's commit fails instead of writing.
func (db *DB) lockStatus(ctx context.Context, tx *sql.Tx, id int64) (autocred.AutomationStatus, error) {
	query := `SELECT status FROM automations WHERE id = ?`
	if db.postgres {
		query += ` FOR SHARE`
	}
	var status autocred.AutomationStatus
	err := db.in(tx).QueryRowContext(ctx, query, id).Scan(&status)
	return status, err
}

// errAlreadyIn means a contact entering is already in the segment: another
// sync or hint recorded the entry first.
var errAlreadyIn = errors.New("contact already in the segment")

// enter records that one contact entered the segment and returns the
// entry's number (1 for the first). It fails with errAlreadyIn when the
// ledger already has the contact in.
func (db *DB) enter(ctx context.Context, tx *sql.Tx, automationID int64, contactID autocred.ContactID, at time.Time) (int, error) {
	entries, err := db.enterMany(ctx, tx, automationID, []autocred.ContactID{contactID}, time.Time{}, at)
	if err != nil {
		return 0, err
	}
	entry, ok := entries[contactID]
	if !ok {
		return 0, errAlreadyIn
	}
	return entry, nil
}

// enterMany records that contacts (each once) entered an automation's
// segment and returns the number of each one's entry (1 for the first),
// a few statements for the lot (inChunks). Left out are a contact the
// ledger already has in (another sync or a hint recorded the entry first)
// and one it marked as left at or after seenAt: the answer that listed it
// may have been given before it left (a segment read takes minutes, and a
// hint's check can mark a contact out meanwhile), so it says nothing of a
// return since, and taken as an entry it would issue a second credential
// to a contact that only left (R1); if it is back, the next read, begun
// after, finds it. A zero seenAt keeps nobody out (an entry known now).
func (db *DB) enterMany(ctx context.Context, tx *sql.Tx, automationID int64, contacts []autocred.ContactID, seenAt, at time.Time) (map[autocred.ContactID]int, error) {
	leftBefore := int64(math.MaxInt64)
	if !seenAt.IsZero() {
		leftBefore = ms(seenAt)
	}
	entries := make(map[autocred.ContactID]int, len(contacts))
	err := inChunks(len(contacts), func(lo, hi int) error {
		args := make([]any, 0, 4*(hi-lo)+1)
		for _, c := range contacts[lo:hi] {
			args = append(args, automationID, c, ms(at), ms(at))
		}
		rows, err := db.in(tx).QueryContext(ctx, `INSERT INTO memberships (automation_id, contact_id, in_segment, entries, first_seen, last_entered)
		VALUES `+valuesList(hi-lo, "(?, ?, 1, 1, ?, ?)")+`
		ON CONFLICT (automation_id, contact_id) DO UPDATE
			SET in_segment = 1, entries = memberships.entries + 1, missed_snapshot = 0, last_entered = excluded.last_entered
			WHERE memberships.in_segment = 0 AND memberships.last_left < ?
		RETURNING contact_id, entries`, append(args, leftBefore)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c autocred.ContactID
			var entry int
			if err := rows.Scan(&c, &entry); err != nil {
				return err
			}
			entries[c] = entry
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("recording the entries of %d contacts: %w", len(contacts), err)
	}
	return entries, nil
}

// chunkSizes are the row counts of the statements that write many rows
// at once (inChunks): a few fixed sizes, so that the prepared statements
// kept (stmtcache.go; pgx's own cache) are a few per statement, not one
// per length of batch.
var chunkSizes = [...]int{64, 16, 4, 1}

// inChunks calls fn on consecutive ranges [lo, hi) of n rows, each of one
// of chunkSizes, largest first: 100 rows are 64 + 16 + 4 × 4.
func inChunks(n int, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; {
		size := 1
		for _, s := range chunkSizes {
			if s <= n-lo {
				size = s
				break
			}
		}
		if err := fn(lo, lo+size); err != nil {
			return err
		}
		lo += size
	}
	return nil
}

// valuesList repeats a row of placeholders n times, comma-separated.
func valuesList(n int, row string) string {
	return strings.Repeat(row+", ", n-1) + row
}

// PreviouslyMissing returns those of ids (ascending) that the ledger has
// in the segment but missing from the automation's last confirmed
// snapshot: absent again now, they would leave (DESIGN §3). Ascending.
func (db *DB) PreviouslyMissing(ctx context.Context, automationID int64, ids []autocred.ContactID) ([]autocred.ContactID, error) {
	var out []autocred.ContactID
	for start := 0; start < len(ids); start += batch {
		chunk := ids[start:min(start+batch, len(ids))]
		args := []any{automationID}
		for _, id := range chunk {
			args = append(args, id)
		}
		got, err := queryAll(ctx, db.pool(), scanContactID, `SELECT m.contact_id FROM memberships m JOIN automations a ON a.id = m.automation_id
			WHERE m.automation_id = ? AND m.in_segment = 1 AND m.missed_snapshot <> 0 AND m.missed_snapshot = a.snapshot_seq
			AND m.contact_id IN (`+placeholders(len(chunk))+`) ORDER BY m.contact_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("reading absences of automation %d: %w", automationID, err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// SyncEnd is what a sync records on one automation when it ends: when
// its next sync is due and, for a complete read it applied (Applied), its
// verified absences. Every applied read is numbered, absences or not:
// "missing from two consecutive reads" must not skip a read in which the
// contact was in. Left are marked out, if they were missing from the
// previous read too (a contact that entered again meanwhile is not);
// Missing are remembered as absent from this one.
type SyncEnd struct {
	AutomationID  int64
	Next          time.Time
	Applied       bool
	Left, Missing []autocred.ContactID
}

// RecordSyncs records the end of a sync on the automations watching its
// segment: when it started, its error ("" when none), the next sync and
// the absences of each (SyncEnd), and gives up the sync's lease (release,
// when not nil), in one transaction: one commit for what was one per
// automation for its absences, one for its sync and one for the lease (see
// docs/benchmarks.md, "Many accounts"). It returns the contacts marked
// out, by automation.
func (db *DB) RecordSyncs(ctx context.Context, at time.Time, syncErr string, ends []SyncEnd, release *Lease) (map[int64][]autocred.ContactID, error) {
	left := map[int64][]autocred.ContactID{}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		clear(left)
		for _, e := range ends {
			if !e.Applied {
				if _, err := db.in(tx).ExecContext(ctx, `UPDATE automations SET last_sync_at = ?, last_sync_error = ?, next_sync_at = ?, `+syncOutcome(syncErr)+` WHERE id = ?`,
					ms(at), syncErr, ms(e.Next), ms(at), e.AutomationID); err != nil {
					return fmt.Errorf("recording the sync of automation %d: %w", e.AutomationID, err)
				}
				continue
			}
			var seq int64
			if err := db.in(tx).QueryRowContext(ctx, `UPDATE automations SET last_sync_at = ?, last_sync_error = ?, next_sync_at = ?, `+syncOutcome(syncErr)+`,
				snapshot_seq = snapshot_seq + 1 WHERE id = ? RETURNING snapshot_seq`, ms(at), syncErr, ms(e.Next), ms(at), e.AutomationID).Scan(&seq); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					continue // deleted meanwhile
				}
				return fmt.Errorf("recording the sync of automation %d: %w", e.AutomationID, err)
			}
			// Left now, as a single-contact check's MarkLeft: an answer
			// that began before this is no entry (RecordEntries).
			out, err := db.recordAbsences(ctx, tx, e.AutomationID, seq, e.Left, e.Missing, db.now())
			if err != nil {
				return err
			}
			if len(out) > 0 {
				left[e.AutomationID] = out
			}
		}
		if release != nil {
			return db.releaseLease(ctx, db.in(tx), release.Key, release.Holder)
		}
		return nil
	})
	return left, err
}

// recordAbsences applies the absences of the snapshot numbered seq.
func (db *DB) recordAbsences(ctx context.Context, tx *sql.Tx, automationID, seq int64, left, missing []autocred.ContactID, at time.Time) ([]autocred.ContactID, error) {
	var out []autocred.ContactID
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
			var id autocred.ContactID
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
func (db *DB) MarkLeft(ctx context.Context, automationID int64, contactID autocred.ContactID, at time.Time) (bool, error) {
	res, err := db.pool().ExecContext(ctx, `UPDATE memberships SET in_segment = 0, missed_snapshot = 0, last_left = ?
		WHERE automation_id = ? AND contact_id = ? AND in_segment = 1`, ms(at), automationID, contactID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
