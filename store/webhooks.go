package store

import (
	"context"
	"time"
)

// Webhook is the state of the hint webhook of one ActiveCampaign connection.
type Webhook struct {
	ConnectionID int64
	ID           string    // the webhook's id at ActiveCampaign; "" when none is registered
	CheckedAt    time.Time // when it was last seen to exist
	Watching     bool      // some automation on the connection is watching
}

// Webhooks lists every ActiveCampaign connection's webhook state.
func (db *DB) Webhooks(ctx context.Context) ([]Webhook, error) {
	return queryAll(ctx, db.pool(), func(row rowScanner) (Webhook, error) {
		var w Webhook
		var checked int64
		err := row.Scan(&w.ConnectionID, &w.ID, &checked, &w.Watching)
		w.CheckedAt = fromMS(checked)
		return w, err
	}, `SELECT c.id, c.webhook_id, c.webhook_checked_at,
		EXISTS (SELECT 1 FROM automations a WHERE a.trigger_connection_id = c.id AND a.status IN ('baselining', 'active'))
		FROM connections c WHERE c.app = 'activecampaign' ORDER BY c.id`)
}

// SetWebhook records the webhook registered for a connection ("" when it
// was removed) and when it was last seen.
func (db *DB) SetWebhook(ctx context.Context, connID int64, webhookID string, checkedAt time.Time) error {
	_, err := db.pool().ExecContext(ctx, `UPDATE connections SET webhook_id = ?, webhook_checked_at = ? WHERE id = ?`, webhookID, ms(checkedAt), connID)
	return err
}
