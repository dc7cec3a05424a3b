package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
)

func (h *handler) createAutomation(w http.ResponseWriter, r *http.Request) error {
	var in service.AutomationInput
	if err := decode(w, r, &in, false); err != nil {
		return err
	}
	a, err := h.svc.CreateAutomation(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("%s/automations/%d", prefix, a.ID))
	return writeJSON(w, http.StatusCreated, a)
}

func (h *handler) listAutomations(w http.ResponseWriter, r *http.Request) error {
	list := h.svc.Automations
	if v := r.URL.Query().Get("archived"); v != "" {
		archived, err := strconv.ParseBool(v)
		if err != nil {
			return autocred.FieldErrorf("archived", "%q is not true or false", v)
		}
		if archived {
			list = h.svc.ArchivedAutomations
		}
	}
	all, err := list(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		Automations []service.AutomationView `json:"automations"`
	}{nonNil(all)})
}

func (h *handler) getAutomation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := h.svc.Automation(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// updateAutomation applies a JSON merge patch (RFC 7396) to the
// automation's settings: a client sends only what changes, null clears a
// field, and the service checks the result as a whole.
func (h *handler) updateAutomation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var patch map[string]any
	if err := decode(w, r, &patch, false); err != nil {
		return err
	}
	if patch == nil {
		return autocred.Errorf(autocred.EINVALID, "the request body must be a JSON object of the fields to change")
	}
	cur, err := h.svc.Automation(r.Context(), id)
	if err != nil {
		return err
	}
	in, err := applyPatch(cur, patch)
	if err != nil {
		return err
	}
	a, err := h.svc.UpdateAutomation(r.Context(), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// applyPatch overlays patch on the input that would recreate cur. The
// result is decoded as strictly as a request body, so that an unknown or
// mistyped field in the patch is refused the same way.
func applyPatch(cur service.AutomationView, patch map[string]any) (service.AutomationInput, error) {
	base, err := json.Marshal(service.AutomationInput{Name: cur.Name, Trigger: cur.Trigger, Action: cur.Action, PollInterval: cur.PollInterval})
	if err != nil {
		return service.AutomationInput{}, err
	}
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		return service.AutomationInput{}, err
	}
	merged, err := json.Marshal(mergePatch(doc, patch))
	if err != nil {
		return service.AutomationInput{}, err
	}
	var in service.AutomationInput
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return service.AutomationInput{}, decodeError(err)
	}
	return in, nil
}

// mergePatch is RFC 7396's MergePatch: objects merge member by member, a
// null member removes, anything else replaces.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

// deleteAutomation archives an automation; an archived one whose history
// is deleted goes for good.
func (h *handler) deleteAutomation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cur, err := h.svc.Automation(r.Context(), id)
	if err != nil {
		return err
	}
	if cur.Status != autocred.AutomationArchived {
		a, err := h.svc.ArchiveAutomation(r.Context(), id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, a)
	}
	if err := h.svc.DeleteAutomation(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// restoreAutomation brings an archived automation back. An optional body
// {"allow_duplicate": true} confirms restoring it beside another
// automation on the same segment and group (409 without it), as when
// activating.
func (h *handler) restoreAutomation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		AllowDuplicate bool `json:"allow_duplicate"`
	}
	if err := decode(w, r, &in, true); err != nil {
		return err
	}
	a, err := h.svc.RestoreAutomation(r.Context(), id, in.AllowDuplicate)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (h *handler) deleteRunHistory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.svc.DeleteRunHistory(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		HistoryDeleted autocred.HistoryDeletion `json:"history_deleted"`
	}{d})
}

// activateAutomation activates a draft. An optional body
// {"allow_duplicate": true} confirms activating it beside another
// automation on the same segment and group (409 without it).
func (h *handler) activateAutomation(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		AllowDuplicate bool `json:"allow_duplicate"`
	}
	if err := decode(w, r, &in, true); err != nil {
		return err
	}
	return h.drive(w, r, func(ctx context.Context, id int64) error {
		return h.svc.Activate(ctx, id, in.AllowDuplicate)
	})
}

func (h *handler) pauseAutomation(w http.ResponseWriter, r *http.Request) error {
	return h.drive(w, r, h.svc.Pause)
}

func (h *handler) syncAutomation(w http.ResponseWriter, r *http.Request) error {
	return h.drive(w, r, h.svc.SyncNow)
}

// resumeAutomation resumes a stopped automation. {"allow_duplicate": true}
// confirms resuming it beside another automation on the same segment and
// group (409 without it), as when activating.
func (h *handler) resumeAutomation(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		// CatchUp is nil when not given: the automation's default
		// (service.Service.Resume).
		CatchUp        *bool `json:"catch_up"`
		AllowDuplicate bool  `json:"allow_duplicate"`
	}
	if err := decode(w, r, &in, true); err != nil {
		return err
	}
	return h.drive(w, r, func(ctx context.Context, id int64) error {
		return h.svc.Resume(ctx, id, in.CatchUp, in.AllowDuplicate)
	})
}

// drive runs a change of state and answers 202 with the automation: the
// engine carries the change out in the background (a baseline, a sync),
// which the client follows by reading the automation again.
func (h *handler) drive(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, id int64) error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := change(r.Context(), id); err != nil {
		return err
	}
	a, err := h.svc.Automation(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, a)
}

func (h *handler) retryFailed(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := h.svc.RetryFailed(r.Context(), id, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, struct {
		Retried int `json:"retried"`
	}{n})
}

// retryStoppedEntrants issues to everyone who entered while the automation
// was stopped and got nothing because it was resumed with Start fresh.
func (h *handler) retryStoppedEntrants(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := h.svc.RetryStoppedEntrants(r.Context(), id, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, struct {
		Retried int `json:"retried"`
	}{n})
}

// resendUnconfirmed queues a resend of every email of the automation that
// is unconfirmed (Resend email to all, in the UI).
func (h *handler) resendUnconfirmed(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, left, err := h.svc.ResendUnconfirmed(r.Context(), id, actor(r))
	if err != nil {
		return err
	}
	// left_out: runs whose own resend may have gone out already
	// (error_code resend_unconfirmed), not queued: resend each on its own.
	return writeJSON(w, http.StatusAccepted, struct {
		Queued  int `json:"queued"`
		LeftOut int `json:"left_out"`
	}{n, left})
}
