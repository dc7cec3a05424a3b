package api

import (
	"net/http"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
)

func (h *handler) createConnection(w http.ResponseWriter, r *http.Request) error {
	var in service.NewConnection
	if err := decode(w, r, &in, false); err != nil {
		return err
	}
	c, err := h.svc.CreateConnection(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (h *handler) listConnections(w http.ResponseWriter, r *http.Request) error {
	conns, err := h.svc.Connections(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		Connections []autocred.Connection `json:"connections"`
	}{nonNil(conns)})
}

func (h *handler) reconnectConnection(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in service.NewConnection
	if err := decode(w, r, &in, false); err != nil {
		return err
	}
	c, err := h.svc.ReconnectConnection(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// resumeAutomationsOf resumes, each with its default (catch up), the
// automations of a connection that a refused key stopped, after it was
// reconnected: 200 with which resumed and which did not, and why
// (service.ResumeAllResult); 404 for a connection that does not exist.
func (h *handler) resumeAutomationsOf(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	res, err := h.svc.ResumeStoppedBy(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (h *handler) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteConnection(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// The pickers: what an account holds, for the choices of an automation.
// Each answers with its own small shape rather than the client's types, so
// that the API does not change when a client learns a new field.

type segmentJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Legacy bool   `json:"legacy"`
	// Members is null when ActiveCampaign gives no count.
	Members *int `json:"members"`
}

func (h *handler) listSegments(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	segs, err := h.svc.Segments(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]segmentJSON, 0, len(segs))
	for _, s := range segs {
		sj := segmentJSON{ID: s.ID, Name: s.Name, Legacy: s.Legacy}
		if s.Members >= 0 {
			sj.Members = &s.Members
		}
		out = append(out, sj)
	}
	return writeJSON(w, http.StatusOK, struct {
		Segments []segmentJSON `json:"segments"`
	}{out})
}

type groupJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (h *handler) listGroups(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	groups, err := h.svc.Groups(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]groupJSON, 0, len(groups))
	for _, g := range groups {
		out = append(out, groupJSON{ID: g.ID, Name: g.Name})
	}
	return writeJSON(w, http.StatusOK, struct {
		Groups []groupJSON `json:"groups"`
	}{out})
}

type attributeJSON struct {
	Tag  string `json:"tag"`
	Name string `json:"name"`
}

func (h *handler) listAttributes(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	attrs, err := h.svc.Attributes(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]attributeJSON, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, attributeJSON{Tag: a.Tag, Name: a.Name})
	}
	return writeJSON(w, http.StatusOK, struct {
		Attributes []attributeJSON `json:"attributes"`
	}{out})
}

type fieldJSON struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Perstag string `json:"perstag"`
}

func (h *handler) listFields(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fields, err := h.svc.Fields(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]fieldJSON, 0, len(fields))
	for _, f := range fields {
		out = append(out, fieldJSON{ID: f.ID.String(), Title: f.Title, Perstag: f.Perstag})
	}
	return writeJSON(w, http.StatusOK, struct {
		Fields []fieldJSON `json:"fields"`
	}{out})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
