package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/autocred/autocred"
)

// Webhook is the state of the hint webhook of one ActiveCampaign connection.
type Webhook struct {
	ConnectionID int64
	ID           autocred.WebhookID // the webhook's id at ActiveCampaign; 0 when none is registered
	CheckedAt    time.Time          // when it was last seen to exist
	Watching     bool               // some automation on the connection is watching

	RegisteredAt time.Time // when the current webhook was created or found; zero when none
	DeliveryAt   time.Time // the last delivery recorded (see WebhookDelivered); zero when none yet
	// Missed counts entries found by polling whose contact changed after
	// RegisteredAt with no delivery recorded since; MissedFirst and
	// MissedLast are the earliest and latest of those changes. All reset
	// when a delivery is recorded or the webhook is registered again.
	Missed                  int
	MissedFirst, MissedLast time.Time
	RenewedAt               time.Time // the last time autocred registered the webhook again
	Notice                  string    // why, in words for the health page; "" when never
}

var webhookColumns = `c.id, c.webhook_id, c.webhook_checked_at,
	EXISTS (SELECT 1 FROM automations a WHERE a.trigger_connection_id = c.id AND a.status IN ` + sqlWatching + `),
	c.webhook_registered_at, c.webhook_delivery_at, c.webhook_missed, c.webhook_missed_first, c.webhook_missed_last,
	c.webhook_renewed_at, c.webhook_notice`

func scanWebhook(row rowScanner) (Webhook, error) {
	var w Webhook
	var id string
	var checked, registered, delivery, first, last, renewed int64
	err := row.Scan(&w.ConnectionID, &id, &checked, &w.Watching, &registered, &delivery, &w.Missed, &first, &last, &renewed, &w.Notice)
	w.ID = webhookIDOf(id)
	w.CheckedAt, w.RegisteredAt, w.DeliveryAt = fromMS(checked), fromMS(registered), fromMS(delivery)
	w.MissedFirst, w.MissedLast, w.RenewedAt = fromMS(first), fromMS(last), fromMS(renewed)
	return w, err
}

// webhookIDOf reads the column webhook_id, which holds the id as text, ""
// for none (as it has since migration 0003); here and in webhookIDText
// only. Only decimal ids were ever stored: anything else is no id
// ActiveCampaign could have, so none.
func webhookIDOf(s string) autocred.WebhookID {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return autocred.WebhookID(n)
}

// webhookIDText is a webhook id as the column webhook_id holds it.
func webhookIDText(id autocred.WebhookID) string {
	if id <= 0 {
		return ""
	}
	return id.String()
}

// Webhooks lists every ActiveCampaign connection's webhook state.
func (db *DB) Webhooks(ctx context.Context) ([]Webhook, error) {
	return queryAll(ctx, db.pool(), scanWebhook, `SELECT `+webhookColumns+`
		FROM connections c WHERE c.app IN `+sqlACApp+` ORDER BY c.id`)
}

// WebhookOf is one ActiveCampaign connection's webhook state; ok is false
// when there is no such connection.
func (db *DB) WebhookOf(ctx context.Context, connID int64) (w Webhook, ok bool, err error) {
	w, err = scanWebhook(db.pool().QueryRowContext(ctx, `SELECT `+webhookColumns+`
		FROM connections c WHERE c.app IN `+sqlACApp+` AND c.id = ?`, connID))
	if errors.Is(err, sql.ErrNoRows) {
		return Webhook{}, false, nil
	}
	return w, err == nil, err
}

// SetWebhook records that a connection's webhook was seen to exist at
// checkedAt, or (0 for webhookID) that it was removed.
func (db *DB) SetWebhook(ctx context.Context, connID int64, webhookID autocred.WebhookID, checkedAt time.Time) error {
	_, err := db.pool().ExecContext(ctx, `UPDATE connections SET webhook_id = ?, webhook_checked_at = ? WHERE id = ?`, webhookIDText(webhookID), ms(checkedAt), connID)
	return err
}

// RegisterWebhook records a webhook just created (or found) for a
// connection at time at, and clears the missed deliveries counted against
// the previous one. A non-empty notice records a re-registration and why,
// for the health page.
func (db *DB) RegisterWebhook(ctx context.Context, connID int64, webhookID autocred.WebhookID, at time.Time, notice string) error {
	q := `UPDATE connections SET webhook_id = ?, webhook_checked_at = ?, webhook_registered_at = ?,
		webhook_missed = 0, webhook_missed_first = 0, webhook_missed_last = 0`
	args := []any{webhookIDText(webhookID), ms(at), ms(at)}
	if notice != "" {
		q += `, webhook_renewed_at = ?, webhook_notice = ?`
		args = append(args, ms(at), notice)
	}
	_, err := db.pool().ExecContext(ctx, q+` WHERE id = ?`, append(args, connID)...)
	return err
}

// WebhookDelivered records that a delivery of a connection's webhook
// arrived at time at: the webhook works, so the missed deliveries counted
// so far were changes that fire none (imports). The time only moves
// forward, whichever process records it.
func (db *DB) WebhookDelivered(ctx context.Context, connID int64, at time.Time) error {
	_, err := db.pool().ExecContext(ctx, `UPDATE connections SET webhook_delivery_at = ?,
		webhook_missed = 0, webhook_missed_first = 0, webhook_missed_last = 0
		WHERE id = ? AND webhook_delivery_at < ?`, ms(at), connID, ms(at))
	return err
}

// WebhookMissed adds n missed deliveries, for contact changes from first
// to last, to the webhook state seen as seen. It changes nothing (and
// reports false) when a delivery was recorded or another webhook
// registered since seen was read: the count would then be stale.
func (db *DB) WebhookMissed(ctx context.Context, seen Webhook, n int, first, last time.Time) (bool, error) {
	res, err := db.pool().ExecContext(ctx, `UPDATE connections SET webhook_missed = webhook_missed + ?,
		webhook_missed_first = CASE WHEN webhook_missed_first = 0 OR webhook_missed_first > ? THEN ? ELSE webhook_missed_first END,
		webhook_missed_last = CASE WHEN webhook_missed_last < ? THEN ? ELSE webhook_missed_last END
		WHERE id = ? AND webhook_id = ? AND webhook_registered_at = ? AND webhook_delivery_at = ?`,
		n, ms(first), ms(first), ms(last), ms(last), seen.ConnectionID, webhookIDText(seen.ID), ms(seen.RegisteredAt), ms(seen.DeliveryAt))
	if err != nil {
		return false, err
	}
	changed, err := res.RowsAffected()
	return changed == 1, err
}
