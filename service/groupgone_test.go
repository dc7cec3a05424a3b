package service_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// A group deleted in Certifier is said once, on the automation (and so in
// Health), not once per run with advice to fix the mapping; the runs wait.
// Editing the automation to another group issues them, without a retry.
func TestDeletedGroupIsShownOnceAndEditResumes(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	svc := env.Service
	is := startIssuing(t, env, "VIP Member Badge", simac.ContactInput{Email: "ana@example.com", FirstName: "Ana"}, simac.ContactInput{Email: "bo@example.com", FirstName: "Bo"})
	a, group, in := is.automation, is.group, is.input

	req, _ := http.NewRequest("DELETE", env.CertifierURL+"/groups/"+group.ID, nil)
	req.Header.Set("Authorization", "Bearer "+testenv.CertifierToken)
	req.Header.Set("Certifier-Version", "2022-10-26")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("deleting the group: %s", resp.Status)
	}
	is.tagDone(t, env)
	waitFor(t, "the automation to stop", func() bool { v, _ := svc.Automation(ctx, a.ID); return v.Status == autocred.AutomationPaused })
	waitFor(t, "two runs", func() bool { v, _ := svc.Automation(ctx, a.ID); return v.Runs[autocred.RunPending] == 2 })
	v, _ := svc.Automation(ctx, a.ID)
	if want := "the group 'VIP Member Badge' no longer exists in this workspace: choose another under Edit"; !strings.Contains(v.StatusReason, want) {
		t.Errorf("automation reason %q, want it to say %q", v.StatusReason, want)
	}
	// The run that found the group gone says so; a run whose job came
	// after the pause just waits with the automation.
	runs, _, _ := env.Store.Runs(ctx, autocred.RunFilter{AutomationID: a.ID})
	said := 0
	for _, r := range runs {
		if r.Status != autocred.RunPending || strings.Contains(r.LastError, "mapping") {
			t.Errorf("run %d: %s, %q, %q; want it waiting, not told to fix the mapping", r.ID, r.Status, r.ErrorCode, r.LastError)
		}
		if r.ErrorCode == autocred.RunCodeGroupMissing {
			said++
		}
	}
	if said == 0 {
		t.Errorf("no run says why it waits (%s)", autocred.RunCodeGroupMissing)
	}
	// Resuming cannot work until another group is chosen: refused, saying so.
	if err := svc.Resume(ctx, a.ID, nil, false); autocred.ErrorCode(err) != autocred.ECONFLICT || !strings.Contains(autocred.ErrorMessage(err), "choose another group under Edit") {
		t.Errorf("resuming without a group: %v, want a conflict saying to choose another group under Edit", err)
	}
	for _, r := range runs {
		if _, err := svc.RetryRun(ctx, r.ID, "ada@example.com"); r.Retryable() && autocred.ErrorCode(err) != autocred.ECONFLICT {
			t.Errorf("retrying waiting run %d: %v, want a conflict", r.ID, err)
		}
	}

	other, _ := env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "VIP Badge 2025"})
	in.Action.GroupID = other.ID
	if _, err := svc.UpdateAutomation(ctx, a.ID, in); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both runs issued", func() bool { v, _ := svc.Automation(ctx, a.ID); return v.Runs[autocred.RunIssued] == 2 })
	v, _ = svc.Automation(ctx, a.ID)
	if v.Status != autocred.AutomationActive || v.StatusReason != "" {
		t.Errorf("after the edit: %s, %q; want active, no reason", v.Status, v.StatusReason)
	}
	for _, c := range env.Certifier.Credentials(testenv.CertWorkspace) {
		if c.GroupID != other.ID {
			t.Errorf("credential in group %s, want %s", c.GroupID, other.ID)
		}
	}
}
