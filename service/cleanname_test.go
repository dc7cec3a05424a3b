package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// A contact's name with a line break reached Certifier cleaned ("Line
// Break"), while the runs list and the CSV showed it raw: the run shows
// the name as it was sent.
func TestRunShowsTheNameAsCertifierGotIt(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	is := startIssuing(t, env, "Course certificate", simac.ContactInput{Email: "lb@example.com", FirstName: "Line\nBreak", LastName: " Tab\tBed "})
	is.tagDone(t, env)
	var runs []autocred.Run
	waitFor(t, "the run issued", func() bool {
		runs, _, _ = env.Service.Runs(ctx, autocred.RunFilter{AutomationID: is.automation.ID, Status: autocred.RunIssued})
		return len(runs) == 1
	})
	creds := env.Certifier.Credentials(testenv.CertWorkspace)
	if len(creds) != 1 || creds[0].Recipient.Name != "Line Break" {
		t.Fatalf("Certifier got %+v, want one credential for %q", creds, "Line Break")
	}
	if got := runs[0].Name(); got != "Line Break Tab Bed" {
		t.Errorf("the runs list names the contact %q, want %q (the name cleaned as the mapping cleans it)", got, "Line Break Tab Bed")
	}
	var out bytes.Buffer
	if err := env.Service.ExportRuns(ctx, autocred.RunFilter{AutomationID: is.automation.ID}, "", &out); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("export: %d rows, %v", len(rows), err)
	}
	if rows[1][4] != "Line Break" || rows[1][5] != "Tab Bed" {
		t.Errorf("the CSV's first_name and last_name are %q and %q, want %q and %q", rows[1][4], rows[1][5], "Line Break", "Tab Bed")
	}
}
