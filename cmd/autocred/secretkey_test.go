package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testlog"
)

// newKey returns a fresh AUTOCRED_SECRET_KEY value.
func newKey() string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	return base64.StdEncoding.EncodeToString(raw)
}

// serveOnce runs "autocred serve" with key (none: "") and the extra flags
// until it fails or listens; a server that started is stopped at once. It
// returns what serve printed and its exit code.
func serveOnce(t *testing.T, database, key string, extra ...string) (string, int) {
	t.Helper()
	t.Setenv("AUTOCRED_SECRET_KEY", key)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testlog.Buffer
	done := make(chan int, 1)
	go func() {
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--database", database, "--log-level", "error"}, extra...)
		done <- run(ctx, args, &out, &out)
	}()
	// A refused key fails before listening; a good one listens at once.
	for {
		select {
		case code := <-done:
			return out.String(), code
		case <-time.After(10 * time.Millisecond):
		}
		if strings.Contains(out.String(), "listening") {
			cancel()
			code := <-done
			return out.String(), code
		}
	}
}

// A node started with another key than the database's refuses to start,
// saying what to do, instead of looking ready and failing every job; after
// "secret-key replace" the new key is the database's, and the connections
// stored with the old one are marked for reconnection.
func TestSecretKeyMismatchAndReplace(t *testing.T) {
	for _, kind := range testdb.Kinds {
		t.Run(kind, func(t *testing.T) {
			database := testdb.DSN(t, kind)
			first, second := newKey(), newKey()
			if out, code := serveOnce(t, database, first); code != 0 {
				t.Fatalf("first start: exit %d\n%s", code, out)
			}
			// A connection whose account key is sealed with the first key.
			t.Setenv("AUTOCRED_SECRET_KEY", first)
			st, err := openStore(context.Background(), database)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			box, err := loadSecretKey(context.Background(), st, database, false)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			conn := autocred.Connection{App: autocred.AppActiveCampaign, Name: "Acme AC", APIURL: "https://acme.api-us1.com", SecretHint: "…0001"}
			if err := st.CreateConnection(ctx, &conn, box.Seal("ac-key-0001")); err != nil {
				t.Fatal(err)
			}

			out, code := serveOnce(t, database, second)
			if code != 1 || !strings.Contains(out, "not the one the connections in this database were stored with") || !strings.Contains(out, "secret-key replace") {
				t.Errorf("start with another key: exit %d\n%s\nwant a refusal that says what to do", code, out)
			}
			if strings.Contains(out, first) || strings.Contains(out, second) {
				t.Errorf("serve printed a secret key:\n%s", out)
			}
			if out, code := serveOnce(t, database, first); code != 0 {
				t.Errorf("the right key after a refusal: exit %d\n%s", code, out)
			}

			// The first key is lost: the second is made the database's.
			t.Setenv("AUTOCRED_SECRET_KEY", second)
			var rout, rerr bytes.Buffer
			if err := runSecretKey(ctx, []string{"replace", "--database", database}, &rout, &rerr); err != nil {
				t.Fatalf("secret-key replace: %v\n%s", err, rerr.String())
			}
			if !strings.Contains(rout.String(), "1 connections must be reconnected") || !strings.Contains(rout.String(), "Acme AC") {
				t.Errorf("secret-key replace printed:\n%s\nwant the connection to reconnect", rout.String())
			}
			got, err := st.Connection(ctx, conn.ID)
			if err != nil || got.Status != autocred.ConnectionBroken || !strings.Contains(got.StatusReason, "reconnect") {
				t.Errorf("connection after replace: %+v %v, want broken with a reason that says to reconnect", got, err)
			}
			if out, code := serveOnce(t, database, second); code != 0 {
				t.Errorf("start with the new key: exit %d\n%s", code, out)
			}
			if out, code := serveOnce(t, database, first); code != 1 {
				t.Errorf("start with the replaced key: exit %d\n%s, want a refusal", code, out)
			}
			rout.Reset()
			t.Setenv("AUTOCRED_SECRET_KEY", second)
			if err := runSecretKey(ctx, []string{"replace", "--database", database}, &rout, &rerr); err != nil || !strings.Contains(rout.String(), "nothing changed") {
				t.Errorf("replace again: %v\n%s", err, rout.String())
			}
		})
	}
}

// A database from before the key check holds connections but no check: the
// first key to start must open them.
func TestSecretKeyCheckOnAnOlderDatabase(t *testing.T) {
	database := testdb.DSN(t, "sqlite")
	key := newKey()
	t.Setenv("AUTOCRED_SECRET_KEY", key)
	ctx := context.Background()
	st, err := openStore(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	box, err := loadSecretKey(context.Background(), st, database, false)
	if err != nil {
		t.Fatal(err)
	}
	conn := autocred.Connection{App: autocred.AppCertifier, Name: "Certifier", APIURL: "https://api.certifier.io/v1", SecretHint: "…0001"}
	if err := st.CreateConnection(ctx, &conn, box.Seal("cert-token-0001")); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// As before migration 0005 recorded anything.
	raw, err := sql.Open("sqlite", database)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM settings`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	if out, code := serveOnce(t, database, newKey()); code != 1 || !strings.Contains(out, "secret-key replace") {
		t.Errorf("another key on an older database: exit %d\n%s, want a refusal", code, out)
	}
	if out, code := serveOnce(t, database, key); code != 0 {
		t.Errorf("its own key: exit %d\n%s", code, out)
	}
}

// When the key file is lost, serve refuses to start and says how to
// recover, without writing a new key file first (issue 13, point 7): a new
// file would hold a key that opens nothing, and would stand in the way of
// the one restored from the backup.
func TestMissingKeyFileIsNotReplaced(t *testing.T) {
	database := testdb.DSN(t, "sqlite")
	keyFile := database + ".key"
	if out, code := serveOnce(t, database, ""); code != 0 {
		t.Fatalf("first start: exit %d\n%s", code, out)
	}
	saved, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatalf("the first start made no key file: %v", err)
	}
	ctx := context.Background()
	st, err := openStore(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	box, err := loadSecretKey(ctx, st, database, false)
	if err != nil {
		t.Fatal(err)
	}
	conn := autocred.Connection{App: autocred.AppCertifier, Name: "Certifier", APIURL: "https://api.certifier.io/v1", SecretHint: "…0001"}
	if err := st.CreateConnection(ctx, &conn, box.Seal("cert-token-0001")); err != nil {
		t.Fatal(err)
	}
	st.Close()

	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	out, code := serveOnce(t, database, "")
	if code != 1 || !strings.Contains(out, "key file") || !strings.Contains(out, "restore the key file from your backup") || !strings.Contains(out, "secret-key replace") {
		t.Errorf("start without the key file: exit %d\n%s\nwant a refusal that says how to recover", code, out)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Errorf("the refused start wrote a new key file %s", keyFile)
	}
	// The key file restored from a backup is the database's.
	if err := os.WriteFile(keyFile, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := serveOnce(t, database, ""); code != 0 {
		t.Errorf("start with the restored key file: exit %d\n%s", code, out)
	}
}

// A database that others can read is reported at start, with what to do.
func TestServeWarnsAboutReadableDatabaseFiles(t *testing.T) {
	database := testdb.DSN(t, "sqlite")
	key := newKey()
	if out, code := serveOnce(t, database, key, "--log-level", "warn"); code != 0 || strings.Contains(out, "chmod") {
		t.Fatalf("first start: exit %d\n%s\nwant no warning about a new database", code, out)
	}
	if err := os.Chmod(database, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := serveOnce(t, database, key, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "chmod 600") || !strings.Contains(out, database+" (mode 0644)") {
		t.Errorf("start on a database others can read: exit %d\n%s\nwant a warning naming the file", code, out)
	}
}
