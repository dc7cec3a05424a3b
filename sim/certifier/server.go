package certifier

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autocred/autocred/sim/traffic"
)

const (
	defaultRatePerSecond = 10
	defaultPublicBaseURL = "https://credsverse.com/credentials"
)

// Options configures a Server.
type Options struct {
	// RatePerSecond is each workspace's budget of API requests in any
	// sliding second. Certifier publishes no number (spec §5); 0 means the
	// default of 10, a negative value turns the limit off.
	RatePerSecond int
	// Seed makes fault injection and the sample data repeatable.
	Seed   uint64
	Logger *slog.Logger // nil: discard
	// PublicBaseURL is the base of the credentials' public links, as sent in
	// emails: PublicBaseURL + "/" + publicId. Default
	// "https://credsverse.com/credentials".
	PublicBaseURL string
	// Now is the clock (tests may replace it); nil means time.Now. It also
	// drives the rate limit and fault storms.
	Now func() time.Time
	// Search is how strictly POST /credentials/search reads its filter and
	// sort; "" means DefaultSearchMode. SetStrictSearch (or PUT
	// /_sandbox/search) changes it while the server runs.
	Search SearchMode
}

// SearchMode is how strictly the sandbox's POST /credentials/search reads
// a request.
type SearchMode string

const (
	// SearchStrict takes only the fields, operators and sort property that
	// Certifier's search reference documents, and answers 400
	// validation_error to anything else (see searchBody).
	SearchStrict SearchMode = "strict"
	// SearchLenient also takes the sandbox's own extras: id, publicId,
	// groupId, createdAt ranges, and sorting on updatedAt and issueDate.
	SearchLenient SearchMode = "lenient"
)

// DefaultSearchMode is the search mode of Options without one: strict, so
// that every test, the demo and the benchmarks meet the search Certifier
// documents, not one that works only here.
const DefaultSearchMode = SearchStrict

// Server is the sandbox: an http.Handler serving the Certifier API under /v1
// and the sandbox control API under /_sandbox, for any number of workspaces.
type Server struct {
	opts Options
	log  *slog.Logger
	ids  *idSource
	gate *traffic.Gate
	mux  *http.ServeMux

	// strictSearch is the search mode in force: true for SearchStrict.
	strictSearch atomic.Bool

	mu         sync.RWMutex
	workspaces map[string]*workspace
	tokens     map[string]*workspace
	retired    []string // API versions answered invalid_version (account.go)
}

// New returns a Server with no workspaces.
func New(opts Options) *Server {
	switch {
	case opts.RatePerSecond == 0:
		opts.RatePerSecond = defaultRatePerSecond
	case opts.RatePerSecond < 0:
		opts.RatePerSecond = 0 // the Gate's "off"
	}
	if opts.PublicBaseURL == "" {
		opts.PublicBaseURL = defaultPublicBaseURL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Search == "" {
		opts.Search = DefaultSearchMode
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:       opts,
		log:        log.With("sandbox", "certifier"),
		ids:        &idSource{now: opts.Now},
		workspaces: map[string]*workspace{},
		tokens:     map[string]*workspace{},
	}
	s.strictSearch.Store(opts.Search != SearchLenient)
	s.gate = traffic.New(traffic.Config{
		RatePerSecond:  opts.RatePerSecond,
		OmitRetryAfter: true, // Certifier documents no Retry-After (spec §5)
		Account:        s.accountOf,
		WriteError:     writeGateError,
		Seed:           opts.Seed,
		Now:            opts.Now,
	})
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

func (s *Server) routes() {
	s.api("GET /v1/groups", s.listGroups)
	s.api("POST /v1/groups", s.createGroup)
	s.api("GET /v1/groups/{id}", s.getGroup)
	s.api("PATCH /v1/groups/{id}", s.updateGroup)
	s.api("DELETE /v1/groups/{id}", s.deleteGroup)

	s.api("GET /v1/attributes", s.listAttributes)

	s.api("POST /v1/credentials", s.createCredential)
	s.api("GET /v1/credentials", s.listCredentials)
	s.api("POST /v1/credentials/create-issue-send", s.createIssueSend)
	s.api("POST /v1/credentials/search", s.searchCredentials)
	s.api("GET /v1/credentials/{id}", s.getCredential)
	s.api("PATCH /v1/credentials/{id}", s.updateCredential)
	s.api("DELETE /v1/credentials/{id}", s.deleteCredential)
	s.api("POST /v1/credentials/{id}/issue", s.issueCredential)
	s.api("POST /v1/credentials/{id}/send", s.sendCredential)

	// An unknown route (or method) under /v1 is still a request to the API,
	// so it is counted and rate limited, but it needs no version or token:
	// there is nothing behind it to protect.
	s.mux.Handle("/v1/", s.gate.Wrap("/v1/", http.HandlerFunc(routeNotFound)))
	s.mux.HandleFunc("/", routeNotFound)

	s.registerControl()
}

func routeNotFound(w http.ResponseWriter, r *http.Request) {
	writeAPIError(w, notFound("no route %s %s", r.Method, r.URL.Path))
}

// endpoint is one API operation. It runs after the version and token
// checks, with the caller's workspace, and returns the status and body of
// its answer (a nil body writes none).
type endpoint func(ws *workspace, r *http.Request) (int, any, *apiError)

// api registers an endpoint behind the Gate and the version and token checks.
func (s *Server) api(pattern string, e endpoint) {
	s.mux.Handle(pattern, s.gate.Wrap(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, body, err := s.call(e, r)
		switch {
		case err != nil:
			s.log.Debug("request refused", "pattern", pattern, "status", err.status, "code", err.code, "message", err.message)
			writeAPIError(w, err)
		case body == nil:
			w.WriteHeader(status)
		default:
			writeJSON(w, status, body)
		}
	})))
}

func (s *Server) call(e endpoint, r *http.Request) (int, any, *apiError) {
	ws, err := s.authenticate(r)
	if err != nil {
		return 0, nil, err
	}
	return e(ws, r)
}

// ServeHTTP serves the API and the control API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Gate is the rate limit, fault injection and counters in front of the API.
func (s *Server) Gate() *traffic.Gate { return s.gate }

var (
	workspaceNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	tokenPattern         = regexp.MustCompile(`^[\x21-\x7e]{1,256}$`)
)

// AddWorkspace creates the workspace name if needed and gives it the access
// token. A workspace may hold several tokens; a token belongs to one
// workspace only.
func (s *Server) AddWorkspace(name, token string) error {
	if !workspaceNamePattern.MatchString(name) {
		return fmt.Errorf("workspace name %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	if !tokenPattern.MatchString(token) {
		return fmt.Errorf("token for workspace %q: use 1 to 256 visible ASCII characters without spaces", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if owner, ok := s.tokens[token]; ok {
		if owner.name == name {
			return nil
		}
		return fmt.Errorf("token already belongs to workspace %q", owner.name)
	}
	ws := s.workspaces[name]
	if ws == nil {
		ws = newWorkspace(name)
		s.workspaces[name] = ws
		s.log.Info("workspace added", "workspace", name)
	}
	ws.tokenCount++
	s.tokens[token] = ws
	return nil
}

// RevokeToken deletes an access token, as a user does in Certifier's
// settings: from then on it is answered 401 unauthorized.
func (s *Server) RevokeToken(token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, ok := s.tokens[token]
	if !ok {
		return fmt.Errorf("no workspace has this token")
	}
	delete(s.tokens, token)
	ws.tokenCount--
	s.log.Info("token revoked", "workspace", ws.name)
	return nil
}

// workspace returns the named workspace, or an error naming it.
func (s *Server) workspace(name string) (*workspace, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ws := s.workspaces[name]
	if ws == nil {
		return nil, fmt.Errorf("workspace %q does not exist", name)
	}
	return ws, nil
}

// workspaceList lists the workspaces in name order.
func (s *Server) workspaceList() []*workspace {
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := make([]*workspace, 0, len(s.workspaces))
	for _, ws := range s.workspaces {
		list = append(list, ws)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	return list
}

// SetStrictSearch switches POST /credentials/search between SearchStrict
// (on) and SearchLenient (off), for every workspace, from the next request.
func (s *Server) SetStrictSearch(on bool) {
	s.strictSearch.Store(on)
	s.log.Info("search mode set", "strict", on)
}

// StrictSearch reports whether search takes only what Certifier documents.
func (s *Server) StrictSearch() bool { return s.strictSearch.Load() }

// Reset returns the sandbox to its state after New: no workspaces, no fault
// rules, the configured rate limit and search mode, zeroed counters.
func (s *Server) Reset() {
	s.mu.Lock()
	s.workspaces = map[string]*workspace{}
	s.tokens = map[string]*workspace{}
	s.retired = nil
	s.mu.Unlock()
	_ = s.gate.SetRules(nil) // no rules is always valid
	_ = s.gate.SetLimitStatus(http.StatusTooManyRequests)
	s.gate.SetRatePerSecond(s.opts.RatePerSecond)
	s.strictSearch.Store(s.opts.Search != SearchLenient)
	s.gate.Reset()
	s.log.Info("reset")
}

// now is the current time at the millisecond precision the API shows.
func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }
