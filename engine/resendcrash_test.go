package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/store/storetest"
)

// kill -9 during Resend email to all. A tester saw runs whose log ended on
// "Resend of the email requested by …: sending the email to …" for good,
// the bulk resend not go on after the restart, a single resend then refused
// with "The email was resent less than a minute ago" (Certifier's outbox
// held no resend), and the next Resend email to all send one recipient a
// third email. Each run's job, rescued from the dead process, must go on:
// a resend that was never asked for is sent; one whose request was
// written, and nothing after it, may have gone out, which the log says,
// and it is not sent again by the bulk resend; a resend of unknown outcome
// is never called done.
func TestResendInterruptedByACrash(t *testing.T) {
	forEachDB(t, testResendInterruptedByACrash)
}

func testResendInterruptedByACrash(t *testing.T, kind string) {
	h := newHarness(t, testenv.Options{Database: kind})
	ctx := context.Background()
	a := h.automation(h.segment("Done", "Done"), nil)
	cert, err := certifier.New(certifier.Config{URL: h.env.CertifierURL, Token: testenv.CertifierToken})
	if err != nil {
		t.Fatal(err)
	}
	const by = `API token "t"`
	const bulk = by + " (Resend email to all)"
	contact := autocred.ContactID(0)
	unconfirmed := func(email string) autocred.Run {
		t.Helper()
		cred, err := cert.CreateIssueSend(ctx, certifier.NewCredential{GroupID: h.group.ID,
			Recipient: certifier.Recipient{Name: "Someone", Email: email}, IssueDate: "2026-03-01"})
		if err != nil {
			t.Fatal(err)
		}
		contact++
		run := autocred.Run{AutomationID: a.ID, ContactID: contact, Entry: 1, Email: email, Status: autocred.RunSendUnconfirmed, CredentialID: cred.ID,
			Contact: autocred.Contact{ID: contact, Email: email}}
		if err := storetest.InsertRun(ctx, h.store, &run); err != nil {
			t.Fatal(err)
		}
		run.CredentialID = cred.ID // InsertRun leaves it out: saved as the engine saves it
		if err := h.engine.Finish(ctx, &run, autocred.RunSendUnconfirmed, autocred.RunCodeNone, ""); err != nil {
			t.Fatal(err)
		}
		return run
	}
	sent := func(email string) int {
		n := 0
		for _, m := range h.cert.Outbox(testenv.CertWorkspace) {
			if m.To == email {
				n++
			}
		}
		return n
	}
	log := func(run autocred.Run) string {
		events, err := h.store.RunEvents(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, ev := range events {
			lines = append(lines, ev.Message)
		}
		return strings.Join(lines, "\n")
	}

	// Asked for before the crash, 10 minutes ago (the window is past),
	// and nothing after: it may have gone out.
	cut := unconfirmed("cut@example.com")
	asked := []autocred.RunEvent{{At: time.Now().Add(-10 * time.Minute), Message: "Resend of the email requested by " + bulk + ": sending the email to cut@example.com."}}
	if err := h.store.AddRunEvents(ctx, cut.ID, asked); err != nil {
		t.Fatal(err)
	}
	// Not yet asked for when the process died.
	waiting := unconfirmed("waiting@example.com")

	for _, run := range []autocred.Run{cut, waiting} {
		if err := h.engine.ResendJob(ctx, run.ID, by, 2); err != nil {
			t.Fatalf("resend job of run %d: %v", run.ID, err)
		}
	}
	if n := sent("cut@example.com"); n != 1 {
		t.Errorf("the interrupted resend was sent again by the rescued job: %d emails, want the original only", n)
	}
	if l := log(cut); !strings.Contains(l, "was interrupted before Certifier answered (autocred stopped during it), so the email may have gone out") ||
		!strings.Contains(l, "Resend email to all does not send it again") || !strings.Contains(l, "use Resend email on this run") {
		t.Errorf("the interrupted run's log:\n%s\nwant it to say the email may have gone out, that the bulk resend left it out, and how to resend", l)
	}
	if r, _ := h.store.Run(ctx, cut.ID); r.Status != autocred.RunSendUnconfirmed || r.ErrorCode != autocred.RunCodeResendUnconfirmed {
		t.Errorf("the interrupted run is %s (code %q), want still send_unconfirmed, with code resend_unconfirmed (Resend email to all leaves it out)", r.Status, r.ErrorCode)
	}
	if n := sent("waiting@example.com"); n != 2 {
		t.Errorf("the resend not yet asked for: %d emails, want it sent (2)", n)
	}
	if r, _ := h.store.Run(ctx, waiting.ID); r.Status != autocred.RunIssued {
		t.Errorf("the run resent after the restart is %s, want issued", r.Status)
	}

	// Within the window, a resend of unknown outcome is not called done.
	recent := unconfirmed("recent@example.com")
	if err := h.store.AddRunEvent(ctx, recent.ID, "Resend of the email requested by "+bulk+": sending the email to recent@example.com."); err != nil {
		t.Fatal(err)
	}
	err = h.engine.ResendEmail(ctx, recent.ID, "ana@example.com")
	if msg := autocred.ErrorMessage(err); err == nil || strings.Contains(msg, "was resent") || !strings.Contains(msg, "may have gone out") {
		t.Errorf("a resend within the window of one of unknown outcome: %q; want it refused, saying it may have gone out", msg)
	}
	if l := log(recent); !strings.Contains(l, "was interrupted before Certifier answered") {
		t.Errorf("the log after a resend asked for and never answered:\n%s\nwant it to say so", l)
	}
	// A single resend (the page's, the API's: no job) cut by the crash:
	// a little after the start, its log says so; one under way (its
	// lease held) is left alone.
	single, busy := unconfirmed("single@example.com"), unconfirmed("busy@example.com")
	for _, run := range []autocred.Run{single, busy} {
		if err := h.store.AddRunEvent(ctx, run.ID, "Resend of the email requested by ana@example.com: sending the email to "+run.Email+"."); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.engine.WithLease(ctx, fmt.Sprintf("run:%d", busy.ID), func(ctx context.Context) error {
		return h.engine.NoteInterruptedResends(ctx)
	}); err != nil {
		t.Fatal(err)
	}
	if l := log(single); !strings.HasSuffix(l, "The resend requested by ana@example.com was interrupted before Certifier answered (autocred stopped during it), so the email may have gone out.") {
		t.Errorf("the log of a single resend cut by a crash, after the start:\n%s\nwant it to end saying so", l)
	}
	if l := log(busy); strings.Contains(l, "interrupted") {
		t.Errorf("a resend under way was called interrupted:\n%s", l)
	}
	if r, _ := h.store.Run(ctx, single.ID); r.ErrorCode != autocred.RunCodeResendUnconfirmed {
		t.Errorf("a single resend cut by a crash leaves the run with code %q, want resend_unconfirmed", r.ErrorCode)
	}
	if r, _ := h.store.Run(ctx, busy.ID); r.ErrorCode != autocred.RunCodeNone {
		t.Errorf("a resend under way gave the run code %q, want none", r.ErrorCode)
	}
	// The recipient of the cut resend says nothing came: a resend from
	// its run (the window is past) sends it, and the run is issued, its
	// code gone.
	if err := h.engine.ResendEmail(ctx, cut.ID, "ana@example.com"); err != nil {
		t.Fatalf("resending the cut run by hand: %v", err)
	}
	if r, _ := h.store.Run(ctx, cut.ID); r.Status != autocred.RunIssued || r.ErrorCode != autocred.RunCodeNone || r.LastError != "" {
		t.Errorf("after a resend by hand, the run is %s, code %q, error %q; want issued, without code or error", r.Status, r.ErrorCode, r.LastError)
	}
	if n := sent("cut@example.com"); n != 2 {
		t.Errorf("the resend by hand: %d emails, want 2", n)
	}
	if engine.ResendMaxAttempts < 2 {
		t.Errorf("a resend job may run %d time(s): River discards the job of a process that died instead of running it again", engine.ResendMaxAttempts)
	}
}
