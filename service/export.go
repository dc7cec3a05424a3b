package service

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autocred/autocred"
)

// runsCSVHeader names the columns of ExportRuns, in order.
var runsCSVHeader = []string{"run_id", "entered_at", "contact_id", "entry", "first_name", "last_name", "email",
	"status", "credential_id", "public_link", "attempts", "error_code", "error", "updated_at"}

// exportPage is how many runs ExportRuns reads at a time: the export holds
// one page in memory however many runs it writes.
const exportPage = 500

// ExportRuns writes the runs f selects (f.After and f.Limit are ignored) to
// w as CSV (RFC 4180), newest first, one page at a time, so that an
// automation's whole history streams out in constant memory. Times are
// ISO 8601 (RFC 3339, with their offset) in the time zone tz, an IANA name
// (the UI gives the browser's, so that the file's times are those the
// page shows); UTC when tz is empty. A zone given is named in the headers
// of the time columns ("entered_at (Europe/Paris)"); without one they keep
// their plain names, and the times end in Z. A cell that a spreadsheet would read as a formula (it
// starts with =, +, -, @, a tab or a carriage return: contact names come
// from outside) is written with a leading apostrophe, as OWASP's advice on
// CSV injection has it. An error after the first page has been written
// leaves w with the rows written so far; so does a history deleted during
// the export, which is an error too.
func (s *Service) ExportRuns(ctx context.Context, f autocred.RunFilter, tz string, w io.Writer) error {
	header, loc := runsCSVHeader, time.UTC
	if strings.TrimSpace(tz) != "" {
		name, l, err := autocred.LoadTimeZone("tz", tz)
		if err != nil {
			return err
		}
		header, loc = zonedHeader(name), l
	}
	before, err := s.store.Automation(ctx, f.AutomationID)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	f.After, f.Limit = 0, exportPage
	for {
		runs, next, err := s.store.Runs(ctx, f)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if err := cw.Write(runRecord(r, loc)); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if next == 0 {
			return historyKept(ctx, s, before)
		}
		if fl, ok := w.(interface{ Flush() }); ok {
			fl.Flush() // the client sees progress on a long export
		}
		f.After = next
	}
}

// historyKept says whether the runs an export read are the whole history:
// pages are read one after another, so a history deleted meanwhile (or the
// automation deleted for good) cuts the export short without an error of
// its own.
func historyKept(ctx context.Context, s *Service, before autocred.Automation) error {
	after, err := s.store.Automation(ctx, before.ID)
	if err != nil {
		return fmt.Errorf("automation %d was deleted during the export: the file is incomplete", before.ID)
	}
	if !after.HistoryDeleted.At.Equal(before.HistoryDeleted.At) {
		return fmt.Errorf("the history of automation %d was deleted during the export: the file is incomplete", before.ID)
	}
	return nil
}

// zonedHeader is runsCSVHeader with the zone of the times named in their
// columns' headers.
func zonedHeader(zone string) []string {
	out := slices.Clone(runsCSVHeader)
	for i, h := range out {
		if strings.HasSuffix(h, "_at") {
			out[i] = h + " (" + zone + ")"
		}
	}
	return out
}

func runRecord(r autocred.Run, loc *time.Location) []string {
	rec := []string{strconv.FormatInt(r.ID, 10), csvTime(r.CreatedAt, loc), r.ContactID.String(), strconv.Itoa(r.Entry),
		r.FirstName(), r.LastName(), r.Email, string(r.Status), r.CredentialID, r.PublicLink,
		strconv.Itoa(r.Attempts), string(r.ErrorCode), r.LastError, csvTime(r.UpdatedAt, loc)}
	for i, v := range rec {
		rec[i] = defuseFormula(v)
	}
	return rec
}

func csvTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(time.RFC3339)
}

// defuseFormula prefixes an apostrophe to a cell a spreadsheet would take
// for a formula.
func defuseFormula(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
