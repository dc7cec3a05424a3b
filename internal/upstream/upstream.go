// Package upstream sends requests to the outside APIs on behalf of the
// clients of each API. It waits for the account's rate limiter before every
// request, waits out 429 (and, where the API uses it so, 503) answers as
// Retry-After says without counting them as attempts (and pauses the
// account's limiter, so that its other requests wait too); a caller that
// may not wait long (see WithWaitLimit) is told until when instead, with a
// *ThrottledError. It reports every request to an Observer for metrics, and
// reads answers with a size cap. It never follows a redirect to another
// origin than the request's (see RedirectError), whatever http.Client it is
// given, so that no key or token is ever sent anywhere but the configured
// host.
//
// The client packages (activecampaign, certifier) build the requests and
// decode the answers; sharing this part means both spend and count their
// budgets the same way.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/autocred/autocred"
)

// Limiter paces requests to one account. Wait blocks until a request may be
// sent or ctx is done.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Pauser is a Limiter that can hold every request of its account for a
// while: when one request is told Retry-After, the account's other
// requests (of every process sharing the budget) are not sent either
// until then. Its Wait returns a *ThrottledError, without waiting, when
// the pause lasts longer than WaitLimit(ctx).
type Pauser interface {
	Limiter
	// Pause holds the account's requests for d from now, unless they are
	// held longer already.
	Pause(ctx context.Context, d time.Duration) error
}

// MaxPause bounds how long one Retry-After is honoured: a longer one (or a
// date far ahead) is taken as an hour, after which the service is asked
// again and may say to wait more.
const MaxPause = time.Hour

type waitLimitKey struct{}

// WithWaitLimit returns a context in which a call waits out a throttled
// answer, or its account's pause, only when the wait is at most d; a
// longer wait ends the call at once with a *ThrottledError, so that a job
// can be snoozed instead of holding its worker. Without it, a call waits
// (up to the Doer's MaxThrottleWait in all).
func WithWaitLimit(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, waitLimitKey{}, d)
}

// WaitLimit is the limit set by WithWaitLimit; ok is false without one.
func WaitLimit(ctx context.Context) (d time.Duration, ok bool) {
	d, ok = ctx.Value(waitLimitKey{}).(time.Duration)
	return d, ok
}

type requestCountKey struct{}

// WithRequestCount returns a context in which every request sent (every
// try, answered or not) adds one to n: what a piece of work cost its
// account.
func WithRequestCount(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, requestCountKey{}, n)
}

// ThrottledError means the service asked to wait longer than the caller's
// WaitLimit: nothing was processed, and the call can be made again at
// Until. It matches ErrThrottled.
type ThrottledError struct {
	System, Endpoint string
	// RetryAfter is the wait as the service asked for it (what a user is
	// told), before any test-only WaitScale.
	RetryAfter time.Duration
	// Until is when to try again.
	Until time.Time
	// Err is the caller's context error when the caller stopped waiting
	// (its deadline came first, or it was cancelled) before Until: the
	// wait was cut short, but still nothing was processed. Nil otherwise.
	Err error
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%s %s: rate limited: asked to wait %s", e.System, e.Endpoint, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Unwrap gives Err, so that errors.Is still finds the context's error
// behind a wait that was cut short.
func (e *ThrottledError) Unwrap() error { return e.Err }

// NotSentError means the request was never sent: the caller's context
// ended while it waited for the account's limiter, before its first try.
// Nothing was processed, and nothing is unknown about it. Err is the
// context's error.
type NotSentError struct {
	System, Endpoint string
	Err              error
}

func (e *NotSentError) Error() string {
	return fmt.Sprintf("%s %s: not sent: autocred stopped waiting for its turn (%v)", e.System, e.Endpoint, e.Err)
}

func (e *NotSentError) Unwrap() error { return e.Err }

// Observer is told about every request, for metrics. Implementations must
// be safe for concurrent use.
type Observer interface {
	// Request reports one answered request; status is 0 when no answer came.
	Request(system, endpoint string, status int, took time.Duration)
	// RateLimited reports a wait forced by a 429/503 answer.
	RateLimited(system string, wait time.Duration)
}

// Doer sends requests to one account of one service.
type Doer struct {
	System string // "activecampaign" or "certifier", for metrics and errors
	// Client sends the requests; nil means http.DefaultClient. Its
	// CheckRedirect runs only after the Doer's own redirect policy.
	Client   *http.Client
	Limiter  Limiter  // nil: no pacing
	Observer Observer // nil: nothing reported
	// Throttled tells whether an answer means "not processed, over the
	// rate limit": wait and send again. Default: 429 only.
	Throttled func(status int) bool
	// MaxThrottleWait bounds the total time one call spends waiting out
	// throttled answers in place; past it the call fails with
	// ErrThrottled. Default 15 minutes. One Retry-After counts for at most
	// MaxPause.
	MaxThrottleWait time.Duration
	// WaitScale multiplies every wait a throttled answer asks for. Tests
	// only, so that a "Retry-After: 30" is honoured in 3 s (0.1) and a test
	// of it stays short; 0 means 1.
	WaitScale float64
	// Sleep waits; tests may replace it. Default: a timer that ctx cancels.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Response is a complete answer.
type Response struct {
	Status int
	Header http.Header
	// Body is the answer as sent, but for each JSON escape of a NUL
	// (\u0000), which is made \uFFFD (autocred.StorableJSON): every
	// string decoded from it can be stored on either database, and no
	// caller has to remember to clean one.
	Body []byte
}

// MaxBody is the largest answer read. A segment-match page of 10,000 ids or
// 100 contacts is a few hundred KiB; anything this large is not an answer
// we can use.
const MaxBody = 32 << 20

// ErrThrottled means the service kept answering 429 for longer than the
// Doer's MaxThrottleWait.
var ErrThrottled = errors.New("still rate limited after waiting")

// NetworkError means no answer arrived: the connection failed, was reset or
// timed out, or the caller's context ended while waiting. For a request
// that changes something, the change may or may not have been made.
type NetworkError struct {
	System, Endpoint string
	Err              error
}

// Error says which call got no answer and why, in words
// (DescribeNetwork); the transport's own text is e.Err.
func (e *NetworkError) Error() string {
	return fmt.Sprintf("%s %s: no answer: %s", e.System, e.Endpoint, DescribeNetwork(e.Err))
}

func (e *NetworkError) Unwrap() error { return e.Err }

// Do sends the request that build makes (once per try, since a body can be
// read only once) and returns the first answer that is not throttled.
// endpoint names the call for metrics and errors, e.g. "GET /contacts".
//
// A throttled wait never ends as a lost answer: a wait that would outlast
// ctx's deadline is not begun, and one that ctx cuts short ends the call,
// both with a *ThrottledError (until when; its Err is ctx's error when it
// was cut). A request whose ctx ends before its first try is sent (while
// it waits for the Limiter) ends with a *NotSentError. Only a request
// sent and left without an answer is a *NetworkError.
func (d *Doer) Do(ctx context.Context, endpoint string, build func(ctx context.Context) (*http.Request, error)) (*Response, error) {
	throttled := d.Throttled
	if throttled == nil {
		throttled = func(status int) bool { return status == http.StatusTooManyRequests }
	}
	maxWait := d.MaxThrottleWait
	if maxWait == 0 {
		maxWait = 15 * time.Minute
	}
	var (
		waited time.Duration
		last   *ThrottledError // the last throttled answer's wait, after the first try
	)
	for try := 0; ; try++ {
		if err := d.waitTurn(ctx, endpoint); err != nil {
			var te *ThrottledError
			switch {
			case errors.As(err, &te):
			case last != nil:
				// Cut short while still waiting out a 429: that is
				// what the caller is told, not a lost answer.
				last.Err = err
				return nil, last
			default:
				return nil, &NotSentError{System: d.System, Endpoint: endpoint, Err: err}
			}
			return nil, err
		}
		resp, err := d.send(ctx, endpoint, build)
		if err != nil {
			return nil, err
		}
		if !throttled(resp.Status) {
			return resp, nil
		}
		asked, wait, err := d.backOff(ctx, endpoint, resp, try)
		if err != nil {
			return nil, err
		}
		if waited+wait > maxWait {
			return nil, fmt.Errorf("%s %s: %w (%s)", d.System, endpoint, ErrThrottled, waited.Round(time.Second))
		}
		last = &ThrottledError{System: d.System, Endpoint: endpoint, RetryAfter: asked, Until: time.Now().Add(wait)}
		if deadline, ok := ctx.Deadline(); ok && last.Until.After(deadline) {
			// The caller cannot wait that long: it is told until when,
			// rather than sleeping into its deadline and ending with
			// an error that reads as an answer lost.
			return nil, last
		}
		waited += wait
		if err := d.sleep(ctx, wait); err != nil {
			last.Err = err
			return nil, last
		}
	}
}

// waitTurn waits for the account's rate limiter, if any.
func (d *Doer) waitTurn(ctx context.Context, endpoint string) error {
	if d.Limiter == nil {
		return nil
	}
	err := d.Limiter.Wait(ctx)
	var te *ThrottledError
	if errors.As(err, &te) {
		// Held by a pause another request was told: say how long as
		// the service would have.
		te.System, te.Endpoint = d.System, endpoint
		te.RetryAfter = d.unscale(time.Until(te.Until)).Round(time.Second)
	}
	return err
}

// send makes one try: it builds the request, sends it and reads the whole
// answer, whatever its status.
func (d *Doer) send(ctx context.Context, endpoint string, build func(ctx context.Context) (*http.Request, error)) (*Response, error) {
	req, err := build(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s %s: building request: %w", d.System, endpoint, err)
	}
	if n, ok := ctx.Value(requestCountKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	start := time.Now()
	resp, err := d.client().Do(req)
	if re, ok := redirectError(d.System, endpoint, err); ok {
		// A definite answer, not a network failure: the host asked us
		// to go elsewhere, and we did not.
		d.observe(endpoint, re.Status, time.Since(start))
		return nil, re
	}
	if err != nil {
		d.observe(endpoint, 0, time.Since(start))
		// Even when our own context ended the wait, the request may have
		// been received and processed: it is a request without an
		// answer, like any other. errors.Is still finds ctx.Err().
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, &NetworkError{System: d.System, Endpoint: endpoint, Err: err}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	resp.Body.Close()
	d.observe(endpoint, resp.StatusCode, time.Since(start))
	if err != nil {
		return nil, &NetworkError{System: d.System, Endpoint: endpoint, Err: fmt.Errorf("reading answer: %w", err)}
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("%s %s: answer larger than %d MiB", d.System, endpoint, MaxBody>>20)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: autocred.StorableJSON(body)}, nil
}

// backOff takes a throttled answer: it returns how long to wait before the
// next try (what the service asked, else a backoff), after pausing the
// account's other requests for as long; asked is the wait as the service
// asked for it (unscaled). It returns a *ThrottledError when the caller's
// WaitLimit is shorter than that.
func (d *Doer) backOff(ctx context.Context, endpoint string, resp *Response, try int) (asked, wait time.Duration, err error) {
	asked = min(RetryAfter(resp.Header, time.Now()), MaxPause)
	if asked <= 0 {
		asked = Backoff(try, time.Second, 30*time.Second)
	}
	wait = d.scale(asked)
	if d.Observer != nil {
		d.Observer.RateLimited(d.System, wait)
	}
	// The budget is the account's: its other requests wait too.
	if p, ok := d.Limiter.(Pauser); ok {
		_ = p.Pause(ctx, wait) // at worst they are told again
	}
	if limit, ok := WaitLimit(ctx); ok && wait > limit {
		return asked, 0, &ThrottledError{System: d.System, Endpoint: endpoint, RetryAfter: asked, Until: time.Now().Add(wait)}
	}
	return asked, wait, nil
}

// scale applies WaitScale to a wait.
func (d *Doer) scale(wait time.Duration) time.Duration {
	if d.WaitScale <= 0 {
		return wait
	}
	return time.Duration(float64(wait) * d.WaitScale)
}

// unscale undoes scale, to tell a wait as the service asked for it.
func (d *Doer) unscale(wait time.Duration) time.Duration {
	if d.WaitScale <= 0 {
		return wait
	}
	return time.Duration(float64(wait) / d.WaitScale)
}

// client is the caller's http.Client (or http.DefaultClient) with the
// redirect policy in front of its own. A shallow copy per request: it
// shares the Transport, and so the connection pool, and leaves the
// caller's client untouched.
func (d *Doer) client() *http.Client {
	c := d.Client
	if c == nil {
		c = http.DefaultClient
	}
	return withRedirectPolicy(c)
}

func (d *Doer) observe(endpoint string, status int, took time.Duration) {
	if d.Observer != nil {
		d.Observer.Request(d.System, endpoint, status, took)
	}
}

func (d *Doer) sleep(ctx context.Context, wait time.Duration) error {
	if d.Sleep != nil {
		return d.Sleep(ctx, wait)
	}
	return Sleep(ctx, wait)
}

// Sleep waits for d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RetryAfter reads a Retry-After header given in seconds or as an HTTP date.
// It returns 0 when the header is absent or unreadable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Backoff is the wait before try n (0-based): exponential from base, capped
// at max, with "full jitter" so that many clients do not retry in step.
func Backoff(n int, base, max time.Duration) time.Duration {
	d := base << min(n, 30)
	if d <= 0 || d > max {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}
