// Package accounts makes the API clients of the connected accounts: an
// ActiveCampaign or Certifier client for a stored connection (its key
// opened, the client cached until the connection changes), or for a URL
// and key a user is about to save. The engine's jobs and the service's
// checks and pickers both use it; clients of one account share one rate
// limiter, whoever calls.
package accounts

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/internal/ratelimit"
	"github.com/autocred/autocred/internal/secret"
	"github.com/autocred/autocred/internal/upstream"
)

// Clients makes the API clients of connections. Clients of one account
// share one rate limiter, whatever connection or job they serve: the budget
// belongs to the account.
type Clients struct {
	box       *secret.Box
	http      *http.Client
	observer  upstream.Observer
	acLimits  *ratelimit.Registry
	crtLimits *ratelimit.Registry
	// ACPollInterval is the first wait between polls of a segment
	// evaluation; tests shorten it.
	ACPollInterval time.Duration
	publicBase     string
	waitScale      float64
	breakers       Breakers
	crtPaced       bool

	mu    sync.Mutex
	ac    map[int64]cachedAC
	certs map[int64]cachedCert
}

type cachedAC struct {
	updated time.Time
	client  *activecampaign.Client
}

type cachedCert struct {
	updated time.Time
	client  *certifier.Client
	limiter *ratelimit.Limiter
}

// Connections is where the stored connections are: the store.
type Connections interface {
	Connection(ctx context.Context, id int64) (autocred.Connection, error)
	// ConnectionSecret is the connection's key, sealed (secret.Box).
	ConnectionSecret(ctx context.Context, id int64) ([]byte, error)
}

// Breakers gives the circuit breaker of a Certifier connection (the
// engine's circuits).
type Breakers interface {
	Breaker(connID int64) certifier.Breaker
}

// Config configures New.
type Config struct {
	Box                *secret.Box
	HTTPClient         *http.Client
	Observer           upstream.Observer
	ACPerSecond        float64 // per ActiveCampaign account; default 4
	CertifierPerSecond float64 // per Certifier workspace; default 8
	// SharedLimits, when set, keeps the accounts' request budgets where
	// every node of a cluster draws from them (the PostgreSQL store);
	// nil keeps them in this process.
	SharedLimits   ratelimit.Reserver
	ACPollInterval time.Duration
	// PublicBase is where credentials' public pages live; a credential's
	// link is PublicBase/<publicId>. Default DefaultPublicBase.
	PublicBase string
	// RetryAfterScale multiplies the waits ActiveCampaign's Retry-After
	// asks for. Tests only: 0.1 honours a "Retry-After: 30" in 3 s, so
	// that a test of long waits stays short. 0 means 1.
	RetryAfterScale float64
	// Breakers, when set, puts every call of a stored Certifier
	// connection behind the connection's circuit breaker.
	Breakers Breakers
}

// departures is an Observer that also counts the requests of each account
// as they leave (metrics.Metrics does).
type departures interface {
	Departed(system string, inLastSecond int)
}

// DefaultPublicBase is the digital wallet that shows Certifier credentials.
const DefaultPublicBase = "https://credsverse.com/credentials"

// New returns a client factory.
func New(cfg Config) *Clients {
	if cfg.ACPerSecond == 0 {
		cfg.ACPerSecond = 4
	}
	if cfg.CertifierPerSecond == 0 {
		cfg.CertifierPerSecond = 8
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = newHTTPClient()
	}
	acLimits, crtLimits := ratelimit.NewRegistry(cfg.ACPerSecond), ratelimit.NewRegistry(cfg.CertifierPerSecond)
	if cfg.SharedLimits != nil {
		acLimits = ratelimit.NewSharedRegistry("activecampaign", cfg.ACPerSecond, cfg.SharedLimits)
		crtLimits = ratelimit.NewSharedRegistry("certifier", cfg.CertifierPerSecond, cfg.SharedLimits)
	}
	if o, ok := cfg.Observer.(departures); ok {
		acLimits.OnLeave(func(n int) { o.Departed("activecampaign", n) })
		crtLimits.OnLeave(func(n int) { o.Departed("certifier", n) })
	}
	return &Clients{
		box: cfg.Box, http: cfg.HTTPClient, observer: cfg.Observer,
		acLimits:       acLimits,
		crtLimits:      crtLimits,
		ACPollInterval: cfg.ACPollInterval,
		waitScale:      cfg.RetryAfterScale,
		breakers:       cfg.Breakers,
		crtPaced:       cfg.CertifierPerSecond > 0,
		publicBase:     strings.TrimSuffix(cmp.Or(cfg.PublicBase, DefaultPublicBase), "/"),
		ac:             map[int64]cachedAC{}, certs: map[int64]cachedCert{},
	}
}

// idleConnsPerHost is how many idle connections to one host the upstream
// client keeps for the next calls: more than the engine's 20 issue workers,
// which call one Certifier host at once.
const idleConnsPerHost = 32

// newHTTPClient is the client of every upstream call. Go's default
// transport keeps 2 idle connections per host: with 20 issue workers
// calling Certifier at once, most calls found none free, opened a new
// connection (over HTTPS, a new TLS handshake too) and closed it after, and
// dialling alone took 7% of autocred's CPU at full speed
// (docs/benchmarks.md, "Engine overhead").
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = idleConnsPerHost
	return &http.Client{Timeout: 60 * time.Second, Transport: t}
}

// PublicLink is the public page of a credential.
func (c *Clients) PublicLink(publicID string) string {
	if publicID == "" {
		return ""
	}
	return c.publicBase + "/" + publicID
}

// NewActiveCampaign builds a client for a URL and key not stored yet, e.g.
// to check them before a connection is saved.
func (c *Clients) NewActiveCampaign(apiURL, key string) (*activecampaign.Client, error) {
	base, err := activecampaign.NormalizeURL(apiURL)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(base)
	return activecampaign.New(activecampaign.Config{
		URL: base, Key: key, HTTPClient: c.http, Observer: c.observer,
		// The account is the host (and path, for sandboxes that serve
		// several accounts on one host).
		Limiter:      c.acLimits.For(u.Host + u.Path),
		PollInterval: c.ACPollInterval,
		WaitScale:    c.waitScale,
	})
}

// NewCertifier builds a client for a URL and token not stored yet.
func (c *Clients) NewCertifier(apiURL, token string) (*certifier.Client, error) {
	return c.newCertifier(apiURL, token, nil)
}

func (c *Clients) newCertifier(apiURL, token string, breaker certifier.Breaker) (*certifier.Client, error) {
	client, _, err := c.newCertifierLimited(apiURL, token, breaker)
	return client, err
}

// newCertifierLimited is newCertifier, and the workspace's limiter.
func (c *Clients) newCertifierLimited(apiURL, token string, breaker certifier.Breaker) (*certifier.Client, *ratelimit.Limiter, error) {
	sum := sha256.Sum256([]byte(token))
	// A token belongs to one workspace: its budget is keyed by it.
	limiter := c.crtLimits.For(apiURL + "#" + hex.EncodeToString(sum[:8]))
	client, err := certifier.New(certifier.Config{
		URL: apiURL, Token: token, HTTPClient: c.http, Observer: c.observer,
		Limiter: limiter,
		Breaker: breaker,
	})
	return client, limiter, err
}

// secretOf opens a stored connection's key.
func (c *Clients) secretOf(ctx context.Context, st Connections, conn autocred.Connection) (string, error) {
	sealed, err := st.ConnectionSecret(ctx, conn.ID)
	if err != nil {
		return "", err
	}
	return c.box.Open(sealed)
}

// ActiveCampaign returns the client of a stored connection.
func (c *Clients) ActiveCampaign(ctx context.Context, st Connections, connID int64) (*activecampaign.Client, error) {
	conn, err := st.Connection(ctx, connID)
	if err != nil {
		return nil, err
	}
	if conn.App != autocred.AppActiveCampaign {
		return nil, autocred.Errorf(autocred.EINVALID, "connection %d is a %s connection, not ActiveCampaign", connID, conn.App)
	}
	c.mu.Lock()
	cached, ok := c.ac[connID]
	c.mu.Unlock()
	if ok && cached.updated.Equal(conn.UpdatedAt) {
		return cached.client, nil
	}
	key, err := c.secretOf(ctx, st, conn)
	if err != nil {
		return nil, fmt.Errorf("connection %d: %w", connID, err)
	}
	client, err := c.NewActiveCampaign(conn.APIURL, key)
	if err != nil {
		return nil, fmt.Errorf("connection %d: %w", connID, err)
	}
	c.mu.Lock()
	c.ac[connID] = cachedAC{updated: conn.UpdatedAt, client: client}
	c.mu.Unlock()
	return client, nil
}

// Certifier returns the client of a stored connection.
func (c *Clients) Certifier(ctx context.Context, st Connections, connID int64) (*certifier.Client, error) {
	conn, err := st.Connection(ctx, connID)
	if err != nil {
		return nil, err
	}
	if conn.App != autocred.AppCertifier {
		return nil, autocred.Errorf(autocred.EINVALID, "connection %d is a %s connection, not Certifier", connID, conn.App)
	}
	c.mu.Lock()
	cached, ok := c.certs[connID]
	c.mu.Unlock()
	if ok && cached.updated.Equal(conn.UpdatedAt) {
		return cached.client, nil
	}
	token, err := c.secretOf(ctx, st, conn)
	if err != nil {
		return nil, fmt.Errorf("connection %d: %w", connID, err)
	}
	var breaker certifier.Breaker
	if c.breakers != nil {
		breaker = c.breakers.Breaker(connID)
	}
	client, limiter, err := c.newCertifierLimited(conn.APIURL, token, breaker)
	if err != nil {
		return nil, fmt.Errorf("connection %d: %w", connID, err)
	}
	c.mu.Lock()
	c.certs[connID] = cachedCert{updated: conn.UpdatedAt, client: client, limiter: limiter}
	c.mu.Unlock()
	return client, nil
}

// CertifierPaced tells whether requests to Certifier are paced, and so
// whether its workspaces have lines (CertifierLine); a nil Clients (an
// engine built without accounts, in tests) has none.
func (c *Clients) CertifierPaced() bool { return c != nil && c.crtPaced }

// CertifierLine takes a place in the line of a stored Certifier
// connection's workspace for work that will make n requests, one of a
// batch or single, and says how long until its place comes
// (ratelimit.Limiter.Line).
func (c *Clients) CertifierLine(ctx context.Context, st Connections, connID int64, n int, batch bool) (time.Duration, error) {
	if _, err := c.Certifier(ctx, st, connID); err != nil {
		return 0, err
	}
	c.mu.Lock()
	limiter := c.certs[connID].limiter
	c.mu.Unlock()
	if limiter == nil {
		return 0, nil
	}
	return limiter.Line(ctx, n, batch)
}
