package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/autocred/autocred"
)

// TwinCheck decides whether a change may make automation a issue from the
// same Certifier group to the same segment as the automations twins
// (never empty): an error refuses the change, and is returned as is.
//
// The store calls it inside the transaction that makes the change, after
// taking a lock that every such change on the same segment and group
// takes too (twinLock): two users activating two twin drafts at once
// cannot both pass, as they could when the check read the automations
// before the change's own transaction began.
type TwinCheck func(a autocred.Automation, twins []autocred.Automation) error

// twinLock serializes, until tx ends, the changes that could put a second
// automation on a's segment and group. On PostgreSQL it is a transaction
// advisory lock on the four ids (READ COMMITTED: each statement after it
// sees what the transactions that held it before committed). SQLite
// begins every write transaction IMMEDIATE on its one connection, so
// they are serialized already.
func (db *DB) twinLock(ctx context.Context, tx *sql.Tx, a autocred.Automation) error {
	if !db.postgres {
		return nil
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "twin\x00%d\x00%s\x00%d\x00%s", a.Trigger.ConnectionID, a.Trigger.SegmentID, a.Action.ConnectionID, a.Action.GroupID)
	if _, err := db.in(tx).ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(h.Sum64())); err != nil {
		return fmt.Errorf("waiting for other changes to automations on the segment '%s' and group '%s': %w", a.Trigger.SegmentID, a.Action.GroupID, err)
	}
	return nil
}

// Twins lists the automations other than a that issue from a's group
// (same Certifier connection and group id) to a's segment (same
// ActiveCampaign connection and segment id), oldest first. Archived ones
// issue nothing and are left out; drafts too unless countDrafts.
func (db *DB) Twins(ctx context.Context, a autocred.Automation, countDrafts bool) ([]autocred.Automation, error) {
	return db.twins(ctx, nil, a, countDrafts)
}

func (db *DB) twins(ctx context.Context, tx *sql.Tx, a autocred.Automation, countDrafts bool) ([]autocred.Automation, error) {
	query := `SELECT ` + automationColumns + ` FROM automations
		WHERE id <> ? AND trigger_connection_id = ? AND segment_id = ? AND action_connection_id = ? AND group_id = ?
		AND status <> '` + string(autocred.AutomationArchived) + `'`
	if !countDrafts {
		query += ` AND status <> '` + string(autocred.AutomationDraft) + `'`
	}
	out, err := queryAll(ctx, db.in(tx), scanAutomation, query+` ORDER BY id`,
		a.ID, a.Trigger.ConnectionID, a.Trigger.SegmentID, a.Action.ConnectionID, a.Action.GroupID)
	if err != nil {
		return nil, fmt.Errorf("listing the automations on the same segment and group as automation %d: %w", a.ID, err)
	}
	return out, nil
}

// checkTwins runs the first non-nil check of checks on a and its twins,
// inside tx and under twinLock. No check, or no twin, passes.
func (db *DB) checkTwins(ctx context.Context, tx *sql.Tx, a autocred.Automation, countDrafts bool, checks []TwinCheck) error {
	var check TwinCheck
	for _, c := range checks {
		if c != nil {
			check = c
			break
		}
	}
	if check == nil {
		return nil
	}
	if err := db.twinLock(ctx, tx, a); err != nil {
		return err
	}
	twins, err := db.twins(ctx, tx, a, countDrafts)
	if err != nil || len(twins) == 0 {
		return err
	}
	return check(a, twins)
}

// lockAutomation reads automation id in tx, on PostgreSQL locking its row
// until tx ends, so that its segment and group cannot change under a
// twin check: every change to it takes the row first, then twinLock.
func (db *DB) lockAutomation(ctx context.Context, tx *sql.Tx, id int64) (autocred.Automation, error) {
	if !db.postgres {
		return getAutomation(ctx, db.in(tx), id)
	}
	a, err := scanAutomation(db.in(tx).QueryRowContext(ctx, `SELECT `+automationColumns+` FROM automations WHERE id = ? FOR UPDATE`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, autocred.Errorf(autocred.ENOTFOUND, "automation %d does not exist", id)
	}
	return a, err
}
