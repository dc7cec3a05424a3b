// Package activecampaign is a client for the parts of ActiveCampaign's v3 API
// that autocred needs: checking a key, listing segments, reading a segment's
// complete membership, checking one contact, fetching contact details and
// custom fields, and managing webhooks.
//
// Every request of a Client goes through one rate limiter of the account
// (ActiveCampaign allows 5 requests per second per account, shared by every
// integration of it), and a 429 or 503 answer is waited out as Retry-After
// says before the request is sent again.
package activecampaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/autocred/autocred/internal/upstream"
)

// Config configures a Client.
type Config struct {
	// URL is the account's API URL as shown in ActiveCampaign under
	// Settings → Developer → API Access, e.g. https://acme.api-us1.com.
	// A trailing /api/3 is accepted and ignored.
	URL string
	// Key is the API key from the same page, sent as the Api-Token header.
	Key        string
	HTTPClient *http.Client
	Limiter    upstream.Limiter
	Observer   upstream.Observer
	// PollInterval is the first wait between polls of a segment evaluation;
	// it grows to 5 s. Default 1 s.
	PollInterval time.Duration
	// MaxRunAttempts is how many segment-match runs a snapshot starts when
	// runs fail or expire before it gives up. Default 3.
	MaxRunAttempts int
	// EvaluationTimeout bounds the wait for one segment evaluation to be
	// ready. Default 5 minutes.
	EvaluationTimeout time.Duration
	// WaitScale multiplies the waits that Retry-After asks for: tests
	// only (see upstream.Doer.WaitScale); 0 means 1.
	WaitScale float64
}

// Client talks to one ActiveCampaign account. It is safe for concurrent use.
type Client struct {
	base   string // scheme://host[/path] without a trailing slash
	key    string
	doer   *upstream.Doer
	poll   time.Duration
	runs   int
	evalTO time.Duration
	sleep  func(ctx context.Context, d time.Duration) error
	fields fieldCache
}

// New returns a Client for the account at cfg.URL.
func New(cfg Config) (*Client, error) {
	base, err := NormalizeURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.Key) == "" {
		return nil, errors.New("the API key is empty: copy it from Settings → Developer → API Access")
	}
	c := &Client{
		base: base,
		key:  strings.TrimSpace(cfg.Key),
		doer: &upstream.Doer{
			System:    "activecampaign",
			Client:    cfg.HTTPClient,
			Limiter:   cfg.Limiter,
			Observer:  cfg.Observer,
			WaitScale: cfg.WaitScale,
			// ActiveCampaign has been seen to answer 503 instead of 429
			// when a client goes over 5 requests per second.
			Throttled: func(status int) bool {
				return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
			},
		},
		poll:   cfg.PollInterval,
		runs:   cfg.MaxRunAttempts,
		evalTO: cfg.EvaluationTimeout,
		sleep:  upstream.Sleep,
	}
	if c.poll <= 0 {
		c.poll = time.Second
	}
	if c.runs <= 0 {
		c.runs = 3
	}
	if c.evalTO <= 0 {
		c.evalTO = 5 * time.Minute
	}
	return c, nil
}

// NormalizeURL checks an API URL as a user pastes it and returns it without
// a trailing slash or /api/3 suffix. Whether the host is allowed (the
// vendor's domains only, outside tests) is the caller's policy.
func NormalizeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("the API URL is empty: copy it from Settings → Developer → API Access (it looks like https://youraccount.api-us1.com)")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%q is not an API URL: it should look like https://youraccount.api-us1.com", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("the API URL must not carry a query, fragment or credentials: use only https://youraccount.api-us1.com")
	}
	p := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/3")
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(p, "/"), nil
}

// BaseURL is the account's API URL as normalised by New.
func (c *Client) BaseURL() string { return c.base }

// Error is an answer of ActiveCampaign that is not a success.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("activecampaign: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// ErrAuth matches (with errors.Is) an answer that refuses the API key.
var ErrAuth = errors.New("activecampaign: the API key was refused")

// ErrNotFound matches an answer that the object does not exist.
var ErrNotFound = errors.New("activecampaign: not found")

// Is lets errors.Is(err, ErrAuth) and errors.Is(err, ErrNotFound) classify.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrAuth:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	}
	return false
}

// decodeError reads an error answer. There is no single error schema: try
// the JSON:API-like errors[] first, then the older {"message"}, and keep the
// raw body otherwise.
func decodeError(status int, body []byte) error {
	var shaped struct {
		Errors []struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
		} `json:"errors"`
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(body, &shaped) == nil {
		var parts []string
		for _, e := range shaped.Errors {
			switch {
			case e.Title != "" && e.Detail != "":
				parts = append(parts, e.Title+": "+e.Detail)
			case e.Title != "" || e.Detail != "":
				parts = append(parts, e.Title+e.Detail)
			}
		}
		msg = strings.Join(parts, "; ")
		if msg == "" {
			msg = shaped.Message
		}
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &Error{Status: status, Message: msg}
}

// get sends a GET of path (below /api/3) with query and decodes a 2xx JSON
// answer into out.
func (c *Client) get(ctx context.Context, endpoint, path string, query url.Values, out any) error {
	return c.call(ctx, http.MethodGet, endpoint, path, query, nil, out)
}

func (c *Client) call(ctx context.Context, method, endpoint, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("activecampaign %s: encoding request: %w", endpoint, err)
		}
	}
	target := c.base + "/api/3" + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	resp, err := c.doer.Do(ctx, endpoint, func(ctx context.Context) (*http.Request, error) {
		var rd io.Reader
		if payload != nil {
			rd = strings.NewReader(string(payload))
		}
		req, err := http.NewRequestWithContext(ctx, method, target, rd)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Api-Token", c.key)
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, nil
	})
	if err != nil {
		return err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return fmt.Errorf("%s: %w", endpoint, decodeError(resp.Status, resp.Body))
	}
	if out == nil || len(resp.Body) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("activecampaign %s: unreadable answer: %w", endpoint, err)
	}
	return nil
}

// User is the owner of an API key.
type User struct {
	ID        ID     `json:"id"`
	Username  string `json:"username"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
}

// CheckKey makes the cheapest authenticated call, GET /users/me, to prove
// that the URL and key work. A refused key matches ErrAuth.
func (c *Client) CheckKey(ctx context.Context) (User, error) {
	var out struct {
		User User `json:"user"`
	}
	if err := c.get(ctx, "GET /users/me", "/users/me", nil, &out); err != nil {
		return User{}, err
	}
	return out.User, nil
}
