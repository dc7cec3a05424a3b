package e2e

import (
	"database/sql"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The operations endpoints answer without a token; the metrics count what
// happened; no key or token is in the database file or the debug log.
func TestOperationsAndSecrets(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	ids := w.importContacts(contact("Ops", "Person"))
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	w.tag("Completed", ids[0])
	w.waitFor("the credential", time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["issued"]) == 1 })

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + w.addr + path)
		must(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Errorf("/readyz = %d %q", code, body)
	}
	code, metrics := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`autocred_runs_finished_total{outcome="issued"} 1`,
		`autocred_entries_total 1`,
		`autocred_syncs_total{result="ok"}`,
		`autocred_api_requests_total{endpoint="POST /credentials/create-issue-send",status="201",system="certifier"} 1`,
		`autocred_pending_runs 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, _ := get("/api/v1/automations"); code != http.StatusUnauthorized {
		t.Errorf("the API without a token answered %d, want 401", code)
	}

	w.stop() // flush the log and the database
	secrets := []string{acKey, certToken, w.token}
	stored := w.databaseText()
	if len(stored) == 0 {
		t.Fatal("found nothing of the database to look into: the check below would prove nothing")
	}
	for name, data := range stored {
		for _, s := range secrets {
			// PostgreSQL shows bytea as hex: a secret kept in a bytea
			// column in plain text would appear hex-encoded.
			if strings.Contains(data, s) || strings.Contains(data, hex.EncodeToString([]byte(s))) {
				t.Errorf("%s holds a secret in plain text", name)
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(w.nodes[0].logs.String(), s) {
			t.Errorf("the debug log holds a secret")
		}
	}
	if !strings.Contains(w.nodes[0].logs.String(), "level=DEBUG") {
		t.Error("the log has no debug lines: the check above proves nothing")
	}
}

// databaseText is everything autocred stored, by where it is: each SQLite
// file (the database, its WAL), or each PostgreSQL table as text.
func (w *world) databaseText() map[string]string {
	w.t.Helper()
	out := map[string]string{}
	if w.database == "sqlite" {
		files, _ := filepath.Glob(filepath.Join(w.dir, "autocred.db*"))
		for _, f := range files {
			if strings.HasSuffix(f, ".key") {
				continue
			}
			data, err := os.ReadFile(f)
			must(w.t, err)
			out[filepath.Base(f)] = string(data)
		}
		return out
	}
	db, err := sql.Open("pgx", w.dbArg)
	must(w.t, err)
	defer db.Close()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	must(w.t, err)
	var tables []string
	for rows.Next() {
		var name string
		must(w.t, rows.Scan(&name))
		tables = append(tables, name)
	}
	must(w.t, rows.Err())
	rows.Close()
	for _, table := range tables {
		var text sql.NullString
		must(w.t, db.QueryRow(`SELECT string_agg(t::text, E'\n') FROM `+pgx.Identifier{table}.Sanitize()+` t`).Scan(&text))
		out["table "+table] = text.String
	}
	return out
}
