package store

import (
	"context"
	"testing"

	"github.com/autocred/autocred"
)

// A run's error code is saved with its error, filters the runs list, and
// is cleared with the error by a retry.
func TestRunErrorCodes(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		runs := []autocred.Run{
			{Status: autocred.RunSkipped, ErrorCode: autocred.RunCodeInvalidEmail, LastError: "Skipped: no email."},
			{Status: autocred.RunFailed, ErrorCode: autocred.RunCodeCertifierValidation, LastError: "Certifier refused the credential: expiryDate."},
			{Status: autocred.RunFailed, ErrorCode: autocred.RunCodeCertifierValidation, LastError: "Certifier refused the credential: name."},
			{Status: autocred.RunPending, ErrorCode: autocred.RunCodeWaitingOutage, LastError: "Certifier is failing."},
			{Status: autocred.RunIssued},
		}
		storeRuns(t, db, a.ID, runs)
		got, err := db.Run(ctx, runs[0].ID)
		if err != nil || got.ErrorCode != autocred.RunCodeInvalidEmail || got.LastError != "Skipped: no email." {
			t.Errorf("read back: %q %q, %v", got.ErrorCode, got.LastError, err)
		}
		for code, want := range map[autocred.RunErrorCode]int{
			"": 5, autocred.RunCodeCertifierValidation: 2, autocred.RunCodeWaitingOutage: 1, autocred.RunCodeGaveUp: 0,
		} {
			if page, _, err := db.Runs(ctx, autocred.RunFilter{AutomationID: a.ID, ErrorCode: code}); err != nil || len(page) != want {
				t.Errorf("error code %q: %d runs, want %d (%v)", code, len(page), want, err)
			}
		}
		page, _, _ := db.Runs(ctx, autocred.RunFilter{AutomationID: a.ID, Status: autocred.RunPending, ErrorCode: autocred.RunCodeCertifierValidation})
		if len(page) != 0 {
			t.Errorf("status and code filter: %d runs, want 0", len(page))
		}

		withJobs(t, db)
		if err := db.RetryRun(ctx, runs[1].ID, ""); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Run(ctx, runs[1].ID); got.ErrorCode != "" || got.LastError != "" {
			t.Errorf("after retry: code %q, error %q", got.ErrorCode, got.LastError)
		}
	})
}

// A database from before migration 0016 gives the runs that had ended the
// code their message says, so that filtering by code finds them too.
func TestUpgradeGivesEndedRunsTheirCodes(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		a := fixture(t, db)
		ctx := context.Background()
		tests := []struct {
			status autocred.RunStatus
			msg    string
			want   autocred.RunErrorCode
		}{
			{autocred.RunSkipped, "Skipped: the contact was deleted from ActiveCampaign before its credential was issued.", autocred.RunCodeContactDeleted},
			{autocred.RunSkipped, "Skipped: the recipient name mapping gives an empty name for this contact. Fill the contact's name in ActiveCampaign, or change the mapping, then retry this run.", autocred.RunCodeNoRecipientName},
			{autocred.RunSkipped, "Skipped: the email \"ann@\" has no domain. Fix the contact's email in ActiveCampaign, then retry this run.", autocred.RunCodeInvalidEmail},
			{autocred.RunFailed, "The automation's mapping is invalid: unknown token. Edit the automation, then retry this run.", autocred.RunCodeInvalidMapping},
			{autocred.RunFailed, "The expiry date mapping gives \"soon\" for this contact, and Certifier takes only YYYY-MM-DD dates. Fix the contact's field or the mapping, then retry this run.", autocred.RunCodeInvalidDate},
			{autocred.RunFailed, "Certifier refused the credential: expiryDate must be after issueDate. Fix the mapping or the contact's data, then retry this run.", autocred.RunCodeCertifierValidation},
			{autocred.RunFailed, "Certifier does not know the credential or its group any more (not found). Check the automation's group, then retry this run.", autocred.RunCodeCertifierNotFound},
			{autocred.RunFailed, "Could not confirm with Certifier whether the credential was created: its search kept failing (timeout).", autocred.RunCodeUnconfirmed},
			{autocred.RunFailed, "Reading the contact was refused for hours. Grant it. Once it is granted, retry this run.", autocred.RunCodePermissionDenied},
			{autocred.RunFailed, "Gave up after 25 attempts over several hours: 503. Retry this run when the service is back.", autocred.RunCodeGaveUp},
			{autocred.RunFailed, "Something no engine wrote.", autocred.RunCodeNone},
			{autocred.RunPending, "Still waiting to confirm with Certifier whether the credential was created: the search for it failed (timeout).", autocred.RunCodeUnconfirmed},
			{autocred.RunPending, "Certifier answered 503.", autocred.RunCodeNone},
			{autocred.RunIssued, "", autocred.RunCodeNone},
		}
		ids := make([]int64, len(tests))
		for i, tc := range tests {
			r := autocred.Run{AutomationID: a.ID, ContactID: autocred.ContactID(i + 1), Entry: 1}
			if err := db.insertRunsAsGiven(ctx, []*autocred.Run{&r}); err != nil {
				t.Fatal(err)
			}
			r.Status, r.LastError = tc.status, tc.msg
			if err := db.SaveRun(ctx, &r); err != nil {
				t.Fatal(err)
			}
			ids[i] = r.ID
		}
		// Back to the schema before 0016, then up again.
		for _, q := range []string{`DROP INDEX runs_by_error_code`, `ALTER TABLE runs DROP COLUMN error_code`, `DELETE FROM schema_migrations WHERE version = 16`} {
			if _, err := db.sql.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for i, tc := range tests {
			if got, err := db.Run(ctx, ids[i]); err != nil || got.ErrorCode != tc.want {
				t.Errorf("%s %q: code %q, want %q (%v)", tc.status, tc.msg, got.ErrorCode, tc.want, err)
			}
		}
	})
}

// storeRuns stores runs of an automation as given (status, code, message),
// one contact each, and sets their ids.
func storeRuns(t *testing.T, db *DB, automationID int64, runs []autocred.Run) {
	t.Helper()
	ctx := context.Background()
	for i := range runs {
		r := &runs[i]
		r.AutomationID, r.ContactID, r.Entry = automationID, autocred.ContactID(i+1), 1
		status, code, msg := r.Status, r.ErrorCode, r.LastError
		if err := db.insertRunsAsGiven(ctx, []*autocred.Run{r}); err != nil {
			t.Fatal(err)
		}
		r.Status, r.ErrorCode, r.LastError = status, code, msg
		if err := db.SaveRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
}
