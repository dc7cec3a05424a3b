package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/autocred/autocred"
)

// pageTemplate is a page's template set: the layout, the shared partials
// and the page's own file.
type pageTemplate struct{ *template.Template }

var funcs = template.FuncMap{
	"commas":     autocred.Thousands,
	"count":      count,
	"ago":        ago,
	"when":       func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"at":         at,
	"contactRef": func(url string, id autocred.ContactID) contactRef { return contactRef{URL: url, ID: id} },
	"chart":      chart,
	"legend":     chartLegend,
	"clock":      clockTime,
	"says":       says,
	"waitReason": waitReason,
	"agoAt":      agoAt,
	"percent": func(p autocred.Progress) int {
		if p.Total <= 0 {
			return 0
		}
		return min(100, p.Done*100/p.Total)
	},
	"runLabel":    runLabel,
	"statusLabel": statusLabel,
	"besideBadge": besideBadge,
	"field": func(id, name, label, hint, value, err string) mappingInput {
		return mappingInput{ID: id, Name: name, Label: label, Hint: hint, Value: value, Error: err}
	},
}

// at shows a time as people read it: a <time> element that says it in
// UTC, which the script rewrites into the browser's time zone, keeping
// the UTC time on hover (title); without the script the UTC time stays.
// The zero time shows as nothing.
func at(t time.Time) template.HTML {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	// Only digits, dashes, colons and letters of fixed layouts: nothing
	// to escape.
	return template.HTML(`<time datetime="` + t.Format(time.RFC3339) + `" title="` + t.Format("2006-01-02 15:04:05 UTC") + `">` +
		t.Format("2006-01-02 15:04 UTC") + `</time>`)
}

// textTime finds a moment written inside a message: in RFC 3339 UTC, as
// the engine writes them ("2026-11-30T14:02:03Z"), or as older messages
// and notices write them ("2026-11-30 14:02:03 UTC").
var textTime = regexp.MustCompile(`\b\d{4}-\d\d-\d\d(?:T\d\d:\d\d:\d\d(?:\.\d+)?Z| \d\d:\d\d(?::\d\d)? UTC)`)

// says shows a message (a run's log line, its error, a notice) with each
// moment in it as a <time> element, which the script shows in the
// browser's time zone as every other time of the page, UTC on hover: a
// sentence does not mix a UTC text time with a time in the reader's zone.
// The rest of the message is escaped.
func says(message string) template.HTML {
	escaped := template.HTMLEscapeString(plainWords(message)) // digits, dashes and colons stay as they are
	return template.HTML(textTime.ReplaceAllStringFunc(escaped, func(m string) string {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 UTC", "2006-01-02 15:04 UTC"} {
			if t, err := time.Parse(layout, m); err == nil {
				return string(clockAt(t))
			}
		}
		return m
	}))
}

// clockAt is a moment inside a sentence: a <time> element the script
// writes as a clock time in the browser's zone ("14:02", with the day
// when it is not today), UTC on hover; without the script, UTC.
func clockAt(t time.Time) template.HTML {
	t = t.UTC()
	return template.HTML(`<time datetime="` + t.Format(time.RFC3339) + `" title="` + t.Format("2006-01-02 15:04:05 UTC") + `" data-clock>` +
		clockTime(t) + `</time>`)
}

// agoAt says how long ago t was ("3 min ago"), with the moment in UTC on
// hover, as every time of the page has it; "never" for the zero time.
func agoAt(t time.Time) template.HTML {
	if t.IsZero() {
		return "never"
	}
	t = t.UTC()
	return template.HTML(`<time datetime="` + t.Format(time.RFC3339) + `" title="` + t.Format("2006-01-02 15:04:05 UTC") + `" data-ago>` +
		template.HTMLEscapeString(ago(t)) + `</time>`)
}

// contactRef is a contact id with the address of its page in
// ActiveCampaign, "" when not known for sure, for the "contactID" partial.
type contactRef struct {
	URL string
	ID  autocred.ContactID
}

// mappingInput is one mapping input of the automation form.
type mappingInput struct{ ID, Name, Label, Hint, Value, Error string }

// parsePages parses every page once at start; a broken template is a bug
// that must stop the program, not a request. It returns the pages and the
// shared partials alone, for live fragments.
func parsePages() (map[string]pageTemplate, *template.Template) {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html"))
	files, err := templateFS.ReadDir("templates")
	if err != nil {
		panic(err)
	}
	pages := map[string]pageTemplate{}
	for _, f := range files {
		name := strings.TrimSuffix(f.Name(), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, path.Join("templates", f.Name())))
		pages[name] = pageTemplate{t}
	}
	return pages, base
}

// view is what every page template gets.
type view struct {
	Title string
	Nav   string // the menu entry to mark current
	User  *autocred.User
	Flash string
	// Error is an error not tied to one input, shown at the top.
	Error string
	Data  any
}

// render writes a page. The page is rendered to a buffer first so that a
// template error becomes a clean 500, not half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) error {
	v.User = userFrom(r.Context())
	if v.Flash == "" {
		v.Flash = flashFor(r.URL.Query(), time.Now())
	}
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("rendering %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// fragment renders a shared partial to a string, for live refresh.
func (h *handler) fragment(name string, data any) (string, error) {
	var buf bytes.Buffer
	if err := h.partials.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("rendering %s: %w", name, err)
	}
	return buf.String(), nil
}

// flashes are the confirmations a redirect after a POST can ask for with
// ?done=, so that a reload does not post again.
var flashes = map[string]string{
	"connected":                "Connected. The key was checked with a live call.",
	"reconnected":              "Reconnected. The new key was checked with a live call. Any automation it stopped is paused until you resume it: resume them all at once below, or each from its page.",
	"key-changed":              "Key changed. The new key was checked with a live call.",
	"key-changed-groups":       "Key changed. The new key was checked with a live call, and it sees the groups the old one could not: the automations paused for a missing group were resumed, catching up.",
	"reconnected-groups":       "Reconnected. The new key was checked with a live call, and it sees the groups the old one could not: the automations paused for a missing group were resumed, catching up. Any automation the refused key stopped is paused until you resume it: resume them all at once below, or each from its page.",
	"removed":                  "Connection removed.",
	"resumed-all":              "Done: what was resumed, and what was not and why, is said below.",
	"created":                  "Automation saved as a draft. Activate it to start watching the segment.",
	"saved":                    "Changes saved.",
	"activated":                "Activated. autocred is reading the segment's current members (they get nothing); everyone who enters from now on gets a credential.",
	"paused":                   "Paused. Nothing is read or issued until you resume.",
	"resumed":                  "Resumed.",
	"synced":                   "Sync started: the segment is being read now.",
	"retried":                  "Retry queued.",
	"resent":                   "Email resent. The run's log says who asked and when.",
	"archived":                 "Automation deleted: it stopped and moved to the archived automations, where its runs stay readable. The credentials it issued stay in Certifier.",
	"restored":                 "Restored. It watches nothing until you resume (or activate) it.",
	"history-deleted":          "History deleted: the runs and their logs are gone. autocred keeps only which contacts were in the segment.",
	"deleted":                  "Automation deleted for good. The credentials it issued stay in Certifier.",
	"retry-failed":             "Every failed run was queued again.",
	"stopped-entrants-retried": "Everyone who entered while the automation was stopped was queued: each gets one credential, and each run's log says who asked.",
	"resending":                "The emails are being resent, one after another: each run becomes Issued as its email goes out, and its log says who asked and when.",
	"resent-none":              "No email was resent: a resend of each unconfirmed email may have gone out already (Certifier's answer never came). Ask the recipient, and resend each from its run.",
}

// formErrors splits a service error into the message beside an input, when
// the error names one the form has, and the message at the top otherwise.
type formErrors struct {
	Top    string
	Fields map[string]string
}

// Field is the message for one input, for templates.
func (e formErrors) Field(name string) string { return e.Fields[name] }

// formErrors places every mistake of err (autocred.Errors: a save returns
// them all at once): each beside its input, the first for an input that
// has several; the others at the top, each once.
func (h *handler) formErrors(r *http.Request, err error, inputs func(field string) bool) (formErrors, int) {
	fe := formErrors{Fields: map[string]string{}}
	code := autocred.ErrorCode(err)
	all := autocred.Errors(err)
	if code == autocred.EINTERNAL || len(all) == 0 {
		fe.Top, all = userMessage(err), nil
	}
	var top []string
	for _, e := range all {
		switch {
		case e.Field != "" && inputs(e.Field):
			if _, ok := fe.Fields[e.Field]; !ok {
				fe.Fields[e.Field] = e.Message
			}
		case !slices.Contains(top, userMessage(e)):
			top = append(top, userMessage(e))
		}
	}
	if len(top) > 0 {
		fe.Top = strings.Join(top, " ")
	}
	if code == autocred.EINTERNAL {
		h.log.LogAttrs(r.Context(), slog.LevelError, "ui internal error", slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	return fe, httpStatus(code)
}

// userMessage is an error as a user reads it: the message of an
// autocred.Error, or a generic text that leaks nothing internal.
func userMessage(err error) string {
	if autocred.ErrorCode(err) == autocred.EINTERNAL {
		return "Something went wrong on our side. Try again; if it keeps happening, the server's log says why."
	}
	msg := plainWords(autocred.ErrorMessage(err))
	var e *autocred.Error
	if errors.As(err, &e) && e.Field != "" && !strings.HasPrefix(msg, strings.ToUpper(msg[:1])) {
		return fieldLabel(e.Field) + " " + msg
	}
	return msg
}

// fieldLabel names an input for a message shown away from it.
func fieldLabel(field string) string {
	if tag, ok := strings.CutPrefix(field, "action.custom_attributes."); ok {
		return tag
	}
	if d, ok := autocred.InputDefFor(field); ok {
		return d.Label
	}
	labels := map[string]string{
		"name": "Name", "api_url": "API URL", "api_key": "API key", "access_token": "Access token",
		"trigger.connection_id": "ActiveCampaign connection", "trigger.segment_id": "Segment",
		"action.connection_id": "Certifier connection", "action.group_id": "Group", "action.send": "Send",
		"action": "The mapping", "poll_interval": "Poll interval", "email": "Email", "password": "Password",
	}
	if l, ok := labels[field]; ok {
		return l
	}
	return field
}

// httpStatus is the status of a page showing an error with this code: the
// UI column of the one table (autocred.ErrorStatus), whose comment says
// why the UI answers 422 where the API answers 400, 413 or 502.
func httpStatus(code string) int { return autocred.ErrorStatus(code).UI }

// page adapts a handlerFunc: an error it returns becomes an error page.
func (h *handler) page(serve handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := serve(w, r); err != nil {
			fe, status := h.formErrors(r, err, func(string) bool { return false })
			if rerr := h.render(w, r, status, "error", view{Title: http.StatusText(status), Error: fe.Top}); rerr != nil {
				h.log.Error("rendering the error page", "err", rerr)
				http.Error(w, fe.Top, status)
			}
		}
	}
}

// jsonEndpoint adapts a handlerFunc of the script's endpoints: an error
// becomes {"error":{"message","field"}}, as the REST API writes it.
func (h *handler) jsonEndpoint(serve handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := serve(w, r); err != nil {
			_, status := h.formErrors(r, err, func(string) bool { return false })
			body := map[string]string{"code": autocred.ErrorCode(err), "message": userMessage(err)}
			var e *autocred.Error
			if errors.As(err, &e) && e.Field != "" {
				body["field"], body["message"] = e.Field, e.Message
			}
			writeJSON(w, status, map[string]any{"error": body})
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the answer failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// pathID reads a numeric path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, autocred.Errorf(autocred.ENOTFOUND, "%q is not an id; follow a link from the lists instead", r.PathValue(name))
	}
	return id, nil
}

// seeOther answers a successful POST: the browser loads the next page
// with GET, so a reload does not post again.
//
// A confirmation asked for with ?done= gets the time it was given
// (&at=, Unix seconds), so that the page shows it for flashFor's moment
// only: reloaded later, or opened from history or a bookmark, the page
// no longer says "Retry queued." over a run that was skipped again since
// (tester 4, finding 9). The script also drops done= and at= from the
// address once shown.
func seeOther(w http.ResponseWriter, r *http.Request, to string) error {
	if u, err := url.Parse(to); err == nil && u.Query().Get("done") != "" && !u.Query().Has("at") {
		path, fragment, hasFragment := strings.Cut(to, "#")
		to = path + "&at=" + strconv.FormatInt(time.Now().Unix(), 10)
		if hasFragment {
			to += "#" + fragment
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// flashMoment is how long after a redirect its ?done= confirmation is
// still shown: long enough for a slow page load, short enough that a
// later reload does not report it as news.
const flashMoment = time.Minute

// flashFor is the confirmation the request's ?done= asks for, "" when
// there is none or its moment (&at=, seeOther) has passed.
func flashFor(q url.Values, now time.Time) string {
	msg := flashes[q.Get("done")]
	at, err := strconv.ParseInt(q.Get("at"), 10, 64)
	if msg == "" || err != nil {
		return ""
	}
	if age := now.Sub(time.Unix(at, 0)); age < -flashMoment || age > flashMoment {
		return ""
	}
	return msg
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// count says n of a thing in words, with commas: "1 request", "1,204
// requests".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return autocred.Thousands(n) + " " + many
}

// ago says how long ago t was, in the words a list shows.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

func statusLabel(s autocred.AutomationStatus) string {
	switch s {
	case autocred.AutomationBaselining:
		return "Baselining"
	case autocred.AutomationActive:
		return "Active"
	case autocred.AutomationPaused:
		return "Paused"
	case autocred.AutomationBroken:
		return "Broken"
	case autocred.AutomationArchived:
		return "Archived"
	}
	return "Draft"
}

func runLabel(s autocred.RunStatus) string {
	switch s {
	case autocred.RunIssued:
		return "Issued"
	case autocred.RunDraft:
		return "Draft"
	case autocred.RunSendUnconfirmed:
		return "Issued, send unconfirmed"
	case autocred.RunSkipped:
		return "Skipped"
	case autocred.RunFailed:
		return "Failed"
	}
	return "Pending"
}

// besideBadge is a message as it reads beside the badge that says label:
// without the label again at its start. A message written to be read on
// its own begins with the status ("Paused: the group 'VIP' no longer
// exists…", "Skipped: no email."), as the API and the CSV give it; beside
// a "Paused" or "Skipped" badge that would say the word twice.
func besideBadge(msg, label string) string {
	rest, ok := strings.CutPrefix(msg, label+": ")
	if !ok || rest == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(rest)
	return string(unicode.ToUpper(r)) + rest[n:]
}

// clockTime says at what time t is (in UTC, which the page says): the hour
// and minute on the same day, with the date on another.
func clockTime(t time.Time) string {
	t = t.UTC()
	if t.Format(time.DateOnly) == time.Now().UTC().Format(time.DateOnly) {
		return t.Format("15:04") + " UTC"
	}
	return t.Format("2 Jan 15:04") + " UTC"
}

// waitReason is why a waiting run waits, as a clause for "Waiting: …. ":
// its last error without the final full stop.
func waitReason(lastError string) string {
	if why := strings.TrimRight(strings.TrimSpace(lastError), "."); why != "" {
		return why
	}
	return "not issued yet"
}
