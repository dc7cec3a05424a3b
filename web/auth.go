package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store"
)

// cookieName holds the session token. The token is random, 32 bytes; the
// database keeps only its hash.
const cookieName = "autocred_session"

type userKey struct{}

func userFrom(ctx context.Context) *store.User {
	u, _ := ctx.Value(userKey{}).(*store.User)
	return u
}

// requireUser lets a request through only with a live session. Without
// one, a page redirects to the sign-in page (or, on a fresh install, to
// the page that creates the admin) and a JSON endpoint answers 401.
func (h *handler) requireUser(isJSON bool, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var token string
		if c, err := r.Cookie(cookieName); err == nil {
			token = c.Value
		}
		u, err := h.store.SessionUser(r.Context(), token)
		if err == nil {
			next(w, r.WithContext(context.WithValue(r.Context(), userKey{}, &u)))
			return
		}
		if autocred.ErrorCode(err) != autocred.EUNAUTHORIZED {
			h.page(func(http.ResponseWriter, *http.Request) error { return err })(w, r)
			return
		}
		if isJSON {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{
				"code": autocred.EUNAUTHORIZED, "message": "Your session has ended; sign in again."}})
			return
		}
		target := "/signin"
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			target += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		if has, err := h.store.HasUsers(r.Context()); err == nil && !has {
			target = "/setup"
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	}
}

type signinData struct {
	Email  string
	Next   string
	Errors formErrors
}

func (h *handler) signinPage(w http.ResponseWriter, r *http.Request) error {
	has, err := h.store.HasUsers(r.Context())
	if err != nil {
		return err
	}
	if !has {
		return seeOther(w, r, "/setup")
	}
	return h.render(w, r, http.StatusOK, "signin", view{Title: "Sign in", Data: signinData{Next: localPath(r.URL.Query().Get("next"))}})
}

func (h *handler) signin(w http.ResponseWriter, r *http.Request) error {
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	next := localPath(r.PostFormValue("next"))
	u, err := h.store.Authenticate(r.Context(), email, password)
	if err != nil {
		fe, status := h.formErrors(r, err, func(f string) bool { return f == "email" || f == "password" })
		return h.render(w, r, status, "signin", view{Title: "Sign in", Data: signinData{Email: email, Next: next, Errors: fe}})
	}
	if err := h.startSession(w, r, u.ID); err != nil {
		return err
	}
	return seeOther(w, r, next)
}

func (h *handler) startSession(w http.ResponseWriter, r *http.Request, userID int64) error {
	token, expires, err := h.store.CreateSession(r.Context(), userID)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

func (h *handler) signout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(cookieName); err == nil {
		if err := h.store.DeleteSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	return seeOther(w, r, "/signin")
}

// afterSignin is where sign-in leads when "next" is empty or refused.
const afterSignin = "/automations"

// localPath keeps a "next" address only if it is a clean path on this
// site, so that the sign-in page cannot send people elsewhere (issue 13,
// point 6). Browsers drop tabs and newlines from a URL and read a
// backslash as a slash, so "/\t/evil.example" and "/\\evil.example" lead to
// another host like "//evil.example" does. Accepted: one leading "/", then
// no "/" or "\\" right after it, no backslash, white space or control
// character anywhere, not even percent-encoded in the path, and no scheme
// or host. Anything else gives afterSignin.
func localPath(p string) string {
	if !cleanLocalPath(p) {
		return afterSignin
	}
	return p
}

func cleanLocalPath(p string) bool {
	if !strings.HasPrefix(p, "/") || !cleanChars(p) {
		return false
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	// The path decoded, again and again while it changes ("%252F" is
	// "%2F" is "/"), must still be clean: a proxy or a browser may decode
	// it once more than we did.
	path, _, _ := strings.Cut(p, "?")
	path, _, _ = strings.Cut(path, "#")
	for range 4 {
		if strings.HasPrefix(path, "//") || !cleanChars(path) {
			return false
		}
		dec, err := url.PathUnescape(path)
		if err != nil {
			return false
		}
		if dec == path {
			return true
		}
		path = dec
	}
	return false // still encoded after four rounds: nobody's real link
}

// cleanChars tells whether s is valid UTF-8 without backslashes, white
// space or control characters.
func cleanChars(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

type setupData struct {
	Email  string
	Errors formErrors
}

// setupPage asks for the first admin, only while nobody can sign in.
func (h *handler) setupPage(w http.ResponseWriter, r *http.Request) error {
	has, err := h.store.HasUsers(r.Context())
	if err != nil {
		return err
	}
	if has {
		return seeOther(w, r, "/signin")
	}
	return h.render(w, r, http.StatusOK, "setup", view{Title: "Create the admin", Data: setupData{}})
}

func (h *handler) setup(w http.ResponseWriter, r *http.Request) error {
	email := r.PostFormValue("email")
	var err error
	var u store.User
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		err = autocred.FieldErrorf("password2", "does not match the password")
	} else {
		u, err = h.store.CreateFirstUser(r.Context(), email, r.PostFormValue("password"))
	}
	if err != nil {
		fe, status := h.formErrors(r, err, func(f string) bool { return f == "email" || f == "password" || f == "password2" })
		return h.render(w, r, status, "setup", view{Title: "Create the admin", Data: setupData{Email: email, Errors: fe}})
	}
	if err := h.startSession(w, r, u.ID); err != nil {
		return err
	}
	return seeOther(w, r, "/connections")
}

// home sends a new user to connect accounts first, and everyone else to
// their automations.
func (h *handler) home(w http.ResponseWriter, r *http.Request) error {
	conns, err := h.svc.Connections(r.Context())
	if err != nil {
		return err
	}
	if len(conns) == 0 {
		return seeOther(w, r, "/connections")
	}
	return seeOther(w, r, "/automations")
}
