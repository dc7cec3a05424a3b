package store

import (
	"context"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// A webhook id is kept as the text it always was ("" for none), so the
// rows an earlier autocred wrote read the same, and reads back as the id
// that was recorded.
func TestWebhookIDRoundTrip(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		conn := fixture(t, db).Trigger.ConnectionID
		read := func() (autocred.WebhookID, string) {
			t.Helper()
			w, ok, err := db.WebhookOf(ctx, conn)
			if err != nil || !ok {
				t.Fatalf("WebhookOf: %v, %v", ok, err)
			}
			var stored string
			if err := db.pool().QueryRowContext(ctx, `SELECT webhook_id FROM connections WHERE id = ?`, conn).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			return w.ID, stored
		}
		if id, stored := read(); id != 0 || stored != "" {
			t.Errorf("none registered: %d, stored %q; want 0, \"\"", id, stored)
		}
		if err := db.RegisterWebhook(ctx, conn, 4711, time.Now(), ""); err != nil {
			t.Fatal(err)
		}
		if id, stored := read(); id != 4711 || stored != "4711" {
			t.Errorf("registered: %d, stored %q; want 4711, \"4711\"", id, stored)
		}
		if err := db.SetWebhook(ctx, conn, 0, time.Now()); err != nil {
			t.Fatal(err)
		}
		if id, stored := read(); id != 0 || stored != "" {
			t.Errorf("removed: %d, stored %q; want 0, \"\"", id, stored)
		}
		if _, err := db.pool().ExecContext(ctx, `UPDATE connections SET webhook_id = '17' WHERE id = ?`, conn); err != nil {
			t.Fatal(err)
		}
		if id, _ := read(); id != 17 {
			t.Errorf("a row an earlier autocred wrote: %d, want 17", id)
		}
	})
}
