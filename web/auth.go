package web

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
)

// cookieName holds the session token. The token is random, 32 bytes; the
// database keeps only its hash.
const cookieName = "autocred_session"

type userKey struct{}

func userFrom(ctx context.Context) *autocred.User {
	u, _ := ctx.Value(userKey{}).(*autocred.User)
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
		u, err := h.auth.SessionUser(r.Context(), token)
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
		if has, err := h.auth.HasUsers(r.Context()); err == nil && !has {
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
	has, err := h.auth.HasUsers(r.Context())
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
	refuse := func(fe formErrors, status int) error {
		return h.render(w, r, status, "signin", view{Title: "Sign in", Data: signinData{Email: email, Next: next, Errors: fe}})
	}
	// The limits are checked before the password, so that guesses past
	// them cost a query, not a bcrypt comparison.
	keys := []service.SigninKey{{Key: accountKey(email), Rule: accountRule}, {Key: addressKey(clientAddr(r, h.proxies)), Rule: addressRule}}
	if status, fe, err := h.beginAttempt(w, r, keys); err != nil || status != 0 {
		if err != nil {
			return err
		}
		return refuse(fe, status)
	}
	var u autocred.User
	err := h.checks.do(r.Context(), func() (err error) {
		u, err = h.auth.Authenticate(r.Context(), email, password)
		return err
	})
	if err != nil {
		if errors.Is(err, errBusy) {
			return refuse(busy(w))
		}
		return refuse(h.formErrors(r, err, func(f string) bool { return f == "email" || f == "password" }))
	}
	h.attemptSucceeded(r, keys)
	if err := h.startSession(w, r, u.ID); err != nil {
		return err
	}
	return seeOther(w, r, next)
}

// beginAttempt counts a sign-in or setup attempt against keys. A status
// other than 0 refuses it, with the form's errors.
func (h *handler) beginAttempt(w http.ResponseWriter, r *http.Request, keys []service.SigninKey) (int, formErrors, error) {
	now := h.now()
	locked, err := h.auth.BeginSignin(r.Context(), now, keys...)
	if err != nil || locked == nil {
		return 0, formErrors{}, err
	}
	kind, _, _ := strings.Cut(locked.Key, ":")
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "sign-in refused: too many attempts", slog.String("path", r.URL.Path),
		slog.String("locked", kind), slog.String("client", clientAddr(r, h.proxies).String()), slog.Time("until", locked.Until))
	fe, status := refuseLocked(w, locked, now)
	return status, fe, nil
}

// attemptSucceeded gives the attempt back: the password was right.
func (h *handler) attemptSucceeded(r *http.Request, keys []service.SigninKey) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Key
	}
	if err := h.auth.SigninSucceeded(r.Context(), names...); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "sign-in: giving the attempt back", slog.Any("err", err))
	}
}

// busy answers a sign-in that found no free password check in time.
func busy(w http.ResponseWriter) (formErrors, int) {
	w.Header().Set("Retry-After", "60")
	return formErrors{Top: "The server is busy checking passwords; try again in a minute.", Fields: map[string]string{}}, http.StatusServiceUnavailable
}

func (h *handler) startSession(w http.ResponseWriter, r *http.Request, userID int64) error {
	token, expires, err := h.auth.CreateSession(r.Context(), userID)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

func (h *handler) signout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(cookieName); err == nil {
		if err := h.auth.DeleteSession(r.Context(), c.Value); err != nil {
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
	has, err := h.auth.HasUsers(r.Context())
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
	refuse := func(fe formErrors, status int) error {
		return h.render(w, r, status, "setup", view{Title: "Create the admin", Data: setupData{Email: email, Errors: fe}})
	}
	fail := func(err error) error {
		return refuse(h.formErrors(r, err, func(f string) bool { return f == "email" || f == "password" || f == "password2" }))
	}
	// Once an admin exists the page is closed: said before any password
	// is hashed, so that posting here costs no bcrypt.
	if has, err := h.auth.HasUsers(r.Context()); err != nil || has {
		if err == nil {
			err = autocred.Errorf(autocred.ECONFLICT, "an admin already exists; sign in instead")
		}
		return fail(err)
	}
	keys := []service.SigninKey{{Key: addressKey(clientAddr(r, h.proxies)), Rule: addressRule}}
	if status, fe, err := h.beginAttempt(w, r, keys); err != nil || status != 0 {
		if err != nil {
			return err
		}
		return refuse(fe, status)
	}
	// Every mistake at once, each beside its input: a bad email, a short
	// password and a mismatch together are three messages, not one per
	// try. Each refused post counts against the address, as a refused
	// email or password always did, but hashes nothing.
	errs := h.auth.CheckNewUser(email, r.PostFormValue("password"))
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		errs = append(errs, autocred.FieldErrorf("password2", "does not match the password"))
	}
	if len(errs) > 0 {
		fe := formErrors{Fields: map[string]string{}}
		for _, err := range errs {
			f, _ := h.formErrors(r, err, func(f string) bool { return f == "email" || f == "password" || f == "password2" })
			maps.Copy(fe.Fields, f.Fields)
			fe.Top = cmp.Or(fe.Top, f.Top)
		}
		return refuse(fe, httpStatus(autocred.EINVALID))
	}
	var u autocred.User
	err := h.checks.do(r.Context(), func() (err error) {
		u, err = h.auth.CreateFirstUser(r.Context(), email, r.PostFormValue("password"))
		return err
	})
	if errors.Is(err, errBusy) {
		return refuse(busy(w))
	}
	if err != nil {
		return fail(err)
	}
	h.attemptSucceeded(r, keys)
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
