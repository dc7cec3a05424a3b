package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/download"
	"github.com/autocred/autocred/service"
)

// maxContactFilter bounds the contact filter; an email is at most 254.
const maxContactFilter = 254

func (h *handler) listRuns(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return h.answerRuns(w, r, id)
}

// listAllRuns lists the runs of every automation, as listRuns lists an
// automation's: the search for a person across automations.
func (h *handler) listAllRuns(w http.ResponseWriter, r *http.Request) error {
	return h.answerRuns(w, r, 0)
}

// answerRuns answers with the page of runs the query's filter selects,
// of an automation, or of every automation when automationID is 0.
func (h *handler) answerRuns(w http.ResponseWriter, r *http.Request, automationID int64) error {
	f, zone, err := runFilter(r.URL.Query())
	if err != nil {
		return err
	}
	f.AutomationID = automationID
	runs, next, err := h.svc.Runs(r.Context(), f)
	if err != nil {
		return err
	}
	total, err := h.svc.CountRuns(r.Context(), f)
	if err != nil {
		return err
	}
	owners, err := h.svc.RunOwners(r.Context())
	if err != nil {
		return err
	}
	resp := struct {
		Runs []runBody `json:"runs"`
		// Total counts the runs the filter matches on every page.
		Total int `json:"total"`
		// NextCursor is null on the last page.
		NextCursor *string `json:"next_cursor"`
		// EnteredZone is the IANA zone entered_from and entered_to were
		// read in, when the query has either: tz, or "UTC" without it,
		// said so that a script's days are not silently another zone's.
		EnteredZone string `json:"entered_zone,omitempty"`
		// Note says why a search matches nothing when no run can match
		// it: contact holds no letter, digit or email ("😀").
		Note string `json:"note,omitempty"`
	}{Runs: make([]runBody, len(runs)), Total: total, EnteredZone: zone}
	if f.SearchesNothing() {
		resp.Note = searchesNothing
	}
	for i, run := range runs {
		resp.Runs[i] = newRunBody(run, owners[run.AutomationID])
	}
	if next > 0 {
		cursor := strconv.FormatInt(next, 10)
		resp.NextCursor = &cursor
	}
	return writeJSON(w, http.StatusOK, resp)
}

// runBody is a run as the API gives it: with the name of its
// automation, the contact's names as the run read them (cleaned as the
// recipient name sent to Certifier is, autocred.Run.Name; "contact" keeps
// them as read), and the address
// of the contact's page in ActiveCampaign where it is known for sure
// (service.ContactPages).
type runBody struct {
	autocred.Run
	AutomationName string `json:"automation_name"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	ContactURL     string `json:"contact_url,omitempty"`
}

func newRunBody(r autocred.Run, owner service.RunOwner) runBody {
	return runBody{Run: r, AutomationName: owner.Name, FirstName: r.FirstName(), LastName: r.LastName(), ContactURL: owner.Pages.URL(r.ContactID)}
}

// runDetailBody is a run with its log, as runBody gives a run.
type runDetailBody struct {
	service.RunView
	AutomationName string `json:"automation_name"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	ContactURL     string `json:"contact_url,omitempty"`
}

// runDetail adds to a run with its log what runBody adds to a run.
func (h *handler) runDetail(ctx context.Context, v service.RunView) (runDetailBody, error) {
	owners, err := h.svc.RunOwners(ctx)
	if err != nil {
		return runDetailBody{}, err
	}
	owner := owners[v.AutomationID]
	return runDetailBody{RunView: v, AutomationName: owner.Name, FirstName: v.FirstName(), LastName: v.LastName(),
		ContactURL: owner.Pages.URL(v.ContactID)}, nil
}

// searchesNothing is the note of a listing whose contact search has no
// word in it.
const searchesNothing = "No run matches: contact has no letter, digit or email in it. Give part of a name or an email, or a contact id."

// runFilter reads the query of a runs listing. Every mistake is said at
// once, each on its parameter, as a save says them. zone is the IANA
// name of the zone the entered_from and entered_to days are read in (tz,
// else UTC), "" when the query has neither.
func runFilter(q url.Values) (f autocred.RunFilter, zone string, err error) {
	for name, vs := range q {
		for _, v := range vs {
			if err := autocred.CheckStorable(v); err != nil {
				return f, "", autocred.FieldErrorf(name, "%s", err)
			}
		}
	}
	var errs []error
	if s := q.Get("status"); s != "" {
		f.Status = autocred.RunStatus(s)
		if !f.Status.Valid() {
			names := make([]string, len(autocred.RunStatuses))
			for i, st := range autocred.RunStatuses {
				names[i] = string(st)
			}
			errs = append(errs, autocred.FieldErrorf("status", "%q is not a run status; use one of %s", s, strings.Join(names, ", ")))
		}
	}
	if s := q.Get("error_code"); s != "" {
		f.ErrorCode = autocred.RunErrorCode(s)
		if !f.ErrorCode.Valid() {
			names := make([]string, len(autocred.RunErrorCodes))
			for i, c := range autocred.RunErrorCodes {
				names[i] = string(c)
			}
			errs = append(errs, autocred.FieldErrorf("error_code", "%q is not a run error code; use one of %s", s, strings.Join(names, ", ")))
		}
	}
	f.Contact = strings.TrimSpace(q.Get("contact"))
	if utf8.RuneCountInString(f.Contact) > maxContactFilter {
		errs = append(errs, autocred.FieldErrorf("contact", "is longer than %d characters; give a contact id, or part of a name or an email", maxContactFilter))
	}
	loc, zoneName := time.UTC, "UTC"
	if tz := q.Get("tz"); tz != "" {
		if name, l, err := autocred.LoadTimeZone("tz", tz); err != nil {
			errs = append(errs, err)
		} else {
			loc, zoneName = l, name
		}
	}
	if strings.TrimSpace(q.Get("entered_from")) != "" || strings.TrimSpace(q.Get("entered_to")) != "" {
		zone = zoneName
	}
	if f.EnteredFrom, f.EnteredBefore, err = autocred.EnteredRange(q.Get("entered_from"), q.Get("entered_to"), loc, "entered_from", "entered_to"); err != nil {
		errs = append(errs, err)
	}
	if s := q.Get("cursor"); s != "" {
		after, err := strconv.ParseInt(s, 10, 64)
		if err != nil || after <= 0 {
			errs = append(errs, autocred.FieldErrorf("cursor", "%q is not a cursor; pass the next_cursor of the previous page", s))
		}
		f.After = after
	}
	if s := q.Get("limit"); s != "" {
		limit, err := strconv.Atoi(s)
		if err != nil || limit < 1 || limit > 500 {
			errs = append(errs, autocred.FieldErrorf("limit", "%q is not a limit; use a number from 1 to 500", s))
		}
		f.Limit = limit
	}
	return f, zone, autocred.JoinErrors(errs...)
}

func (h *handler) getRun(w http.ResponseWriter, r *http.Request) error {
	return h.answerRun(w, r, http.StatusOK, func(ctx context.Context, id int64) (service.RunView, error) { return h.svc.Run(ctx, id) })
}

func (h *handler) retryRun(w http.ResponseWriter, r *http.Request) error {
	return h.answerRun(w, r, http.StatusAccepted, func(ctx context.Context, id int64) (service.RunView, error) {
		return h.svc.RetryRun(ctx, id, actor(r))
	})
}

// resendEmail sends the email of a run's credential again, once: a repeat
// within a few minutes is refused with 409 (service.ResendEmail).
func (h *handler) resendEmail(w http.ResponseWriter, r *http.Request) error {
	return h.answerRun(w, r, http.StatusOK, func(ctx context.Context, id int64) (service.RunView, error) {
		return h.svc.ResendEmail(ctx, id, actor(r))
	})
}

// answerRun does what a run's route asks with the run of the path's id,
// and answers with the run as its detail shows it (names, contact link,
// log, what was sent).
func (h *handler) answerRun(w http.ResponseWriter, r *http.Request, status int, do func(ctx context.Context, id int64) (service.RunView, error)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	run, err := do(r.Context(), id)
	if err != nil {
		return err
	}
	body, err := h.runDetail(r.Context(), run)
	if err != nil {
		return err
	}
	return writeJSON(w, status, body)
}

// exportRuns streams the runs a listing's filter selects as CSV: all of
// them, newest first, never more than a page in memory.
func (h *handler) exportRuns(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, zone, err := runFilter(r.URL.Query())
	if err != nil {
		return err
	}
	f.AutomationID = id
	if zone != "" {
		// The zone the days were read in, as the listing's entered_zone.
		w.Header().Set("X-Entered-Zone", zone)
	}
	out := &download.Attachment{W: w, Filename: fmt.Sprintf("automation-%d-runs.csv", id), ContentType: "text/csv; charset=utf-8"}
	err = h.svc.ExportRuns(r.Context(), f, r.URL.Query().Get("tz"), out)
	if err != nil && out.Started() {
		// The status is sent: only a cut connection tells the client the
		// file is incomplete.
		h.log.Error("exporting runs", "automation", id, "err", err)
		out.Abort()
	}
	return err
}
