// Package web serves autocred's web UI: sign-in, connections, the guided
// automation form, runs and health, as server-rendered pages that work
// without JavaScript. A small hand-written script adds the token picker,
// the segment search, the live preview and live refresh. Every rule is the
// service's: the handlers parse forms, call the service and show its
// errors beside the inputs they name.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"time"

	"github.com/autocred/autocred/internal/metrics"
	"github.com/autocred/autocred/service"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the UI.
type Config struct {
	Service *service.Service
	Auth    *service.Auth    // users, sessions and the sign-in limits
	Metrics *metrics.Metrics // for the health page; may be nil
	Logger  *slog.Logger     // nil: discard
	// PublicURLSet tells whether ActiveCampaign can reach autocred's
	// webhook endpoint; without it detection is by polling only, and the
	// UI says what that means for the delay.
	PublicURLSet bool
	// Secure marks cookies Secure: true unless serving plain http on
	// localhost.
	Secure bool
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// (--trusted-proxies), for the sign-in limits per client address;
	// from any other peer the header is ignored.
	TrustedProxies []netip.Prefix
	// Now is the clock of the sign-in limits; nil: time.Now. Tests move it.
	Now func() time.Time
}

type handler struct {
	svc          *service.Service
	auth         *service.Auth
	metrics      *metrics.Metrics
	log          *slog.Logger
	publicURLSet bool
	secure       bool
	proxies      []netip.Prefix
	now          func() time.Time
	checks       passwordChecks
	pages        map[string]pageTemplate
	partials     *template.Template
}

// handlerFunc serves a request, or returns an error for the caller to show
// in the page's or the JSON endpoint's way.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is a page or endpoint that needs a signed-in user. json routes
// answer 401 instead of redirecting to the sign-in page. The tests iterate
// over routes, so a route added here is checked for authentication.
type route struct {
	method, path string
	json         bool
	serve        handlerFunc
}

func (h *handler) routes() []route {
	return []route{
		{"GET", "/{$}", false, h.home},
		{"POST", "/signout", false, h.signout},

		{"GET", "/connections", false, h.connectionsPage},
		{"POST", "/connections", false, h.createConnection},
		{"POST", "/connections/{id}/delete", false, h.deleteConnection},
		{"POST", "/connections/{id}/resume-automations", false, h.resumeAutomations},

		{"GET", "/automations", false, h.automationsPage},
		{"GET", "/automations/live", true, h.automationsLive},
		{"GET", "/automations/new", false, h.newAutomationPage},
		{"POST", "/automations", false, h.createAutomation},
		{"POST", "/automations/preview", true, h.preview},
		{"GET", "/automations/{id}", false, h.automationPage},
		{"GET", "/automations/{id}/live", true, h.automationLive},
		{"GET", "/automations/{id}/edit", false, h.editAutomationPage},
		{"POST", "/automations/{id}", false, h.updateAutomation},
		{"POST", "/automations/{id}/delete", false, h.deleteAutomation},
		{"GET", "/automations/{id}/runs.csv", false, h.exportRuns},
		{"POST", "/automations/{id}/{action}", false, h.controlAutomation},

		{"GET", "/runs", false, h.searchPage},
		{"GET", "/runs/{id}", false, h.runPage},
		{"GET", "/runs/{id}/live", true, h.runLive},
		{"POST", "/runs/{id}/retry", false, h.retryRun},
		{"POST", "/runs/{id}/resend", false, h.resendEmail},

		{"GET", "/health", false, h.healthPage},
		{"GET", "/health/live", true, h.healthLive},
	}
}

// New returns the UI's handler. It serves "/" and everything under it but
// /api/, /healthz, /readyz, /metrics and /hooks/, which the caller routes
// first.
func New(cfg Config) http.Handler {
	h := &handler{svc: cfg.Service, auth: cfg.Auth, metrics: cfg.Metrics, log: cfg.Logger,
		publicURLSet: cfg.PublicURLSet, secure: cfg.Secure, proxies: cfg.TrustedProxies, now: cfg.Now,
		checks: make(passwordChecks, max(1, runtime.GOMAXPROCS(0)/2))}
	if h.now == nil {
		h.now = time.Now
	}
	h.pages, h.partials = parsePages()
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	// Browsers ask for /favicon.ico whatever the page says (a bookmark, a
	// feed reader): it is the same small icon, not a 404 in every log.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /signin", h.page(h.signinPage))
	mux.HandleFunc("POST /signin", h.page(storableInput(h.signin)))
	mux.HandleFunc("GET /setup", h.page(h.setupPage))
	mux.HandleFunc("POST /setup", h.page(storableInput(h.setup)))
	for _, rt := range h.routes() {
		serve := h.page(storableInput(rt.serve))
		if rt.json {
			serve = h.jsonEndpoint(storableInput(rt.serve))
		}
		mux.HandleFunc(rt.method+" "+rt.path, h.requireUser(rt.json, serve))
	}
	// Forms post to the same origin; a cross-origin POST (a page of
	// another site submitting a form here) is refused with 403.
	return securityHeaders(withViewerZone(http.NewCrossOriginProtection().Handler(mux)))
}

// securityHeaders keeps the pages from being framed or fed scripts from
// elsewhere. Inline scripts and styles are not allowed: the script and
// stylesheet are files, and data for the script is in JSON blocks.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func cacheFor(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+itoa(int64(d.Seconds())))
		next.ServeHTTP(w, r)
	})
}
