package store

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testdb"
)

// FuzzStorableText pushes arbitrary text through autocred.Storable, the
// rule for text from outside, into PostgreSQL (whose text holds neither a
// NUL nor invalid UTF-8; SQLite holds both) as a run's email, contact and
// log line, and reads it back: it must store, and read back exactly as
// Storable made it. Text that CheckStorable accepts, as the API and the
// forms do, must be left unchanged by Storable.
func FuzzStorableText(f *testing.F) {
	for _, s := range []string{"ana@example.com", "bad\x00lee@example.com", "Jos\xe9", "caf\xc3", "\xed\xa0\x80", "\uFFFD", "王\x00小", ""} {
		f.Add(s)
	}
	ctx := context.Background()
	db, err := Open(ctx, testdb.CreatePostgres(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		f.Fatal(err)
	}
	ac := autocred.Connection{App: autocred.AppActiveCampaign, Name: "AC", APIURL: "https://acme.api-us1.com"}
	cert := autocred.Connection{App: autocred.AppCertifier, Name: "Cert", APIURL: "https://api.certifier.io/v1"}
	for _, c := range []*autocred.Connection{&ac, &cert} {
		if err := db.CreateConnection(ctx, c, []byte("sealed")); err != nil {
			f.Fatal(err)
		}
	}
	a := autocred.Automation{Name: "Fuzz", Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: "1"},
		Action:       autocred.Action{ConnectionID: cert.ID, GroupID: "g", RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}"},
		PollInterval: time.Minute}
	if err := db.CreateAutomation(ctx, &a); err != nil {
		f.Fatal(err)
	}
	var contactID autocred.ContactID
	f.Fuzz(func(t *testing.T, s string) {
		if autocred.CheckStorable(s) == nil && autocred.Storable(s) != s {
			t.Fatalf("Storable changed %+q, which CheckStorable accepts, to %+q", s, autocred.Storable(s))
		}
		v := autocred.Storable(s)
		if autocred.CheckStorable(v) != nil {
			t.Fatalf("Storable(%+q) = %+q, which CheckStorable refuses", s, v)
		}
		contactID++
		run := autocred.Run{AutomationID: a.ID, ContactID: contactID, Entry: 1, Email: v, LastError: v,
			Contact: autocred.Contact{ID: 1, Email: v, FirstName: v}}
		if err := db.tx(ctx, func(tx *sql.Tx) error { return db.insertRun(ctx, tx, &run) }); err != nil {
			t.Fatalf("storing %+q: %v", v, err)
		}
		if err := db.AddRunEvent(ctx, run.ID, v); err != nil {
			t.Fatalf("storing %+q as a log line: %v", v, err)
		}
		got, err := db.Run(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		events, err := db.RunEvents(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Email != v || got.LastError != v || got.Contact.Email != v || got.Contact.FirstName != v || len(events) != 1 || events[0].Message != v {
			t.Fatalf("stored %+q, read back email %+q, error %+q, contact %+v, log %+v", v, got.Email, got.LastError, got.Contact, events)
		}
	})
}
