package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
)

// connectForm is one of the two connect forms, with what was typed (never
// the key) and the errors to show beside its inputs. With an ID, it
// reconnects that connection instead: a new key for a broken one
// ("Reconnect"), or for a healthy one ("Change key").
type connectForm struct {
	ID           int64
	Broken       bool // the connection being reconnected is broken
	Name, APIURL string
	Errors       formErrors
}

type connectionsData struct {
	Connections    []connectionHealth
	ActiveCampaign connectForm
	Certifier      connectForm
	// ReadyToAutomate: both apps have a working connection and there is
	// no automation yet (archived ones count), so the page leads on to
	// creating one.
	ReadyToAutomate bool
	// ToResume are the automations a refused key stopped whose
	// connections work again: each waits for a user to resume it, so the
	// page where keys are repaired links to each.
	ToResume []service.AutomationView
	// InUse: removing a connection was refused because automations use
	// it; the page links to each, beside the message that names them.
	InUse *service.ConnectionUse
	// Resume: after a connection was reconnected or its key changed
	// (?connection= on the redirect), the automations using it that a
	// refused key stopped, with one button that resumes them all.
	Resume *resumeOffer
	// Resumed is what that button did, shown once after its redirect.
	Resumed *service.ResumeAllResult
}

// resumeOffer is the "Resume all N" of one reconnected connection.
type resumeOffer struct {
	Connection  autocred.Connection
	Automations []autocred.Automation
}

// bothConnected tells whether each app has a connection that works.
func bothConnected(conns []autocred.Connection) bool {
	var ac, cert bool
	for _, c := range conns {
		if c.Status != autocred.ConnectionOK {
			continue
		}
		ac = ac || c.App == autocred.AppActiveCampaign
		cert = cert || c.App == autocred.AppCertifier
	}
	return ac && cert
}

func (h *handler) connectionsPage(w http.ResponseWriter, r *http.Request) error {
	var d connectionsData
	if raw := r.URL.Query().Get("reconnect"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return autocred.Errorf(autocred.EINVALID, "reconnect=%q is not a connection id", raw)
		}
		c, err := h.svc.Connection(r.Context(), id)
		if err != nil {
			return err
		}
		form := connectForm{ID: c.ID, Broken: c.Status == autocred.ConnectionBroken, Name: c.Name, APIURL: c.APIURL}
		if c.App == autocred.AppCertifier {
			d.Certifier = form
		} else {
			d.ActiveCampaign = form
		}
	}
	if raw := r.URL.Query().Get("connection"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return autocred.Errorf(autocred.EINVALID, "connection=%q is not a connection id", raw)
		}
		c, err := h.svc.Connection(r.Context(), id)
		if err != nil {
			return err
		}
		stopped, err := h.svc.StoppedByKey(r.Context(), id)
		if err != nil {
			return err
		}
		if c.Status == autocred.ConnectionOK && len(stopped) > 0 {
			d.Resume = &resumeOffer{Connection: c, Automations: stopped}
		}
	}
	if res, ok := h.takeResumed(w, r); ok {
		d.Resumed = &res
	}
	return h.renderConnections(w, r, http.StatusOK, d, "")
}

// resumeAutomations is "Resume all N": it resumes, each with its default
// (catch up), the automations of a reconnected connection that a refused
// key stopped, and shows which resumed and which did not, and why, on the
// connections page after a redirect (Post/Redirect/Get).
func (h *handler) resumeAutomations(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := h.svc.ResumeStoppedBy(r.Context(), id)
	if err != nil {
		return err
	}
	return h.leaveResumed(w, r, "/connections?done=resumed-all#resumed", res)
}

func (h *handler) renderConnections(w http.ResponseWriter, r *http.Request, status int, d connectionsData, topErr string) error {
	conns, err := h.svc.Connections(r.Context())
	if err != nil {
		return err
	}
	if d.Connections, err = h.connectionsHealth(r.Context(), conns); err != nil {
		return err
	}
	autos, err := h.svc.Automations(r.Context())
	if err != nil {
		return err
	}
	for _, a := range autos {
		if a.Reconnected() {
			d.ToResume = append(d.ToResume, a)
		}
	}
	if bothConnected(conns) {
		archived, err := h.svc.ArchivedAutomations(r.Context())
		if err != nil {
			return err
		}
		d.ReadyToAutomate = len(autos)+len(archived) == 0
	}
	return h.render(w, r, status, "connections", view{Title: "Connections", Nav: "connections", Error: topErr, Data: d})
}

func (h *handler) createConnection(w http.ResponseWriter, r *http.Request) error {
	in := service.NewConnection{
		App:         autocred.App(r.PostFormValue("app")),
		Name:        r.PostFormValue("name"),
		APIURL:      r.PostFormValue("api_url"),
		APIKey:      r.PostFormValue("api_key"),
		AccessToken: r.PostFormValue("access_token"),
	}
	var id int64
	if raw := r.PostFormValue("id"); raw != "" {
		var err error
		if id, err = strconv.ParseInt(raw, 10, 64); err != nil {
			return autocred.Errorf(autocred.EINVALID, "id=%q is not a connection id", raw)
		}
	}
	var err error
	broken, groupsBack := false, false
	if id != 0 {
		// A healthy connection's key changed is said apart from a broken
		// one repaired: only the latter has automations to resume.
		cur, cerr := h.svc.Connection(r.Context(), id)
		if cerr != nil {
			return cerr
		}
		broken = cur.Status == autocred.ConnectionBroken
		lost := h.pausedForGroup(r.Context(), id)
		if _, err = h.svc.ReconnectConnection(r.Context(), id, in); err == nil && len(lost) > 0 && len(h.pausedForGroup(r.Context(), id)) < len(lost) {
			groupsBack = true
		}
	} else {
		_, err = h.svc.CreateConnection(r.Context(), in)
	}
	if err == nil {
		done := "connected"
		switch {
		case id != 0 && broken:
			done = "reconnected"
		case id != 0:
			done = "key-changed"
		}
		if groupsBack {
			// The new key sees groups the old one did not: the
			// automations paused for them were resumed
			// (service.ReconnectConnection).
			done += "-groups"
		}
		to := "/connections?done=" + done
		if id != 0 {
			// The automations its refused key stopped, offered to resume.
			to += "&connection=" + itoa(id) + "#to-resume"
		}
		return seeOther(w, r, to)
	}
	fe, status := h.formErrors(r, err, func(f string) bool {
		switch f {
		case "name", "api_url":
			return true
		case "api_key":
			return in.App == autocred.AppActiveCampaign
		case "access_token":
			return in.App == autocred.AppCertifier
		}
		return false
	})
	form := connectForm{ID: id, Broken: broken, Name: in.Name, APIURL: in.APIURL, Errors: fe}
	var d connectionsData
	if in.App == autocred.AppCertifier {
		d.Certifier = form
	} else {
		d.ActiveCampaign = form
	}
	return h.renderConnections(w, r, status, d, "")
}

func (h *handler) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteConnection(r.Context(), id); err != nil {
		if autocred.ErrorCode(err) == autocred.EINTERNAL {
			return err
		}
		var d connectionsData
		if autocred.ErrorCode(err) == autocred.ECONFLICT {
			u, uerr := h.svc.ConnectionUse(r.Context(), id)
			if uerr != nil {
				return uerr
			}
			d.InUse = &u
		}
		return h.renderConnections(w, r, httpStatus(autocred.ErrorCode(err)), d, userMessage(err))
	}
	return seeOther(w, r, "/connections?done=removed")
}

// pausedForGroup lists the automations of connection id that autocred
// paused because their group seemed deleted (autocred.Automation.GroupMissing);
// nil when it cannot tell.
func (h *handler) pausedForGroup(ctx context.Context, id int64) []int64 {
	u, err := h.svc.ConnectionUse(ctx, id)
	if err != nil {
		return nil
	}
	var ids []int64
	for _, a := range u.Automations {
		if a.GroupMissing() {
			ids = append(ids, a.ID)
		}
	}
	return ids
}
