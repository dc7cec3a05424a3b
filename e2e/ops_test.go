package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	files, _ := filepath.Glob(filepath.Join(w.dir, "autocred.db*"))
	for _, f := range files {
		if strings.HasSuffix(f, ".key") {
			continue
		}
		data, err := os.ReadFile(f)
		must(t, err)
		for _, s := range secrets {
			if strings.Contains(string(data), s) {
				t.Errorf("%s holds a secret in plain text", filepath.Base(f))
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
