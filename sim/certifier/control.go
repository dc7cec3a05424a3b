package certifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The control API is the sandbox's own, under /_sandbox: no version header,
// no token, no rate limit, so tests can set up workspaces and read the
// ground truth even while the Gate answers everything with 429. Its errors
// are {"error": "message"}, like the Gate's own control endpoints, so they
// are never mistaken for Certifier answers.
const controlPrefix = "/_sandbox"

// maxControlBody bounds control bodies; they hold one small object.
const maxControlBody = 64 << 10

func (s *Server) registerControl() {
	s.gate.RegisterControl(s.mux, controlPrefix)
	s.mux.HandleFunc("POST "+controlPrefix+"/workspaces", s.controlAddWorkspace)
	s.mux.HandleFunc("GET "+controlPrefix+"/workspaces", s.controlListWorkspaces)
	s.mux.HandleFunc("POST "+controlPrefix+"/workspaces/{w}/groups", s.controlAddGroup)
	s.mux.HandleFunc("POST "+controlPrefix+"/workspaces/{w}/attributes", s.controlAddAttribute)
	s.mux.HandleFunc("GET "+controlPrefix+"/workspaces/{w}/credentials", s.controlCredentials)
	s.mux.HandleFunc("GET "+controlPrefix+"/workspaces/{w}/outbox", s.controlOutbox)
	s.mux.HandleFunc("POST "+controlPrefix+"/workspaces/{w}/seed", s.controlSeed)
	s.mux.HandleFunc("GET "+controlPrefix+"/search", s.controlSearchMode)
	s.mux.HandleFunc("PUT "+controlPrefix+"/search", s.controlSetSearchMode)
	s.mux.HandleFunc("POST "+controlPrefix+"/workspaces/{w}/payment-required", s.controlPaymentRequired)
	s.mux.HandleFunc("POST "+controlPrefix+"/versions", s.controlRetiredVersions)
	s.mux.HandleFunc("POST "+controlPrefix+"/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc(controlPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		controlError(w, http.StatusNotFound, fmt.Sprintf("no sandbox endpoint %s %s", r.Method, r.URL.Path))
	})
}

func controlError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": message})
}

// decodeControl reads a control body strictly: one JSON object, known
// fields only, at most maxControlBody bytes.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, tail := dec.Token(); !errors.Is(tail, io.EOF) {
			err = errors.New("unexpected data after the JSON object")
		}
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the body is empty")
		}
		controlError(w, http.StatusBadRequest, "invalid JSON body: "+strings.TrimPrefix(err.Error(), "json: "))
		return false
	}
	return true
}

// controlWorkspace finds the {w} of the path, answering 404 when it does
// not exist.
func (s *Server) controlWorkspace(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("w")
	if _, err := s.workspace(name); err != nil {
		controlError(w, http.StatusNotFound, err.Error())
		return "", false
	}
	return name, true
}

func (s *Server) controlAddWorkspace(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name  string `json:"name"`
		Token string `json:"token"`
	}
	if !decodeControl(w, r, &body) {
		return
	}
	if err := s.AddWorkspace(body.Name, body.Token); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"name": body.Name})
}

// workspaceSummary describes a workspace without its tokens, which the
// caller already knows.
type workspaceSummary struct {
	Name        string `json:"name"`
	Tokens      int    `json:"tokens"`
	Groups      int    `json:"groups"`
	Attributes  int    `json:"attributes"`
	Credentials int    `json:"credentials"`
	Emails      int    `json:"emails"`
}

func (s *Server) controlListWorkspaces(w http.ResponseWriter, r *http.Request) {
	list := s.workspaceList()
	out := make([]workspaceSummary, len(list))
	s.mu.RLock()
	for i, ws := range list {
		out[i] = workspaceSummary{Name: ws.name, Tokens: ws.tokenCount}
	}
	s.mu.RUnlock()
	for i, ws := range list {
		ws.mu.Lock()
		out[i].Groups, out[i].Attributes = len(ws.groups), len(ws.attributes)
		out[i].Credentials, out[i].Emails = len(ws.credentials), len(ws.outbox)
		ws.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Server) controlAddGroup(w http.ResponseWriter, r *http.Request) {
	name, ok := s.controlWorkspace(w, r)
	if !ok {
		return
	}
	var in GroupInput
	if !decodeControl(w, r, &in) {
		return
	}
	g, err := s.AddGroup(name, in)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

func (s *Server) controlAddAttribute(w http.ResponseWriter, r *http.Request) {
	name, ok := s.controlWorkspace(w, r)
	if !ok {
		return
	}
	var a struct {
		Tag  string `json:"tag"`
		Name string `json:"name"`
	}
	if !decodeControl(w, r, &a) {
		return
	}
	if err := s.AddAttribute(name, a.Tag, a.Name); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, Attribute{Tag: a.Tag, Name: a.Name})
}

// controlCredentials lists every credential of a workspace in creation
// order, in the API's JSON shape.
func (s *Server) controlCredentials(w http.ResponseWriter, r *http.Request) {
	name, ok := s.controlWorkspace(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": s.Credentials(name)})
}

// controlOutbox lists the emails sent, optionally only those to ?email=
// (compared without regard to case, as mailboxes are).
func (s *Server) controlOutbox(w http.ResponseWriter, r *http.Request) {
	name, ok := s.controlWorkspace(w, r)
	if !ok {
		return
	}
	emails := s.Outbox(name)
	if to := r.URL.Query().Get("email"); to != "" {
		kept := emails[:0]
		for _, e := range emails {
			if strings.EqualFold(e.To, to) {
				kept = append(kept, e)
			}
		}
		emails = kept
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": emails})
}

func (s *Server) controlSeed(w http.ResponseWriter, r *http.Request) {
	name, ok := s.controlWorkspace(w, r)
	if !ok {
		return
	}
	sample, err := s.SeedSample(name)
	if err != nil {
		controlError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, sample)
}

// searchModeBody is the body of PUT /_sandbox/search and the answer of both
// search-mode routes: {"strict": true} takes only the search fields,
// operators and sort property Certifier documents; false adds the
// sandbox's extras (see SearchMode).
type searchModeBody struct {
	Strict *bool `json:"strict"`
}

func (s *Server) controlSearchMode(w http.ResponseWriter, r *http.Request) {
	strict := s.StrictSearch()
	writeJSON(w, http.StatusOK, searchModeBody{Strict: &strict})
}

func (s *Server) controlSetSearchMode(w http.ResponseWriter, r *http.Request) {
	var body searchModeBody
	if !decodeControl(w, r, &body) {
		return
	}
	if body.Strict == nil {
		controlError(w, http.StatusBadRequest, `strict is required: {"strict": true} for only what Certifier documents, false for the sandbox's extras`)
		return
	}
	s.SetStrictSearch(*body.Strict)
	s.controlSearchMode(w, r)
}
