package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// R1: a credential is issued once when a contact enters the segment, with
// the mapped fields, and emailed once.
func TestR1OneCredentialPerEntry(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	must(t, w.cert.AddAttribute(workspace, "custom.course_name", "Course Name"))
	ids := w.importContacts(simac.ContactInput{Email: "ana.lee@example.com", FirstName: "Ana", LastName: "Lee",
		Fields: map[string]string{"COURSE_NAME": "Go 101"}})
	group := w.group("Course Completion")
	a := w.automation(acConn, certConn, w.segment("Course Completers", "Completed"), group,
		map[string]any{"custom_attributes": map[string]string{"custom.course_name": "{{contact.fields.COURSE_NAME}}"}})

	w.tag("Completed", ids[0])
	w.waitFor("the credential", time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["issued"]) == 1 })
	w.settle(a.ID)

	creds := w.credentials()["ana.lee@example.com"]
	if len(creds) != 1 {
		t.Fatalf("Ana has %d credentials, want 1", len(creds))
	}
	c := creds[0]
	today := time.Now().UTC()
	if c.Recipient.Name != "Ana Lee" || c.GroupID != group.ID || c.Status != "issued" ||
		c.IssueDate != today.Format(time.DateOnly) || c.ExpiryDate != today.AddDate(1, 0, 0).Format(time.DateOnly) ||
		c.CustomAttributes["custom.course_name"] != "Go 101" {
		t.Errorf("credential = %+v", c)
	}
	if n := w.emails()["ana.lee@example.com"]; n != 1 {
		t.Errorf("%d emails sent to Ana, want 1", n)
	}
	runs := w.runs(a.ID, "")
	if len(runs) != 1 || runs[0].CredentialID != c.ID || !strings.HasSuffix(runs[0].PublicLink, c.PublicID) || runs[0].Entry != 1 {
		t.Errorf("runs = %+v", runs)
	}
}

// R2: a contact who leaves and later re-enters gets another credential.
func TestR2ReentryGetsAnotherCredential(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	ids := w.importContacts(contact("Bo", "Diaz"))
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)

	w.tag("Completed", ids[0])
	w.waitFor("first credential", time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["issued"]) == 1 })
	w.untag("Completed", ids[0])
	w.settle(a.ID) // two complete snapshots without him: he has left
	w.tag("Completed", ids[0])
	w.waitFor("second credential", time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["issued"]) == 2 })
	w.settle(a.ID)

	if n := len(w.credentials()["bo.diaz@example.com"]); n != 2 {
		t.Errorf("%d credentials after leaving and re-entering, want 2", n)
	}
	runs := w.runs(a.ID, "")
	if len(runs) != 2 || runs[0].Entry != 2 || runs[1].Entry != 1 {
		t.Errorf("runs = %+v, want entries 2 and 1", runs)
	}
}

// R3: a contact who qualifies for several watched segments gets one
// credential per segment.
func TestR3OneCredentialPerSegment(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	ids := w.importContacts(contact("Cy", "Ng"))
	course, vip := w.group("Course"), w.group("VIP")
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), course, nil)
	b := w.automation(acConn, certConn, w.segment("VIPs", "VIP"), vip, nil)

	w.tag("Completed", ids[0])
	w.tag("VIP", ids[0])
	w.waitFor("both credentials", time.Minute, func() bool {
		return len(byStatus(w.runs(a.ID, ""))["issued"]) == 1 && len(byStatus(w.runs(b.ID, ""))["issued"]) == 1
	})
	w.settle(a.ID, b.ID)
	creds := w.credentials()["cy.ng@example.com"]
	groups := map[string]int{}
	for _, c := range creds {
		groups[c.GroupID]++
	}
	if len(creds) != 2 || groups[course.ID] != 1 || groups[vip.ID] != 1 {
		t.Errorf("credentials by group = %v, want one in each", groups)
	}
}

// R4: moving from segment A to segment B issues only for B.
func TestR4MoveIssuesOnlyForTheNewSegment(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	ids := w.importContacts(simac.ContactInput{Email: "di.ho@example.com", FirstName: "Di", LastName: "Ho", Tags: []string{"Bronze"}})
	bronze, silver := w.group("Bronze"), w.group("Silver")
	a := w.automation(acConn, certConn, w.segment("Bronze members", "Bronze"), bronze, nil)
	b := w.automation(acConn, certConn, w.segment("Silver members", "Silver"), silver, nil)

	w.untag("Bronze", ids[0])
	w.tag("Silver", ids[0])
	w.waitFor("the Silver credential", time.Minute, func() bool { return len(byStatus(w.runs(b.ID, ""))["issued"]) == 1 })
	w.settle(a.ID, b.ID)
	creds := w.credentials()["di.ho@example.com"]
	if len(creds) != 1 || creds[0].GroupID != silver.ID {
		t.Errorf("credentials = %+v, want one Silver", creds)
	}
	if runs := w.runs(a.ID, ""); len(runs) != 0 {
		t.Errorf("Bronze automation has runs %+v", runs)
	}
}

// R5: contacts already in the segment at activation get nothing, unless
// they leave and re-enter later.
func TestR5BaselineGetsNothingUntilReentry(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	var in []simac.ContactInput
	for i := range 50 {
		c := contact("Old", fmt.Sprint("Member", i))
		c.Tags = []string{"Completed"}
		in = append(in, c)
	}
	ids := w.importContacts(in...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	if a.Baseline.Total != 50 || a.Baseline.Done != 50 {
		t.Errorf("baseline progress = %+v, want 50 of 50", a.Baseline)
	}
	w.settle(a.ID)
	if n := len(w.cert.Credentials(workspace)); n != 0 {
		t.Fatalf("%d credentials for baseline members, want 0", n)
	}
	w.untag("Completed", ids[0])
	w.settle(a.ID)
	w.tag("Completed", ids[0])
	w.waitFor("the re-entry's credential", time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["issued"]) == 1 })
	w.settle(a.ID)
	if creds := w.cert.Credentials(workspace); len(creds) != 1 || creds[0].Recipient.Email != in[0].Email {
		t.Errorf("credentials = %+v, want only the one who left and came back", creds)
	}
}

// R5 after a pause: resumed with Start fresh (a user's pause, by default),
// the automation issues nothing to who entered while it was paused (a
// newcomer, and a baseline member who had left and came back), but each
// has a skipped run saying why, counted on the automation; retrying one
// issues exactly one credential (R1), and the old baseline gets nothing.
func TestR5StartFreshAfterAPauseLeavesASkippedRunToRetry(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	old := []simac.ContactInput{contact("Old", "One"), contact("Old", "Two")}
	for i := range old {
		old[i].Tags = []string{"Completed"}
	}
	ids := w.importContacts(old...)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	w.untag("Completed", ids[0])
	w.settle(a.ID) // two snapshots without her: Old One has left

	w.mustCall("POST", fmt.Sprintf("/api/v1/automations/%d/pause", a.ID), nil, nil, 202)
	w.tag("Completed", ids[0])
	newcomer := contact("Zoe", "Kim")
	newcomer.Tags = []string{"Completed"}
	w.importContacts(newcomer)
	w.mustCall("POST", fmt.Sprintf("/api/v1/automations/%d/resume", a.ID), nil, nil, 202)
	w.waitFor("the new baseline", time.Minute, func() bool { return w.automationNow(a.ID).Status == "active" })
	w.settle(a.ID)
	if n := len(w.cert.Credentials(workspace)); n != 0 {
		t.Fatalf("%d credentials after Start fresh, want 0", n)
	}
	skipped := w.runs(a.ID, "error_code=entered_while_paused")
	emails := map[string]run{}
	for _, r := range skipped {
		emails[r.Email] = r
		if r.Status != "skipped" || !strings.Contains(r.Error, "Retry issues one") {
			t.Errorf("run of %s: %s, %q", r.Email, r.Status, r.Error)
		}
	}
	if _, ok := emails[newcomer.Email]; len(skipped) != 2 || !ok || emails[old[0].Email].ID == 0 {
		t.Fatalf("skipped runs = %+v, want the newcomer's and Old One's", skipped)
	}
	var counted struct {
		PausedEntrants int `json:"paused_entrants"`
	}
	w.mustCall("GET", fmt.Sprintf("/api/v1/automations/%d", a.ID), nil, &counted, 200)
	if counted.PausedEntrants != 2 {
		t.Errorf("paused_entrants = %d, want 2", counted.PausedEntrants)
	}

	w.mustCall("POST", fmt.Sprintf("/api/v1/runs/%d/retry", emails[newcomer.Email].ID), nil, nil, 202)
	w.waitFor("the retried credential", time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["issued"]) == 1 })
	w.settle(a.ID)
	if creds := w.cert.Credentials(workspace); len(creds) != 1 || creds[0].Recipient.Email != newcomer.Email {
		t.Errorf("credentials = %+v, want one, the newcomer's", creds)
	}
	// The newcomer's run retried and issued, one is left to retry.
	w.mustCall("GET", fmt.Sprintf("/api/v1/automations/%d", a.ID), nil, &counted, 200)
	if counted.PausedEntrants != 1 {
		t.Errorf("paused_entrants = %d after one of the two was retried and issued, want 1", counted.PausedEntrants)
	}

	// Issuing to everyone left, on purpose, in one call: Old One gets hers,
	// the newcomer no second, and a second call has no one left to retry.
	var retried struct {
		Retried int `json:"retried"`
	}
	path := fmt.Sprintf("/api/v1/automations/%d/retry-stopped-entrants", a.ID)
	w.mustCall("POST", path, nil, &retried, 202)
	if retried.Retried != 1 {
		t.Errorf("retry-stopped-entrants retried %d runs, want 1 (Old One's)", retried.Retried)
	}
	w.waitFor("Old One's credential", time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["issued"]) == 2 })
	w.mustCall("POST", path, nil, &retried, 202)
	w.settle(a.ID)
	got := map[string]int{}
	for _, c := range w.cert.Credentials(workspace) {
		got[c.Recipient.Email]++
	}
	if retried.Retried != 0 || len(got) != 2 || got[newcomer.Email] != 1 || got[old[0].Email] != 1 {
		t.Errorf("after issuing to everyone who entered while stopped (then again, retrying %d): credentials %v, want one each for %s and %s",
			retried.Retried, got, newcomer.Email, old[0].Email)
	}
	w.mustCall("GET", fmt.Sprintf("/api/v1/automations/%d", a.ID), nil, &counted, 200)
	if counted.PausedEntrants != 0 {
		t.Errorf("paused_entrants = %d after everyone was issued, want 0", counted.PausedEntrants)
	}
}

// R6: leaving a segment never revokes or deletes a credential.
func TestR6LeavingRevokesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	ids := w.importContacts(contact("Ed", "Wu"))
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	w.tag("Completed", ids[0])
	w.waitFor("the credential", time.Minute, func() bool { return len(byStatus(w.runs(a.ID, ""))["issued"]) == 1 })
	before := w.cert.Credentials(workspace)
	w.untag("Completed", ids[0])
	w.settle(a.ID)
	after := w.cert.Credentials(workspace)
	if len(after) != 1 || after[0].ID != before[0].ID || after[0].Status != "issued" || !after[0].UpdatedAt.Equal(before[0].UpdatedAt) {
		t.Errorf("credential after leaving = %+v, want it untouched", after)
	}
	if runs := w.runs(a.ID, ""); len(runs) != 1 || runs[0].Status != "issued" {
		t.Errorf("runs after leaving = %+v", runs)
	}
}

// R7: a contact without a valid email is skipped, and the run says why.
func TestR7InvalidEmailIsSkippedWithAClearError(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	acConn, certConn := w.connect()
	ids := w.importContacts(
		simac.ContactInput{FirstName: "No", LastName: "Email"},
		simac.ContactInput{Email: "not-an-email", FirstName: "Bad", LastName: "Email"},
		contact("Good", "Email"),
	)
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	w.tag("Completed", ids...)
	w.waitFor("three finished runs", time.Minute, func() bool {
		s := byStatus(w.runs(a.ID, ""))
		return len(s["skipped"]) == 2 && len(s["issued"]) == 1
	})
	w.settle(a.ID)
	for _, r := range byStatus(w.runs(a.ID, ""))["skipped"] {
		if !strings.Contains(r.Error, "email") || !strings.Contains(r.Error, "retry") {
			t.Errorf("skipped run %d says %q; want what is wrong with the email and what to do", r.ContactID, r.Error)
		}
	}
	if creds := w.cert.Credentials(workspace); len(creds) != 1 || creds[0].Recipient.Email != "good.email@example.com" {
		t.Errorf("credentials = %+v, want only the valid email's", creds)
	}
	var skipped []run
	w.mustCall("GET", fmt.Sprintf("/api/v1/automations/%d/runs?status=skipped", a.ID), nil, &struct {
		Runs *[]run `json:"runs"`
	}{&skipped}, 200)
	if len(skipped) != 2 {
		t.Errorf("status filter gave %d skipped runs, want 2", len(skipped))
	}
}
