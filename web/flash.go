package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/autocred/autocred/service"
)

// A refusal is shown once, on the page the form belongs to, after a
// redirect (Post/Redirect/Get, as a success's ?done= is): reloading that
// page no longer shows it, and never posts the form again. Where a
// success names its message in the address, a refusal's own words travel
// in a short-lived cookie, read and cleared by the next page rendered.

const refusalCookie = "autocred_refusal"

// refusal is what a refused form leaves for the page it returns to: the
// message at the top, and the choices the page keeps for a second try.
type refusal struct {
	Error string `json:"e"`
	// Twin: the refusal asks to tick "I want two credentials per entry".
	Twin bool `json:"t,omitempty"`
	// CatchUp is the Resume form's choice as posted ("yes", "no" or "").
	CatchUp string `json:"c,omitempty"`
}

// refuse redirects to the page at to, which shows f once.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, to string, f refusal) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	// Sent to that page only: another page opened meanwhile does not show it.
	path, _, _ := strings.Cut(to, "#")
	path, _, _ = strings.Cut(path, "?")
	http.SetCookie(w, &http.Cookie{Name: refusalCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: path,
		MaxAge: 60, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	return seeOther(w, r, to)
}

// takeRefusal reads the refusal a redirect left, and clears it so that it
// is shown once.
func (h *handler) takeRefusal(w http.ResponseWriter, r *http.Request) (refusal, bool) {
	c, err := r.Cookie(refusalCookie)
	if err != nil {
		return refusal{}, false
	}
	http.SetCookie(w, &http.Cookie{Name: refusalCookie, Value: "", Path: r.URL.Path, MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	var f refusal
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || json.Unmarshal(b, &f) != nil || f.Error == "" {
		return refusal{}, false
	}
	return f, true
}

const resumedCookie = "autocred_resumed"

// maxResumedCookie bounds the cookie that carries a "Resume all" result
// to its page: browsers keep cookies of up to 4096 bytes.
const maxResumedCookie = 3500

// leaveResumed redirects to the page at to, which shows res once (as a
// refusal is carried, in a short-lived cookie). A result too long for a
// cookie loses its reasons ("open it to see why" is said instead), then
// the automations past what fits, which it counts.
func (h *handler) leaveResumed(w http.ResponseWriter, r *http.Request, to string, res service.ResumeAllResult) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if len(b) > maxResumedCookie {
		for i := range res.NotResumed {
			res.NotResumed[i].Reason = ""
		}
		for b, _ = json.Marshal(res); len(b) > maxResumedCookie && len(res.NotResumed)+len(res.Resumed) > 0; b, _ = json.Marshal(res) {
			if n := len(res.NotResumed); n > 0 {
				res.NotResumed = res.NotResumed[:n-1]
			} else {
				res.Resumed = res.Resumed[:len(res.Resumed)-1]
			}
		}
	}
	path, _, _ := strings.Cut(to, "#")
	path, _, _ = strings.Cut(path, "?")
	http.SetCookie(w, &http.Cookie{Name: resumedCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: path,
		MaxAge: 60, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	return seeOther(w, r, to)
}

// takeResumed reads the result leaveResumed left, and clears it so that
// it is shown once.
func (h *handler) takeResumed(w http.ResponseWriter, r *http.Request) (service.ResumeAllResult, bool) {
	c, err := r.Cookie(resumedCookie)
	if err != nil {
		return service.ResumeAllResult{}, false
	}
	http.SetCookie(w, &http.Cookie{Name: resumedCookie, Value: "", Path: r.URL.Path, MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	var res service.ResumeAllResult
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || json.Unmarshal(b, &res) != nil {
		return service.ResumeAllResult{}, false
	}
	return res, true
}
