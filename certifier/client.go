// Package certifier is a client for Certifier's REST API (api.certifier.io/v1):
// groups and attributes for the pickers, credentials created, issued and
// sent, and the search that finds a credential whose creation had an unknown
// outcome.
//
// Certifier has no idempotency key, so a create that got no answer may or may
// not have made a credential. Errors say which case a failure is (see Kind),
// so that the caller searches before it creates again.
package certifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/autocred/autocred/internal/upstream"
)

// DefaultURL is Certifier's API base.
const DefaultURL = "https://api.certifier.io/v1"

// DefaultVersion is the only documented value of the Certifier-Version header.
const DefaultVersion = "2022-10-26"

// Config configures a Client.
type Config struct {
	URL        string // default DefaultURL
	Token      string // an access token (Settings → Developers → Access Tokens)
	Version    string // default DefaultVersion
	HTTPClient *http.Client
	Limiter    upstream.Limiter
	Observer   upstream.Observer
	// Breaker, when set, is asked before every call and told how each
	// ended (see Breaker); nil: every call is made.
	Breaker Breaker
}

// Breaker is a circuit breaker in front of one workspace's calls: every
// call of a Client passes through it, so that it sees every outcome.
type Breaker interface {
	// Allow returns nil when the call may be made, or the error the call
	// returns instead (it is not made).
	Allow(ctx context.Context, endpoint string) error
	// Done reports a call that was made, or tried: err is nil on success,
	// otherwise what the call returns (an *Error, or the limiter's or the
	// context's error when nothing was sent).
	Done(ctx context.Context, endpoint string, err error)
}

// Client talks to one Certifier workspace. It is safe for concurrent use.
type Client struct {
	base    string
	token   string
	version string
	doer    *upstream.Doer
	breaker Breaker
}

// New returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := NormalizeURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	token := strings.TrimSpace(cfg.Token)
	if token == "" {
		return nil, errors.New("the access token is empty: create one in Certifier under Settings → Developers → Access Tokens")
	}
	version := cfg.Version
	if version == "" {
		version = DefaultVersion
	}
	return &Client{
		base:    base,
		token:   token,
		version: version,
		doer:    &upstream.Doer{System: "certifier", Client: cfg.HTTPClient, Limiter: cfg.Limiter, Observer: cfg.Observer},
		breaker: cfg.Breaker,
	}, nil
}

// NormalizeURL checks an API base URL; empty means DefaultURL.
func NormalizeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return DefaultURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.User != nil {
		return "", fmt.Errorf("%q is not a Certifier API URL: leave it empty for %s", raw, DefaultURL)
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/"), nil
}

// call sends one request and decodes a 2xx answer into out. A request that
// changes something (anything but a read or a search) has an unknown
// outcome when it gets no answer or a 5xx: the change may have been made.
// The Breaker, if any, may refuse it first and is told how it ended.
func (c *Client) call(ctx context.Context, method, endpoint, path string, query url.Values, body, out any) error {
	if c.breaker == nil {
		return c.send(ctx, method, endpoint, path, query, body, out)
	}
	if err := c.breaker.Allow(ctx, endpoint); err != nil {
		return err
	}
	err := c.send(ctx, method, endpoint, path, query, body, out)
	c.breaker.Done(ctx, endpoint, err)
	return err
}

// send is call without the Breaker.
func (c *Client) send(ctx context.Context, method, endpoint, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("certifier %s: encoding request: %w", endpoint, err)
		}
	}
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	mutates := method != http.MethodGet && endpoint != "POST /credentials/search"
	resp, err := c.doer.Do(ctx, endpoint, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Certifier-Version", c.version)
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, nil
	})
	if err != nil {
		var netErr *upstream.NetworkError
		var re *upstream.RedirectError
		var notSent *upstream.NotSentError
		switch {
		case errors.As(err, &re):
			// The host sent us elsewhere instead of answering. Not a
			// 4xx refusal (Refused is false), so a run keeps its step
			// and searches before it creates again: one call, and safe
			// whatever a misbehaving host did with the request.
			return redirectError(re)
		case errors.As(err, &netErr):
			return &Error{Endpoint: endpoint, Message: upstream.DescribeNetwork(netErr.Err), unknownOutcome: mutates, network: true, cause: netErr.Err}
		case errors.As(err, &notSent):
			// Never sent: nothing to reconcile, and no answer lost.
			return &Error{Endpoint: endpoint, Message: "not sent: autocred stopped waiting for its turn to call Certifier", notSent: true, described: true, cause: err}
		case errors.Is(err, upstream.ErrThrottled):
			// Not processed. The cause keeps how long to wait
			// (*upstream.ThrottledError), for a caller that snoozes.
			return &Error{Endpoint: endpoint, Status: http.StatusTooManyRequests, Code: "rate_limited", Message: err.Error(), cause: err}
		}
		return err
	}
	if resp.Status < 200 || resp.Status > 299 {
		e := decodeError(endpoint, resp.Status, resp.Body)
		e.unknownOutcome = mutates && resp.Status >= 500
		return e
	}
	if out == nil || len(bytes.TrimSpace(resp.Body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		// The call succeeded, but what it made is unknown to us.
		return &Error{Endpoint: endpoint, Status: resp.Status, Message: "unreadable answer: " + err.Error(), unknownOutcome: mutates}
	}
	return nil
}
