package store

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// A refused key marks broken every working connection of the same account
// with the same key, and stops their automations; a connection of the same
// account with another key, or of another account, stays.
func TestRefusedKeyBreaksItsDuplicates(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		// Sealed keys stand for themselves here: the same bytes, the same key.
		db.SetSameKey(bytes.Equal)
		a := fixture(t, db) // AC sealed "sealed" at https://acme.api-us1.com
		conns := map[string]*autocred.Connection{
			"copy":          {App: autocred.AppActiveCampaign, Name: "AC copy", APIURL: "https://acme.api-us1.com"},
			"other key":     {App: autocred.AppActiveCampaign, Name: "AC other key", APIURL: "https://acme.api-us1.com"},
			"other account": {App: autocred.AppActiveCampaign, Name: "Other", APIURL: "https://other.api-us1.com"},
		}
		keys := map[string]string{"copy": "sealed", "other key": "sealed-2", "other account": "sealed"}
		for name, c := range conns {
			if err := db.CreateConnection(ctx, c, []byte(keys[name])); err != nil {
				t.Fatal(err)
			}
		}
		copyAuto := autocred.Automation{Name: "On the copy", Trigger: a.Trigger, Action: a.Action}
		copyAuto.Trigger.ConnectionID = conns["copy"].ID
		if err := db.CreateAutomation(ctx, &copyAuto); err != nil {
			t.Fatal(err)
		}
		_ = db.tx(ctx, func(tx *sql.Tx) error {
			return db.setAutomationStatus(ctx, tx, copyAuto.ID, autocred.AutomationActive, "", autocred.AutomationDraft)
		})

		if err := db.SetConnectionStatus(ctx, a.Trigger.ConnectionID, autocred.ConnectionBroken, "ActiveCampaign refused the API key."); err != nil {
			t.Fatal(err)
		}
		want := map[string]autocred.ConnectionStatus{"copy": autocred.ConnectionBroken, "other key": autocred.ConnectionOK, "other account": autocred.ConnectionOK}
		for name, c := range conns {
			got, _ := db.Connection(ctx, c.ID)
			if got.Status != want[name] {
				t.Errorf("%s: %s, want %s", name, got.Status, want[name])
			}
		}
		if got, _ := db.Automation(ctx, copyAuto.ID); got.Status != autocred.AutomationBroken {
			t.Errorf("the automation on the copy is %s, want broken", got.Status)
		}
	})
}

// Reconnecting clears what the automations it stopped said about the old
// key, and once none of their connections is broken they are no longer
// broken: paused, saying to resume. A key refused again breaks them again;
// one archived while broken and restored after the reconnect comes back
// paused.
func TestReconnectClearsWhatTheAutomationsSaid(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := fixture(t, db)
		_ = db.tx(ctx, func(tx *sql.Tx) error {
			return db.setAutomationStatus(ctx, tx, a.ID, autocred.AutomationActive, "", autocred.AutomationDraft)
		})
		for _, id := range []int64{a.Trigger.ConnectionID, a.Action.ConnectionID} {
			if err := db.SetConnectionStatus(ctx, id, autocred.ConnectionBroken, "refused"); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.RecordSync(ctx, a.ID, db.now(), "ActiveCampaign refused the API key.", db.now()); err != nil {
			t.Fatal(err)
		}
		reconnect := func(id int64) {
			t.Helper()
			c, err := db.Connection(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.ReplaceConnection(ctx, &c, []byte("new")); err != nil {
				t.Fatal(err)
			}
		}
		reconnect(a.Trigger.ConnectionID)
		if got, _ := db.Automation(ctx, a.ID); got.StatusReason == autocred.ReconnectedReason {
			t.Error("the automation says to resume while its Certifier connection is still broken")
		}
		if got, _ := db.Automation(ctx, a.ID); got.Status != autocred.AutomationBroken {
			t.Errorf("with its Certifier connection still broken, the automation is %s", got.Status)
		}
		reconnect(a.Action.ConnectionID)
		got, _ := db.Automation(ctx, a.ID)
		if got.Status != autocred.AutomationPaused || got.StatusReason != autocred.ReconnectedReason || got.LastSyncError != "" || !got.Reconnected() {
			t.Errorf("after reconnecting both: %s, reason %q, sync error %q; want paused, saying to resume", got.Status, got.StatusReason, got.LastSyncError)
		}

		if err := db.SetConnectionStatus(ctx, a.Trigger.ConnectionID, autocred.ConnectionBroken, "refused again"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Automation(ctx, a.ID); got.Status != autocred.AutomationBroken || !strings.Contains(got.StatusReason, "refused again") {
			t.Errorf("a key refused again while it waits to be resumed: %s, %q; want broken again", got.Status, got.StatusReason)
		}
		if _, err := db.ArchiveAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		reconnect(a.Trigger.ConnectionID)
		restored, err := db.RestoreAutomation(ctx, a.ID)
		if err != nil || restored.Status != autocred.AutomationPaused || restored.StatusReason != autocred.ReconnectedReason {
			t.Errorf("restored after its connection was reconnected: %s, %q, %v; want paused, saying to resume", restored.Status, restored.StatusReason, err)
		}
	})
}
