package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/accounts"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
	"github.com/autocred/autocred/store/storetest"
)

// TestPlaceInLineReadsOnce checks what taking a new issue job's place in
// its workspace's line costs the database: the run, its automation and
// the automation's Certifier connection in one query, as the job reads
// them again under its lease, not one query each. Every new issue job takes a place when Certifier is paced (the
// default), so a query more here is a query more per credential.
func TestPlaceInLineReadsOnce(t *testing.T) {
	ctx := context.Background()
	env := testenv.New(t, testenv.Options{Stopped: true, Clients: func(cc *accounts.Config) { cc.CertifierPerSecond = 1000 }})
	st := env.Store
	a := unreachableAutomation(t, env)
	run := autocred.Run{AutomationID: a.ID, ContactID: 42, Entry: 1, Email: "ana@example.com",
		Contact: autocred.Contact{ID: 42, Email: "ana@example.com", FirstName: "Ana"}}
	if err := storetest.InsertRun(ctx, st, &run); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	job := &river.Job[engine.IssueArgs]{JobRow: &rivertype.JobRow{CreatedAt: now, ScheduledAt: now}, Args: engine.IssueArgs{RunID: run.ID}}
	// The first place also opens the workspace's client (its connection
	// and key, read once and kept): what every later job costs is the
	// second's.
	env.Engine.PlaceInLine(ctx, job)
	before := st.StatementCounts()
	env.Engine.PlaceInLine(ctx, job)
	if got := st.StatementCounts().Statements - before.Statements; got != 1 {
		t.Errorf("taking a new issue job's place in line ran %d statements; want 1 (the run, its automation and its Certifier connection read together)", got)
	}
}

// A contact entering alone while a batch of its own account is being
// issued (an import of a few hundred, here, of 10,000 in the agency
// benchmark) gets its credential in moments, not after the batch: its
// issue job goes ahead of the places the batch's jobs took in the
// workspace's line. It used to take the line's last place, behind the
// whole batch; an entry found by the same read as an import, on its later
// page, waited the 20 minutes of the import.
func TestSingleEntryGoesAheadOfItsWorkspacesBatch(t *testing.T) {
	forEachDB(t, func(t *testing.T, kind string) {
		const batch = 300 // 37 s at 8 a second
		h := newHarness(t, testenv.Options{Database: kind, Certifier: simcert.Options{RatePerSecond: 10},
			Clients: func(cc *accounts.Config) { cc.CertifierPerSecond = 8 }})
		in := make([]simac.ContactInput, batch)
		for i := range in {
			in[i] = simac.ContactInput{Email: fmt.Sprintf("imported%d@example.com", i), FirstName: "Imported"}
		}
		imported := h.importContacts(in...)
		single := h.importContacts(simac.ContactInput{Email: "ana@example.com", FirstName: "Ana"})
		h.automation(h.segment("Imported", "Imported"), nil)
		h.automation(h.segment("Completed", "Completed"), nil)

		h.tag("Imported", imported...)
		h.waitFor("the batch's first credentials", func() bool { return len(h.cert.Credentials(testenv.CertWorkspace)) >= 20 })
		entered := time.Now()
		h.tag("Completed", single...)
		h.waitFor("Ana's credential", func() bool { return h.credentialsFor("ana@example.com") == 1 })
		var took time.Duration
		issued := 0
		for _, c := range h.cert.Credentials(testenv.CertWorkspace) {
			if c.Recipient.Email == "ana@example.com" {
				took = c.CreatedAt.Sub(entered)
			} else {
				issued++
			}
		}
		t.Logf("Ana's credential came %s after she entered, with %d of the batch's %d issued", took.Round(time.Millisecond), issued, batch)
		if took > 5*time.Second {
			t.Errorf("Ana waited %s for her credential behind a batch of her own workspace (%d of %d issued by then); want under 5 s",
				took.Round(time.Millisecond), issued, batch)
		}
		if issued >= batch {
			t.Errorf("the batch was over (%d of %d) before Ana's credential came: the test proves nothing", issued, batch)
		}
	})
}
