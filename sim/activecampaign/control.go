package activecampaign

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

const (
	maxControlBody = 1 << 20
	maxImportBody  = 256 << 20 // about a million contacts of JSON
)

// controlRoutes registers the sandbox-only API under /_sandbox. It is not
// gated and needs no key: tests drive the sandbox through it even while
// the API is rate-limited or failing.
func (s *Server) controlRoutes() {
	s.gate.RegisterControl(s.mux, "/_sandbox")
	s.mux.HandleFunc("POST /_sandbox/accounts", s.ctlAddAccount)
	s.mux.HandleFunc("GET /_sandbox/accounts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"accounts": s.Accounts()})
	})
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/import", s.ctlImport)
	s.mux.HandleFunc("GET /_sandbox/accounts/{account}/segments", s.ctlListSegments)
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/segments", s.ctlDefineSegment)
	s.mux.HandleFunc("PUT /_sandbox/accounts/{account}/segments/{id}", s.ctlUpdateSegment)
	s.mux.HandleFunc("GET /_sandbox/accounts/{account}/segments/{id}/members", s.ctlMembers)
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/bulk-tag", s.ctlBulkTag)
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/match-runs/fail-next", s.ctlFailNext)
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/match-runs/expire", s.ctlExpire)
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/match-runs/short", s.ctlShort)
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/seed", s.ctlSeed)
	s.mux.HandleFunc("PUT /_sandbox/accounts/{account}/legacy-segment-reading", ctlApply(s, s.SetLegacyReading))
	s.mux.HandleFunc("PUT /_sandbox/accounts/{account}/segment-match", ctlApply(s, s.SetSegmentMatch))
	s.mux.HandleFunc("PUT /_sandbox/accounts/{account}/field-value-filter", ctlApply(s, s.SetFieldValueFilter))
	s.accessRoutes()
	s.edgeControlRoutes()
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/webhooks/{id}/disable", s.ctlDisableWebhook)
	s.mux.HandleFunc("GET /_sandbox/accounts/{account}/throttle", s.ctlGetThrottle)
	s.mux.HandleFunc("PUT /_sandbox/accounts/{account}/throttle", s.ctlThrottle)
	s.mux.HandleFunc("GET /_sandbox/webhook-deliveries", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Deliveries())
	})
	s.mux.HandleFunc("POST /_sandbox/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
}

// ctlApply is a control route that reads its body into In and applies it to
// the account the path names: 204 when set accepts it; 400 with the body's
// or set's error; 404 for an unknown account.
func ctlApply[In any](s *Server, set func(account string, in In) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, ok := s.ctlAccount(w, r)
		if !ok {
			return
		}
		var in In
		if !decodeControl(w, r, maxControlBody, &in) {
			return
		}
		if err := set(name, in); err != nil {
			ctlError(w, http.StatusBadRequest, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func ctlError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// decodeControl reads a control body strictly: unknown fields, trailing
// data and oversized bodies are 400s with a message that says which.
func decodeControl(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			err = fmt.Errorf("body larger than %d bytes", limit)
		case errors.Is(err, io.EOF):
			err = errors.New("body is empty; a JSON object is required")
		}
		ctlError(w, http.StatusBadRequest, fmt.Errorf("invalid JSON body: %w", err))
		return false
	}
	return true
}

// ctlAccount resolves {account}, answering 404 when it does not exist.
func (s *Server) ctlAccount(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("account")
	if s.account(name) == nil {
		ctlError(w, http.StatusNotFound, fmt.Errorf("no account %q in this sandbox", name))
		return "", false
	}
	return name, true
}

func (s *Server) ctlAddAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name   string `json:"name"`
		APIKey string `json:"api_key"`
	}
	if !decodeControl(w, r, maxControlBody, &in) {
		return
	}
	if err := s.AddAccount(in.Name, in.APIKey); err != nil {
		status := http.StatusBadRequest
		if s.account(in.Name) != nil {
			status = http.StatusConflict
		}
		ctlError(w, status, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"name": in.Name, "api_url": "http://" + r.Host + "/" + in.Name})
}

func (s *Server) ctlImport(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	var in struct {
		Contacts []ContactInput `json:"contacts"`
	}
	if !decodeControl(w, r, maxImportBody, &in) {
		return
	}
	ids, err := s.Import(name, in.Contacts)
	if err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ids": ids})
}

func (s *Server) ctlListSegments(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	segs, _ := s.Segments(name)
	writeJSON(w, http.StatusOK, map[string]any{"segments": segs})
}

func (s *Server) ctlDefineSegment(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	var def SegmentDef
	if !decodeControl(w, r, maxControlBody, &def) {
		return
	}
	seg, err := s.DefineSegment(name, def)
	if err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusCreated, seg)
}

func (s *Server) ctlUpdateSegment(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	var def SegmentDef
	if !decodeControl(w, r, maxControlBody, &def) {
		return
	}
	id := r.PathValue("id")
	if s.account(name).segmentRef(id) == nil {
		ctlError(w, http.StatusNotFound, fmt.Errorf("account %s has no segment %q", name, id))
		return
	}
	if err := s.UpdateSegment(name, id, def); err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	seg, _ := s.Segment(name, id)
	writeJSON(w, http.StatusOK, seg)
}

func (s *Server) ctlMembers(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	ids, err := s.Members(name, r.PathValue("id"))
	if err != nil {
		ctlError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"segment_id": r.PathValue("id"), "count": len(ids), "ids": ids})
}

func (s *Server) ctlBulkTag(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	var in struct {
		ContactIDs []int64 `json:"contact_ids"`
		Tag        string  `json:"tag"`
		Remove     bool    `json:"remove"`
	}
	if !decodeControl(w, r, maxImportBody, &in) {
		return
	}
	if err := s.BulkTag(name, in.ContactIDs, in.Tag, in.Remove); err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ctlFailNext is POST /_sandbox/accounts/{a}/match-runs/fail-next with
// {"count":2}.
func (s *Server) ctlFailNext(w http.ResponseWriter, r *http.Request) {
	ctlApply(s, func(name string, in struct {
		Count *int `json:"count"`
	}) error {
		if in.Count == nil || *in.Count < 0 {
			return errors.New("count is required: the number of upcoming match runs that fail (0 or more)")
		}
		return s.FailNextMatchRuns(name, *in.Count)
	})(w, r)
}

// ctlDisableWebhook turns a webhook off silently (see DisableWebhook). No
// body; 204, or 404 when the account or the webhook does not exist.
func (s *Server) ctlDisableWebhook(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		ctlError(w, http.StatusBadRequest, fmt.Errorf("webhook id %q is not a positive number", r.PathValue("id")))
		return
	}
	if err := s.DisableWebhook(name, id); err != nil {
		ctlError(w, http.StatusNotFound, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ctlShort is POST /_sandbox/accounts/{a}/match-runs/short with
// {"runs":3,"keep":0}.
func (s *Server) ctlShort(w http.ResponseWriter, r *http.Request) {
	ctlApply(s, func(name string, in struct {
		Runs *int    `json:"runs"`
		Keep float64 `json:"keep"`
	}) error {
		if in.Runs == nil || *in.Runs < 0 {
			return errors.New("runs is required: the number of upcoming segment reads that answer short (0 ends it)")
		}
		return s.ShortenNextMatchRuns(name, *in.Runs, in.Keep)
	})(w, r)
}

func (s *Server) ctlExpire(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	_ = s.ExpireMatchRuns(name)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) ctlSeed(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	var in struct {
		Contacts *int `json:"contacts"`
	}
	if !decodeControl(w, r, maxControlBody, &in) {
		return
	}
	if in.Contacts == nil || *in.Contacts < 0 || *in.Contacts > maxSampleContacts {
		ctlError(w, http.StatusBadRequest, fmt.Errorf("contacts is required: how many sample contacts to add (0 to %d)", maxSampleContacts))
		return
	}
	sample, err := s.SeedSample(name, *in.Contacts)
	if err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusCreated, sample)
}

// throttleBody is the body of /_sandbox/accounts/{a}/throttle.
type throttleBody struct {
	RetryAfterSeconds *int `json:"retry_after_seconds,omitempty"`
	ForSeconds        *int `json:"for_seconds"`
}

func (s *Server) ctlThrottle(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	var in throttleBody
	if !decodeControl(w, r, maxControlBody, &in) {
		return
	}
	if in.ForSeconds == nil || *in.ForSeconds < 0 {
		ctlError(w, http.StatusBadRequest, errors.New("for_seconds is required: how long every request of the account is answered 429 (0 ends the throttle)"))
		return
	}
	retryAfter := s.opts.ThrottleRetryAfter
	if in.RetryAfterSeconds != nil {
		retryAfter = time.Duration(*in.RetryAfterSeconds) * time.Second
	}
	if err := s.Throttle(name, retryAfter, time.Duration(*in.ForSeconds)*time.Second); err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	s.ctlGetThrottle(w, r)
}

func (s *Server) ctlGetThrottle(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	t := s.gate.Throttling(name)
	ra, left := int(t.RetryAfter/time.Second), int((t.For+time.Second-1)/time.Second)
	writeJSON(w, http.StatusOK, throttleBody{RetryAfterSeconds: &ra, ForSeconds: &left})
}
