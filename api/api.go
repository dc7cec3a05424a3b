// Package api serves autocred's REST API under /api/v1/: JSON in and out,
// a bearer token on every call but the OpenAPI document, and one service
// call per operation, so that the API and the UI apply the same rules.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
)

// prefix is where the API lives; the OpenAPI document's server URL.
const prefix = "/api/v1"

// Config configures the handler.
type Config struct {
	Service *service.Service
	Tokens  interface {
		CheckToken(ctx context.Context, token string) (name string, err error)
	} // *service.Auth
	Logger *slog.Logger // nil: discard
}

// New returns the handler of everything under /api/v1/.
func New(cfg Config) http.Handler {
	h := &handler{svc: cfg.Service, tokens: cfg.Tokens, log: cfg.Logger, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	for _, rt := range h.routes() {
		h.register(rt, h.authenticated(rt.serve))
	}
	for _, rt := range h.publicRoutes() {
		h.register(rt, rt.serve)
	}
	slices.Sort(h.methods)
	return h
}

type handler struct {
	svc    *service.Service
	tokens interface {
		CheckToken(context.Context, string) (string, error)
	}
	log     *slog.Logger
	mux     *http.ServeMux
	methods []string // every method some route answers, for Allow
}

// handlerFunc is an operation. It writes its answer, or returns an error
// for the caller to write, so that every error takes the same shape.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one operation: a method and a path under prefix, in the syntax
// of http.ServeMux patterns, which is also OpenAPI's path syntax.
type route struct {
	method, path string
	serve        handlerFunc
}

// routes lists the operations that need a token. The tests iterate over it,
// so a route added here is checked for authentication and documentation.
func (h *handler) routes() []route {
	return []route{
		{"POST", "/connections", h.createConnection},
		{"POST", "/connections/{id}/resume-automations", h.resumeAutomationsOf},
		{"GET", "/connections", h.listConnections},
		{"PUT", "/connections/{id}", h.reconnectConnection},
		{"DELETE", "/connections/{id}", h.deleteConnection},
		{"GET", "/connections/{id}/segments", h.listSegments},
		{"GET", "/connections/{id}/groups", h.listGroups},
		{"GET", "/connections/{id}/attributes", h.listAttributes},
		{"GET", "/connections/{id}/fields", h.listFields},

		{"POST", "/automations", h.createAutomation},
		{"GET", "/automations", h.listAutomations},
		{"GET", "/automations/{id}", h.getAutomation},
		{"PATCH", "/automations/{id}", h.updateAutomation},
		{"DELETE", "/automations/{id}", h.deleteAutomation},
		{"POST", "/automations/{id}/restore", h.restoreAutomation},
		{"POST", "/automations/{id}/activate", h.activateAutomation},
		{"POST", "/automations/{id}/pause", h.pauseAutomation},
		{"POST", "/automations/{id}/resume", h.resumeAutomation},
		{"POST", "/automations/{id}/sync", h.syncAutomation},
		{"POST", "/automations/{id}/retry-failed", h.retryFailed},
		{"POST", "/automations/{id}/retry-stopped-entrants", h.retryStoppedEntrants},
		{"POST", "/automations/{id}/resend-unconfirmed", h.resendUnconfirmed},
		{"GET", "/automations/{id}/runs", h.listRuns},
		{"DELETE", "/automations/{id}/runs", h.deleteRunHistory},
		{"GET", "/automations/{id}/runs.csv", h.exportRuns},

		{"GET", "/runs", h.listAllRuns},
		{"GET", "/runs/{id}", h.getRun},
		{"POST", "/runs/{id}/retry", h.retryRun},
		{"POST", "/runs/{id}/resend", h.resendEmail},
	}
}

// publicRoutes lists the operations anyone may call.
func (h *handler) publicRoutes() []route {
	return []route{
		{"GET", "/openapi.json", serveOpenAPI},
	}
}

func (h *handler) register(rt route, serve handlerFunc) {
	h.mux.HandleFunc(rt.method+" "+prefix+rt.path, func(w http.ResponseWriter, r *http.Request) {
		if err := serve(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
	if !slices.Contains(h.methods, rt.method) {
		h.methods = append(h.methods, rt.method)
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	// The mux answers unknown paths and methods in plain text; a client
	// of a JSON API should get JSON errors there too.
	if _, pattern := h.mux.Handler(r); pattern == "" {
		if err := h.unrouted(sw, r); err != nil {
			h.writeError(sw, r, err)
		}
	} else {
		h.mux.ServeHTTP(sw, r)
	}
	// Headers and bodies carry tokens and keys: only the request line
	// and its outcome are logged.
	h.log.LogAttrs(r.Context(), slog.LevelDebug, "api request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", sw.status()), slog.Duration("duration", time.Since(start)))
}

// unrouted answers a request no route matches: 405 with Allow when other
// methods match its path, 404 otherwise.
func (h *handler) unrouted(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range h.methods {
		// A shallow copy will do: Handler only reads the method and URL.
		probe := *r
		probe.Method = m
		if _, pattern := h.mux.Handler(&probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return autocred.Errorf(autocred.ENOTFOUND, "no such route: %s; the routes are listed in %s/openapi.json", r.URL.Path, prefix)
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return writeJSON(w, http.StatusMethodNotAllowed, errorResponse{errorBody{
		Code:    autocred.EUNSUPPORTED,
		Message: fmt.Sprintf("%s does not take %s; it takes %s", r.URL.Path, r.Method, strings.Join(allow, ", ")),
	}})
}

// authenticated lets a request through to next only with a valid API token.
func (h *handler) authenticated(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return autocred.Errorf(autocred.EUNAUTHORIZED, "this API needs a token: send the header Authorization: Bearer <token>")
		}
		name, err := h.tokens.CheckToken(r.Context(), token)
		if err != nil {
			return err
		}
		return next(w, r.WithContext(context.WithValue(r.Context(), tokenNameKey{}, name)))
	}
}

type tokenNameKey struct{}

// actor is who makes a request, as a run's log names who retried or
// resent it: API token "<name>".
func actor(r *http.Request) string {
	name, _ := r.Context().Value(tokenNameKey{}).(string)
	return "API token " + strconv.Quote(name)
}

// writeJSON writes v with a status. v is encoded before anything is sent,
// so that an encoding failure can still become a 500.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// statusWriter remembers the status written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
