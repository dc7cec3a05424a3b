package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testlog"
)

// damageTable overwrites the start of the first page of a table's b-tree
// in a closed SQLite file, as a failing disk or an interrupted copy would.
func damageTable(t *testing.T, path, table string) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var page, size int64
	if err := raw.QueryRow(`SELECT rootpage FROM sqlite_schema WHERE name = ?`, table).Scan(&page); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(strings.Repeat("\xa5\x5a", 32)), (page-1)*size); err != nil {
		t.Fatal(err)
	}
}

// A damaged SQLite file (issue 13, point 3): serve refuses to start, with
// the recovery path, instead of listening, answering ready and failing
// every request; started without the check, /readyz answers 503 as soon
// as a request meets the damage.
func TestServeRefusesADamagedFile(t *testing.T) {
	database := testdb.DSN(t, "sqlite")
	key := newKey()
	if out, code := serveOnce(t, database, key); code != 0 {
		t.Fatalf("first start: exit %d\n%s", code, out)
	}
	var tokOut, tokErr strings.Builder
	if err := runToken(context.Background(), []string{"create", "--name", "ci", "--database", database}, &tokOut, &tokErr); err != nil {
		t.Fatalf("token create: %v\n%s", err, tokErr.String())
	}
	token := regexp.MustCompile(`acr_[A-Za-z0-9_-]+`).FindString(tokOut.String())
	damageTable(t, database, "automations")

	out, code := serveOnce(t, database, key)
	if code != 1 || !strings.Contains(out, "database file is damaged") || !strings.Contains(out, "restore the latest backup") ||
		!strings.Contains(out, "sqlite3 "+database+" .recover") || strings.Contains(out, "listening") {
		t.Errorf("start on a damaged file: exit %d\n%s\nwant a refusal, before listening, with the recovery path", code, out)
	}

	// With the check off, the damage shows in /readyz once met.
	t.Setenv("AUTOCRED_SECRET_KEY", key)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log testlog.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--database", database, "--startup-check-timeout", "0", "--log-level", "error"}, &log, &log)
	}()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	for base == "" {
		select {
		case code := <-done:
			t.Fatalf("serve without the check: exit %d\n%s", code, log.String())
		case <-time.After(10 * time.Millisecond):
		}
		if m := listening.FindStringSubmatch(log.String()); m != nil {
			base = m[1]
		}
	}
	get := func(path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get("/api/v1/automations"); status < 500 {
		t.Errorf("listing automations from a damaged table: %d %s", status, body)
	}
	status, body := get("/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "damaged") || !strings.Contains(body, ".recover") {
		t.Errorf("/readyz after a request met the damage: %d %s, want 503 with the recovery path", status, body)
	}
	cancel()
	<-done
}
