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
	// RetryPreferredAfter is how long a segment that segment matching
	// failed for is read through contacts?segmentid before segment
	// matching is tried again. Default 1 hour.
	RetryPreferredAfter time.Duration
	// WaitScale multiplies the waits that Retry-After asks for: tests
	// only (see upstream.Doer.WaitScale); 0 means 1.
	WaitScale float64
	// ContactReadSpacing is the least time between two gathered contact
	// reads (see Client.Contact). Default DefaultContactReadSpacing; a
	// negative value means none.
	ContactReadSpacing time.Duration
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
	// ways remembers the segments read through contacts?segmentid.
	ways           fallbacks
	retryPreferred time.Duration
	reads          contactReads
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
		poll:           cfg.PollInterval,
		runs:           cfg.MaxRunAttempts,
		evalTO:         cfg.EvaluationTimeout,
		sleep:          upstream.Sleep,
		retryPreferred: cfg.RetryPreferredAfter,
	}
	c.reads = contactReads{spacing: max(cfg.ContactReadSpacing, 0), turn: make(chan struct{}, 1)}
	if cfg.ContactReadSpacing == 0 {
		c.reads.spacing = DefaultContactReadSpacing
	}
	if c.retryPreferred <= 0 {
		c.retryPreferred = defaultRetryPreferred
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

// Error is an answer of ActiveCampaign that is not a success.
type Error struct {
	Status int
	// Message is ActiveCampaign's own message (cleaned: one line, at most
	// upstream.MaxMessage runes), or, for an answer that carries none,
	// autocred's description of it in words.
	Message string
	// Code is the errors[].code of the answer, when it has one, e.g.
	// "field_missing".
	Code string
	// described: Message is autocred's own sentence, which names the
	// status itself.
	described bool
	redirect  bool // a redirect that was not followed
}

func (e *Error) Error() string {
	if e.described {
		return e.Message
	}
	msg := e.Message
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	return fmt.Sprintf("ActiveCampaign answered %s: %s", upstream.StatusText(e.Status), msg)
}

// ErrAuth matches (with errors.Is) an answer that refuses the API key: a
// 401. Only a 401 means that (spec §7, "403 has two meanings").
var ErrAuth = errors.New("activecampaign: the API key was refused")

// ErrForbidden matches a 403 that is not about a missing object: the key
// works, but its user's group lacks a permission for this request
// ({"message":"You do not have permission to view lists"}, or a bare
// "Forbidden"). The user can grant it (Settings → Users → Groups →
// Permissions) or connect an admin user's key; other requests still work.
// Source: ActiveCampaign's v3 reference, 403 examples (spec §5 "Error
// bodies", §7). PermissionDenied words it for a user.
var ErrForbidden = errors.New("activecampaign: the API key's user lacks a permission")

// ErrNotFound matches an answer that the object does not exist: a 404, or
// a 403 whose message is "No Result found for <Entity> with id <N>" (the
// v3 reference answers GET /fieldValues/{id} so; spec §7).
var ErrNotFound = errors.New("activecampaign: not found")

// ErrRedirect matches a redirect that autocred did not follow: to another
// host, port or scheme than the account's API URL (or a redirect loop).
// Nothing was sent to its target.
var ErrRedirect = errors.New("activecampaign: redirect not followed")

// Is lets errors.Is(err, ErrAuth), errors.Is(err, ErrForbidden),
// errors.Is(err, ErrNotFound) and errors.Is(err, ErrRedirect) classify.
// Each answer matches one at most.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrAuth:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden && !e.noResult()
	case ErrNotFound:
		return e.Status == http.StatusNotFound || e.Status == http.StatusForbidden && e.noResult()
	case ErrRedirect:
		return e.redirect
	}
	return false
}

// noResult tells whether the message is the older v3 not-found one.
func (e *Error) noResult() bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(e.Message)), "no result found for ")
}

// PermissionDenied words an ErrForbidden answer for a user: what
// ActiveCampaign said, quoted when it names the permission, and where to
// grant it. It returns "" for any other error.
func PermissionDenied(err error) string {
	var e *Error
	if !errors.Is(err, ErrForbidden) || !errors.As(err, &e) {
		return ""
	}
	const grant = "in ActiveCampaign, Settings → Users → Groups → Permissions, or connect with an admin user's key."
	msg := strings.TrimSpace(e.Message)
	if !e.described && strings.HasPrefix(strings.ToLower(msg), "you do not have permission") {
		return "ActiveCampaign refused this request: '" + strings.TrimSuffix(msg, ".") +
			"'. The API key belongs to a user whose group lacks that permission: " + grant
	}
	return "ActiveCampaign refused this request (403 Forbidden) without naming the permission. The API key belongs to a user whose group " +
		"lacks a permission it needs (contacts, segments, custom fields, tags or webhooks): " + grant
}

// decodeError reads an error answer. There is no single error schema (spec
// §5 "Error bodies"): try the JSON:API-like errors[] first, then the older
// {"message"}. Their text is ActiveCampaign's own and is kept, cleaned. Any
// other body (a proxy's HTML page, a truncated answer) is described by its
// status and kind, never quoted: its bytes are not an API answer and may be
// anything.
func decodeError(status int, body []byte) error {
	var shaped struct {
		Errors []struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
			Code   string `json:"code"`
		} `json:"errors"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &shaped) != nil {
		return &Error{Status: status, Message: upstream.Unrecognised("ActiveCampaign", status, body), described: true}
	}
	var parts, codes []string
	for _, e := range shaped.Errors {
		title, detail := upstream.CleanMessage(e.Title), upstream.CleanMessage(e.Detail)
		switch {
		case title != "" && detail != "":
			parts = append(parts, title+": "+detail)
		case title != "" || detail != "":
			parts = append(parts, title+detail)
		}
		if code := upstream.CleanMessage(e.Code); code != "" {
			codes = append(codes, code)
		}
	}
	msg := upstream.CleanMessage(strings.Join(parts, "; "))
	if msg == "" {
		msg = upstream.CleanMessage(shaped.Message)
	}
	if msg == "" {
		return &Error{Status: status, Message: upstream.Unrecognised("ActiveCampaign", status, body), described: true}
	}
	return &Error{Status: status, Message: msg, Code: upstream.CleanMessage(strings.Join(codes, ", "))}
}

// redirectError is the error of a redirect the upstream.Doer refused.
func redirectError(re *upstream.RedirectError) error {
	msg := "ActiveCampaign answered with a redirect to another host (" + re.To + "); autocred does not follow it, so the API key is never sent there. Check the API URL in Settings → Developer → API Access."
	if re.Loop {
		msg = "ActiveCampaign answered with redirect after redirect; autocred stopped following them. Check the API URL in Settings → Developer → API Access."
	}
	return &Error{Status: re.Status, Message: msg, described: true, redirect: true}
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
	var re *upstream.RedirectError
	if errors.As(err, &re) {
		return fmt.Errorf("%s: %w", endpoint, redirectError(re))
	}
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
