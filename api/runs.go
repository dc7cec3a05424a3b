package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/download"
)

// maxContactFilter bounds the contact filter; an email is at most 254.
const maxContactFilter = 254

func (h *handler) listRuns(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := runFilter(r.URL.Query())
	if err != nil {
		return err
	}
	f.AutomationID = id
	runs, next, err := h.svc.Runs(r.Context(), f)
	if err != nil {
		return err
	}
	resp := struct {
		Runs []autocred.Run `json:"runs"`
		// NextCursor is null on the last page.
		NextCursor *string `json:"next_cursor"`
	}{Runs: nonNil(runs)}
	if next > 0 {
		cursor := strconv.FormatInt(next, 10)
		resp.NextCursor = &cursor
	}
	return writeJSON(w, http.StatusOK, resp)
}

// runFilter reads the query of a runs listing.
func runFilter(q url.Values) (autocred.RunFilter, error) {
	var f autocred.RunFilter
	for name, vs := range q {
		for _, v := range vs {
			if err := autocred.CheckStorable(v); err != nil {
				return f, autocred.FieldErrorf(name, "%s", err)
			}
		}
	}
	if s := q.Get("status"); s != "" {
		f.Status = autocred.RunStatus(s)
		if !f.Status.Valid() {
			names := make([]string, len(autocred.RunStatuses))
			for i, st := range autocred.RunStatuses {
				names[i] = string(st)
			}
			return f, autocred.FieldErrorf("status", "%q is not a run status; use one of %s", s, strings.Join(names, ", "))
		}
	}
	if s := q.Get("error_code"); s != "" {
		f.ErrorCode = autocred.RunErrorCode(s)
		if !f.ErrorCode.Valid() {
			names := make([]string, len(autocred.RunErrorCodes))
			for i, c := range autocred.RunErrorCodes {
				names[i] = string(c)
			}
			return f, autocred.FieldErrorf("error_code", "%q is not a run error code; use one of %s", s, strings.Join(names, ", "))
		}
	}
	f.Contact = strings.TrimSpace(q.Get("contact"))
	if len(f.Contact) > maxContactFilter {
		return f, autocred.FieldErrorf("contact", "is longer than %d characters; give a contact id or part of an email", maxContactFilter)
	}
	if s := q.Get("cursor"); s != "" {
		after, err := strconv.ParseInt(s, 10, 64)
		if err != nil || after <= 0 {
			return f, autocred.FieldErrorf("cursor", "%q is not a cursor; pass the next_cursor of the previous page", s)
		}
		f.After = after
	}
	if s := q.Get("limit"); s != "" {
		limit, err := strconv.Atoi(s)
		if err != nil || limit < 1 || limit > 500 {
			return f, autocred.FieldErrorf("limit", "%q is not a limit; use a number from 1 to 500", s)
		}
		f.Limit = limit
	}
	return f, nil
}

func (h *handler) getRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	run, err := h.svc.Run(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, run)
}

func (h *handler) retryRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	run, err := h.svc.RetryRun(r.Context(), id, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, run)
}

// resendEmail sends the email of a run's credential again, once: a repeat
// within a few minutes is refused with 409 (service.ResendEmail).
func (h *handler) resendEmail(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	run, err := h.svc.ResendEmail(r.Context(), id, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, run)
}

// exportRuns streams the runs a listing's filter selects as CSV: all of
// them, newest first, never more than a page in memory.
func (h *handler) exportRuns(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := runFilter(r.URL.Query())
	if err != nil {
		return err
	}
	f.AutomationID = id
	out := &download.Attachment{W: w, Filename: fmt.Sprintf("automation-%d-runs.csv", id), ContentType: "text/csv; charset=utf-8"}
	err = h.svc.ExportRuns(r.Context(), f, out)
	if err != nil && out.Started() {
		// The status is sent: the client sees a cut-off file.
		h.log.Error("exporting runs", "automation", id, "err", err)
		return nil
	}
	return err
}
