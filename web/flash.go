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
	return h.leaveOnce(w, r, refusalCookie, to, b)
}

// leaveOnce redirects to the page at to, with value (JSON) in the cookie
// name for that page only (another page opened meanwhile does not see it),
// for a minute at most: takeOnce reads and clears it.
func (h *handler) leaveOnce(w http.ResponseWriter, r *http.Request, name, to string, value []byte) error {
	path, _, _ := strings.Cut(to, "#")
	path, _, _ = strings.Cut(path, "?")
	http.SetCookie(w, &http.Cookie{Name: name, Value: base64.RawURLEncoding.EncodeToString(value), Path: path,
		MaxAge: 60, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	return seeOther(w, r, to)
}

// takeOnce reads into v what leaveOnce left in the cookie name, and clears
// it so that it is shown once; false when there is none, or it does not
// decode.
func (h *handler) takeOnce(w http.ResponseWriter, r *http.Request, name string, v any) bool {
	c, err := r.Cookie(name)
	if err != nil {
		return false
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: r.URL.Path, MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	return err == nil && json.Unmarshal(b, v) == nil
}

// takeRefusal reads the refusal a redirect left, and clears it so that it
// is shown once.
func (h *handler) takeRefusal(w http.ResponseWriter, r *http.Request) (refusal, bool) {
	var f refusal
	if !h.takeOnce(w, r, refusalCookie, &f) || f.Error == "" {
		return refusal{}, false
	}
	return f, true
}

const resumedCookie = "autocred_resumed"

// maxResumedCookie bounds the value (base64, a third longer than the JSON
// it holds) of the cookie that carries a "Resume all" result to its page:
// browsers keep cookies of up to 4096 bytes, name and attributes included.
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
	fits := func(b []byte) bool { return base64.RawURLEncoding.EncodedLen(len(b)) <= maxResumedCookie }
	if !fits(b) {
		for i := range res.NotResumed {
			res.NotResumed[i].Reason = ""
		}
		for b, _ = json.Marshal(res); !fits(b) && len(res.NotResumed)+len(res.Resumed) > 0; b, _ = json.Marshal(res) {
			if n := len(res.NotResumed); n > 0 {
				res.NotResumed = res.NotResumed[:n-1]
			} else {
				res.Resumed = res.Resumed[:len(res.Resumed)-1]
			}
		}
	}
	return h.leaveOnce(w, r, resumedCookie, to, b)
}

// takeResumed reads the result leaveResumed left, and clears it so that
// it is shown once.
func (h *handler) takeResumed(w http.ResponseWriter, r *http.Request) (service.ResumeAllResult, bool) {
	var res service.ResumeAllResult
	if !h.takeOnce(w, r, resumedCookie, &res) {
		return service.ResumeAllResult{}, false
	}
	return res, true
}
