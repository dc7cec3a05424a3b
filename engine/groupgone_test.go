package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// A group deleted in Certifier stops the automation once, with a reason
// that says what to do, and its runs wait instead of each failing with
// advice to fix the mapping. Choosing another group (what Edit does)
// issues the waiting runs without anyone retrying them.
func TestDeletedGroupPausesTheAutomationOnce(t *testing.T) {
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	ids := h.importContacts(
		simac.ContactInput{Email: "ana@example.com", FirstName: "Ana", LastName: "Lee"},
		simac.ContactInput{Email: "bo@example.com", FirstName: "Bo", LastName: "Ek"},
	)
	a := h.automation(h.segment("Done", "Done"), nil)
	h.deleteGroup(h.group.ID)
	h.tag("Done", ids...)

	h.waitFor("the automation to stop for its group", func() bool {
		got, _ := h.store.Automation(ctx, a.ID)
		return got.Status == autocred.AutomationPaused
	})
	h.waitFor("two runs", func() bool { return len(h.runs(a.ID)[autocred.RunPending]) == 2 })
	got, _ := h.store.Automation(ctx, a.ID)
	want := "the group 'Course Completion' no longer exists in this workspace: choose another under Edit"
	if !strings.Contains(got.StatusReason, want) || !got.GroupMissing() {
		t.Errorf("automation reason %q, want it to say %q", got.StatusReason, want)
	}
	runs := h.runs(a.ID)
	if n := len(runs[autocred.RunFailed]); n != 0 {
		t.Errorf("%d runs failed, want them waiting for another group", n)
	}
	for _, r := range runs[autocred.RunPending] {
		if strings.Contains(r.LastError, "Fix the mapping") {
			t.Errorf("run %d says %q", r.ID, r.LastError)
		}
	}
	// The create that found the group gone was sent: the run's count and
	// its log's "Attempt N" lines agree. A run still in its create (the
	// second may be: the automation stopped on the first's answer) counts
	// the attempt before its answer is logged, so each run is read again
	// until its create has come back.
	for _, r := range runs[autocred.RunPending] {
		var mismatch string
		h.waitFor(fmt.Sprintf("run %d's attempts to agree with its log", r.ID), func() bool {
			r, err := h.store.Run(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			mismatch = h.attemptsAsLogged(r)
			return mismatch == "" || r.Step != autocred.StepCreate
		})
		if mismatch != "" {
			t.Error(mismatch)
		}
	}

	// Edit: another group, then the automation goes on by itself.
	other, err := h.cert.AddGroup("acme", simcert.GroupInput{Name: "Course Completion 2"})
	if err != nil {
		t.Fatal(err)
	}
	got.Action.GroupID, got.Action.GroupName = other.ID, other.Name
	if err := h.store.UpdateAutomation(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if err := h.store.ResumeAutomation(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	h.waitFor("both credentials", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == 2 })
	if got, _ := h.store.Automation(ctx, a.ID); got.Status != autocred.AutomationActive || got.StatusReason != "" {
		t.Errorf("after the edit: %s, %q", got.Status, got.StatusReason)
	}
}

// A deleted group is noticed by a sync too, before any run needs it.
func TestSyncNoticesADeletedGroup(t *testing.T) {
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	h.engine.CheckGroupsEvery(0) // each sync checks
	a := h.automation(h.segment("Done", "Done"), nil)
	h.deleteGroup(h.group.ID)
	h.waitFor("the automation to stop for its group", func() bool {
		got, _ := h.store.Automation(ctx, a.ID)
		return got.Status == autocred.AutomationPaused && got.GroupMissing()
	})
	if n := len(h.runs(a.ID)[autocred.RunFailed]); n != 0 {
		t.Errorf("%d runs failed", n)
	}
}

// An attempt is a create sent to Certifier: a draft's issue and send are
// steps of the attempt that created it, so a run issued by create, then
// issue, counts one attempt, as its log numbers one.
func TestAnAttemptIsACreate(t *testing.T) {
	h := newHarness(t, testenv.Options{})
	ids := h.importContacts(simac.ContactInput{Email: "ana@example.com", FirstName: "Ana", LastName: "Lee"})
	a := h.automation(h.segment("Done", "Done"), func(a *autocred.Automation) { a.Action.Send = false })
	h.tag("Done", ids...)
	h.waitFor("the credential", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == 1 })
	r := h.runs(a.ID)[autocred.RunIssued][0]
	if r.Attempts != 1 {
		t.Errorf("a run created, then issued, counts %d attempts, want 1", r.Attempts)
	}
	h.expectAttemptsAsLogged(r)
}

// expectAttemptsAsLogged checks that a run counts as many attempts as its
// log has create calls, numbered 1 to Attempts.
func (h *harness) expectAttemptsAsLogged(r autocred.Run) {
	h.t.Helper()
	if mismatch := h.attemptsAsLogged(r); mismatch != "" {
		h.t.Error(mismatch)
	}
}

// attemptsAsLogged says how a run's count of attempts and its log's
// numbered creates disagree, or "" if they agree.
func (h *harness) attemptsAsLogged(r autocred.Run) string {
	h.t.Helper()
	events, err := h.store.RunEvents(context.Background(), r.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	var numbers []int
	for _, e := range events {
		if sent, ok := autocred.ParseSentEvent(e.Message); ok {
			numbers = append(numbers, sent.Attempt)
		}
	}
	if len(numbers) != r.Attempts || len(numbers) > 0 && numbers[len(numbers)-1] != r.Attempts {
		return fmt.Sprintf("run %d counts %d attempts, and its log numbers the creates it sent %v", r.ID, r.Attempts, numbers)
	}
	return ""
}

// deleteGroup deletes a group through Certifier's API, as a user would in
// its dashboard.
func (h *harness) deleteGroup(id string) {
	h.t.Helper()
	c, err := h.store.Connection(context.Background(), h.crtConn)
	if err != nil {
		h.t.Fatal(err)
	}
	req, _ := http.NewRequest("DELETE", c.APIURL+"/groups/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+testenv.CertifierToken)
	req.Header.Set("Certifier-Version", "2022-10-26")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		h.t.Fatalf("deleting group %s: %s", id, resp.Status)
	}
}
