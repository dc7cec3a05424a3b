package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A group deleted in Certifier: the automation stops and says so once,
// the runs wait instead of each failing with advice to fix the mapping, and
// choosing another group through the API (as Edit does) issues them, each
// once, without a retry.
func TestDeletedGroupWaitsForAnotherGroup(t *testing.T) {
	t.Parallel()
	const n = 5
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	gone := w.group("VIP Member Badge")
	a := w.automation(acConn, certConn, w.segment("VIP", "vip"), gone, nil)

	req, _ := http.NewRequest("DELETE", w.certURL+"/groups/"+gone.ID, nil)
	req.Header.Set("Authorization", "Bearer "+certToken)
	req.Header.Set("Certifier-Version", "2022-10-26")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("deleting the group: %s", resp.Status)
	}

	w.pendingRuns(a.ID, "vip", n)
	var got struct {
		Status       string         `json:"status"`
		StatusReason string         `json:"status_reason"`
		Runs         map[string]int `json:"runs"`
	}
	path := fmt.Sprintf("/api/v1/automations/%d", a.ID)
	w.waitFor("the automation to stop for its group", time.Minute, func() bool {
		w.mustCall("GET", path, nil, &got, 200)
		return got.Status == "paused"
	})
	time.Sleep(2 * time.Second) // every job in flight has ended
	w.mustCall("GET", path, nil, &got, 200)
	if want := "the group 'VIP Member Badge' no longer exists in this workspace: choose another under Edit"; !strings.Contains(got.StatusReason, want) {
		t.Errorf("the automation says %q, want %q", got.StatusReason, want)
	}
	if got.Runs["pending"] != n {
		t.Errorf("runs %v, want all %d waiting", got.Runs, n)
	}
	for _, r := range w.runs(a.ID, "") {
		if strings.Contains(r.Error, "mapping") {
			t.Errorf("run %d tells the user to fix the mapping: %s", r.ID, r.Error)
		}
	}

	other := w.group("VIP Badge 2026")
	w.mustCall("PATCH", path, map[string]any{"action": map[string]any{"group_id": other.ID}}, nil, 200)
	w.waitFor("every run issued once the automation has a group", time.Minute, func() bool {
		got.StatusReason = "" // omitted when empty: not overwritten
		w.mustCall("GET", path, nil, &got, 200)
		return got.Runs["issued"] == n
	})
	w.exactlyOnce(a.ID, n)
	if got.Status != "active" || got.StatusReason != "" {
		t.Errorf("after the edit: %s, %q; want active with no reason", got.Status, got.StatusReason)
	}
}
