package activecampaign

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // the accounts' time zone must load on machines without zoneinfo

	"github.com/autocred/autocred/sim/traffic"
)

// Options tunes the sandbox. The zero value behaves like the real API as the
// spec describes it. Delays that must be "immediate" in a test are set to a
// negative value (zero means the default).
type Options struct {
	RatePerSecond        int           // per account; 0 means the real limit, 5; negative turns it off
	LimitStatus          int           // 429 (default) or 503 when over the limit
	MatchRunDelay        time.Duration // how long a segmentMatchAll run stays not ready; default 2s
	InlineWait           time.Duration // how long segmentMatchAll/{seg} waits for a ready result; default 4s; capped by MatchRunDelay
	LegacyEvalDelay      time.Duration // time before a contacts?segmentid evaluation returns contacts; default 2s
	LegacyCacheTTL       time.Duration // default 1h
	RunTTL               time.Duration // match runs viewable for; default 90 days
	WebhookDuplicateRate float64       // fraction of webhook deliveries sent twice (at-least-once)
	WebhookTimeout       time.Duration // default 10s
	// LegacyReading is how contacts?segmentid answers (an open question:
	// see readings.go); the zero value is the documentation's reading.
	// SetLegacyReading overrides it per account.
	LegacyReading LegacyReading
	// SegmentMatch makes segment matching unavailable or its runs fail;
	// the zero value: available. SetSegmentMatch overrides it per account.
	SegmentMatch SegmentMatchAvailability
	// FieldValueFilter is how GET /fieldValues applies filters[fieldid]
	// (an open question: see fieldvalues.go); the zero value matches the
	// id exactly. SetFieldValueFilter overrides it per account.
	FieldValueFilter FieldValueFilter
	// ThrottleRetryAfter is the Retry-After a throttle (Server.Throttle,
	// PUT /_sandbox/accounts/{a}/throttle) sends when none is given:
	// default 30s, the example of ActiveCampaign's rate-limit docs.
	ThrottleRetryAfter time.Duration
	Seed               uint64       // randomness (faults, duplicates, sample data)
	Logger             *slog.Logger // nil: discard

	// DeniedPermissions lists, by account name, the permissions its key's
	// user lacks from the account's creation (Deny/Allow change them).
	DeniedPermissions map[string][]Permission
	// ForbiddenNoResult lists the entities ("Subscriber", "Webhook";
	// "*" for all) whose missing records answer 403 instead of 404 on every
	// account (SetForbiddenNoResult changes it per account).
	ForbiddenNoResult []string
	// RedirectTo, when set, answers every API request of every account 302
	// with Location: RedirectTo followed by the request's path and query;
	// an origin such as "http://127.0.0.1:9". SetRedirect sets it per
	// account. See edge.go.
	RedirectTo string
	// ErrorPage, when set (400 to 599), answers every API request of every
	// account with that status and an HTML page, as a proxy in front of
	// the API does. SetErrorPage sets it per account.
	ErrorPage int
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		switch {
		case *d == 0:
			*d = v
		case *d < 0:
			*d = 0
		}
	}
	def(&o.MatchRunDelay, 2*time.Second)
	def(&o.InlineWait, 4*time.Second)
	def(&o.LegacyEvalDelay, 2*time.Second)
	def(&o.LegacyCacheTTL, time.Hour)
	def(&o.RunTTL, 90*24*time.Hour)
	def(&o.WebhookTimeout, 10*time.Second)
	def(&o.ThrottleRetryAfter, 30*time.Second)
	if o.LimitStatus == 0 {
		o.LimitStatus = http.StatusTooManyRequests
	}
	if o.LimitStatus != http.StatusTooManyRequests && o.LimitStatus != http.StatusServiceUnavailable {
		panic("activecampaign: Options.LimitStatus must be 429 or 503")
	}
	if o.WebhookDuplicateRate < 0 || o.WebhookDuplicateRate > 1 {
		panic("activecampaign: Options.WebhookDuplicateRate must be between 0 and 1")
	}
	if err := o.LegacyReading.validate(); err != nil {
		panic("activecampaign: Options.LegacyReading: " + err.Error())
	}
	if err := o.SegmentMatch.validate(); err != nil {
		panic("activecampaign: Options.SegmentMatch: " + err.Error())
	}
	if err := o.FieldValueFilter.validate(); err != nil {
		panic("activecampaign: Options.FieldValueFilter: " + err.Error())
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	mustKnowPermissions(o.DeniedPermissions)
	if err := checkRedirectTarget(o.RedirectTo); err != nil {
		panic("activecampaign: Options.RedirectTo: " + err.Error())
	}
	if err := checkErrorPage(o.ErrorPage); err != nil {
		panic("activecampaign: Options.ErrorPage: " + err.Error())
	}
	return o
}

// gateRate converts the Options convention (0 = real limit, negative = off)
// to the Gate's (0 = off).
func (o Options) gateRate() int {
	switch {
	case o.RatePerSecond == 0:
		return 5
	case o.RatePerSecond < 0:
		return 0
	}
	return o.RatePerSecond
}

// Server is the sandbox: an http.Handler serving any number of accounts.
type Server struct {
	opts  Options
	log   *slog.Logger
	gate  *traffic.Gate
	mux   *http.ServeMux
	hooks *dispatcher
	loc   *time.Location // the accounts' time zone, for dates with an offset
	now   func() time.Time

	// matchRunDelay is Options.MatchRunDelay, changed by SetMatchRunDelay
	// while the server runs.
	matchRunDelay atomic.Int64

	mu       sync.RWMutex
	accounts map[string]*account
}

// New returns a running sandbox; Close stops its webhook workers.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		loc = time.FixedZone("CST", -6*3600)
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		mux:      http.NewServeMux(),
		loc:      loc,
		now:      time.Now,
		accounts: map[string]*account{},
	}
	s.gate = traffic.New(traffic.Config{
		RatePerSecond: opts.gateRate(),
		LimitStatus:   opts.LimitStatus,
		Account:       accountOf,
		WriteError:    writeGateError,
		Seed:          opts.Seed,
	})
	s.matchRunDelay.Store(int64(opts.MatchRunDelay))
	s.hooks = newDispatcher(s)
	s.routes()
	s.controlRoutes()
	return s
}

// ServeHTTP serves the API and the control API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Gate is the rate-limit / fault-injection layer in front of every API route.
func (s *Server) Gate() *traffic.Gate { return s.gate }

// Throttle answers every API request of account 429 with "Retry-After:
// <retryAfter in seconds>" for the next d (0 ends a throttle), before the
// request is processed: the account's 5 requests per second, shared with
// every other integration of the account, are used up by the others.
// ActiveCampaign's rate-limit docs show 429 with "Retry-After: 30"
// (developers.activecampaign.com/reference/rate-limits; spec §5).
func (s *Server) Throttle(account string, retryAfter, d time.Duration) error {
	if s.account(account) == nil {
		return fmt.Errorf("no account %q in this sandbox", account)
	}
	if err := s.gate.Throttle(account, traffic.Throttle{RetryAfter: retryAfter, For: d}); err != nil {
		return fmt.Errorf("retry_after_seconds must be at least 1 and for_seconds at least 0: %w", err)
	}
	return nil
}

// SetMatchRunDelay changes how long the segment-match runs started from
// now on stay not ready (Options.MatchRunDelay; 0 makes them ready at
// once). A benchmark takes many baselines quickly, then measures at the
// default delay.
func (s *Server) SetMatchRunDelay(d time.Duration) { s.matchRunDelay.Store(int64(max(d, 0))) }

// Close stops the webhook delivery workers; queued deliveries are dropped.
func (s *Server) Close() { s.hooks.close() }

// accountOf names the account of a request: the first path segment.
func accountOf(r *http.Request) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return name
}

// apiHandler serves one route of an authenticated account.
type apiHandler func(w http.ResponseWriter, r *http.Request, a *account)

// handle registers an API route. The Gate sees the route without its
// account prefix ("GET /api/3/contacts"), so one fault rule covers every
// account and the names match the real API's paths.
func (s *Server) handle(method, path string, h apiHandler) {
	name := method + " /api/3" + path
	s.mux.Handle(method+" /{account}/api/3"+path, s.gate.Wrap(name, s.edge(s.authed(permitted(permissionOf(path), method, h)))))
}

// authed resolves the account and checks its Api-Token (401 if refused).
func (s *Server) authed(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := s.account(r.PathValue("account"))
		if a == nil {
			writeError(w, http.StatusNotFound, "Not Found", "No account "+r.PathValue("account")+" in this sandbox.")
			return
		}
		if !a.access.keyOK(r.Header.Get("Api-Token")) {
			writeUnauthorized(w)
			return
		}
		h(&accountWriter{ResponseWriter: w, access: a.access}, r, a)
	})
}

// routes registers the API routes: those autocred's client calls; those
// the tests outside sim call to change an account as its user would (PUT
// and DELETE /contacts/{id}, POST /fields); and /lists and /contactLists,
// which a person trying autocred with `autocred sim` uses by hand to
// subscribe or unsubscribe a contact: nothing else fires the subscribe and
// unsubscribe webhooks autocred listens to. Tags and segments are changed
// through the control API (control.go). See docs/sandboxes.md, "By hand".
func (s *Server) routes() {
	s.handle("GET", "/users/me", s.getMe)

	s.handle("GET", "/contacts", s.listContacts)
	s.handle("PUT", "/contacts/{id}", s.updateContact)
	s.handle("DELETE", "/contacts/{id}", s.deleteContact)
	s.handle("GET", "/contacts/{id}/fieldValues", s.contactFieldValues)

	s.handle("GET", "/fields", s.listFields)
	s.handle("GET", "/fieldValues", s.listFieldValues)
	s.handle("POST", "/fields", s.createField)

	s.handle("GET", "/lists", s.listLists)
	s.handle("POST", "/contactLists", s.createContactList)

	s.handle("GET", "/audiences", s.listAudiences)
	s.handle("GET", "/segments", s.listLegacySegments)

	s.handle("GET", "/segmentMatchAll/{segment}", s.startMatchAll)
	s.handle("GET", "/segmentMatchAll/{segment}/{run}", s.pollMatchAll)
	s.handle("GET", "/segmentMatchSome/{segment}/{run}", s.pageMatchSome)
	s.handle("GET", "/segmentMatch/{segment}/{contact}", s.matchOne)

	s.handle("GET", "/webhooks", s.listWebhooks)
	s.handle("POST", "/webhooks", s.createWebhook)
	s.handle("GET", "/webhooks/{id}", s.getWebhook)
	s.handle("DELETE", "/webhooks/{id}", s.deleteWebhook)

	// Anything else under an account's /api/3 is an unknown resource.
	s.mux.Handle("/{account}/api/3/{rest...}", s.gate.Wrap("* /api/3/unknown", s.edge(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found", "No such resource: "+r.Method+" "+r.URL.Path)
	}))))
}

// getMe is the cheap key check: GET /api/3/users/me.
func (s *Server) getMe(w http.ResponseWriter, r *http.Request, a *account) {
	base := apiBase(r, a)
	writeJSON(w, http.StatusOK, map[string]any{"user": map[string]any{
		"username":  "admin",
		"firstName": "Sandbox",
		"lastName":  "Admin",
		"email":     "admin@" + a.name + ".example.com",
		"phone":     "",
		"signature": nil,
		"links": map[string]string{
			"lists":           base + "/users/1/lists",
			"userGroup":       base + "/users/1/userGroup",
			"dealGroupTotals": base + "/users/1/dealGroupTotals",
		},
		"id": "1",
	}})
}

// apiBase is the account's v3 base URL as seen by this request, for links.
func apiBase(r *http.Request, a *account) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/" + a.name + "/api/3"
}

// v2Time formats a time the way the Segments v2 / matching APIs do (UTC, Z).
func v2Time(t time.Time) string { return t.UTC().Format(time.RFC3339) }
