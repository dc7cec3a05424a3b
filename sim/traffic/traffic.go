// Package traffic is the part of the sandboxes that sits between the network
// and the fake API: a per-account rate limit like the real services enforce,
// fault injection (5xx, 429 storms, latency, connections dropped after the
// request was processed), and counters that tests and benchmarks read.
//
// Both sandboxes wrap every route with a Gate. The Gate knows nothing about
// either API: the sandbox tells it how to find a request's account and how to
// write an error body in the API's own shape.
package traffic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Duration is a time.Duration that reads and writes JSON as "250ms", "2s".
type Duration time.Duration

// MarshalJSON writes the duration in Go's notation.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts "250ms"-style strings and plain numbers of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: use Go notation such as 250ms or 2s", s)
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration must be a string such as \"250ms\"")
	}
	*d = Duration(n)
	return nil
}

// Rule injects faults into the requests of one endpoint.
type Rule struct {
	// Endpoint is the route pattern exactly as the sandbox registered it
	// ("POST /v1/credentials/create-issue-send"), or "*" for every route.
	Endpoint string `json:"endpoint"`
	// ErrorRate is the fraction of requests answered with ErrorStatus
	// before they reach the API (nothing is processed).
	ErrorRate   float64 `json:"error_rate,omitempty"`
	ErrorStatus int     `json:"error_status,omitempty"` // default 500; 4xx models a refusal
	// ErrorMessage is the text the injected answer carries, in the API's
	// own error shape, instead of the sandbox's default sentence. Any
	// string JSON can hold, a NUL (\u0000) included: the APIs document
	// their messages as strings and nothing narrower.
	ErrorMessage string `json:"error_message,omitempty"`
	// RateLimitRate is the fraction of requests answered 429 whatever the
	// account's budget.
	RateLimitRate float64 `json:"rate_limit_rate,omitempty"`
	// A storm answers every request 429 for StormFor out of every StormEvery.
	StormEvery Duration `json:"storm_every,omitempty"`
	StormFor   Duration `json:"storm_for,omitempty"`
	// Latency delays the answer by Latency plus a uniform random part of
	// up to LatencyJitter.
	Latency       Duration `json:"latency,omitempty"`
	LatencyJitter Duration `json:"latency_jitter,omitempty"`
	// DropAfterRate is the fraction of requests that are processed in full
	// and then have their connection closed before any answer is written:
	// the client sees a network error although the change was made.
	DropAfterRate float64 `json:"drop_after_rate,omitempty"`
}

// Validate reports what is wrong with a rule, in words a test author can act on.
func (r Rule) Validate() error {
	if r.Endpoint == "" {
		return fmt.Errorf("endpoint is required: a route pattern such as \"GET /api/3/contacts\" or \"*\"")
	}
	for name, v := range map[string]float64{"error_rate": r.ErrorRate, "rate_limit_rate": r.RateLimitRate, "drop_after_rate": r.DropAfterRate} {
		if v < 0 || v > 1 {
			return fmt.Errorf("%s must be between 0 and 1, got %v", name, v)
		}
	}
	if r.ErrorStatus != 0 && (r.ErrorStatus < 400 || r.ErrorStatus > 599 || r.ErrorStatus == http.StatusTooManyRequests) {
		return fmt.Errorf("error_status must be a 4xx or 5xx status other than 429 (use rate_limit_rate), got %d", r.ErrorStatus)
	}
	if (r.StormEvery > 0) != (r.StormFor > 0) || r.StormFor > r.StormEvery {
		return fmt.Errorf("storm_every and storm_for go together, with storm_for no longer than storm_every")
	}
	if r.Latency < 0 || r.LatencyJitter < 0 {
		return fmt.Errorf("latency and latency_jitter cannot be negative")
	}
	return nil
}

// Config describes how a sandbox plugs into the Gate.
type Config struct {
	// RatePerSecond is each account's budget: at most this many requests
	// are served in any sliding one-second window. 0 turns the limit off.
	RatePerSecond int
	// LimitStatus is the status sent when the budget is exceeded: 429 by
	// default, 503 to model the ActiveCampaign reports of 503 instead.
	LimitStatus int
	// RetryAfter, when set, is sent as Retry-After on every rate-limit
	// answer; otherwise the seconds until the window frees (at least 1).
	RetryAfter time.Duration
	// OmitRetryAfter sends no Retry-After header at all (Certifier
	// documents none).
	OmitRetryAfter bool
	// Account names the account a request belongs to ("" when unknown,
	// e.g. the request will fail authentication; it is counted apart).
	Account func(r *http.Request) string
	// WriteError writes an error answer in the API's own shape, with
	// message as its text ("" for the sandbox's default).
	WriteError func(w http.ResponseWriter, r *http.Request, status int, message string)
	// Seed makes fault injection repeatable.
	Seed uint64
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// Gate enforces the rate limit, injects faults and counts requests.
type Gate struct {
	cfg Config

	mu       sync.Mutex
	rng      *rand.Rand
	rules    []Rule
	started  time.Time
	accounts map[string]*account
	stats    Stats
}

type account struct {
	arrivals []time.Time // all requests in the last ten seconds, for the peaks
	served   []time.Time // requests that passed the limit in the last second
	throttle Throttle    // in force until throttleEnd
	// throttleEnd ends the account's throttle; zero or past: none.
	throttleEnd time.Time
	stats       AccountStats
}

// Throttle answers every request of one account 429 with a fixed
// Retry-After for a while, whatever its own pace: the account's budget,
// shared with every other integration of the account, is used up by
// them. ActiveCampaign documents 429 with "Retry-After: 30" as its
// example (developers.activecampaign.com/reference/rate-limits).
type Throttle struct {
	RetryAfter time.Duration // sent as Retry-After, in whole seconds (at least 1)
	For        time.Duration // how long from now; 0 ends a throttle in force
}

// Stats is a snapshot of what the sandbox has seen since the last reset.
type Stats struct {
	Requests    int64                   `json:"requests"`
	ByEndpoint  map[string]int64        `json:"by_endpoint"`
	ByStatus    map[string]int64        `json:"by_status"`
	RateLimited int64                   `json:"rate_limited"` // budget exceeded (429 or 503)
	Injected    InjectedStats           `json:"injected"`
	Accounts    map[string]AccountStats `json:"accounts"`
}

// InjectedStats counts the faults that were injected.
type InjectedStats struct {
	Errors      int64 `json:"errors"`
	RateLimits  int64 `json:"rate_limits"`
	Dropped     int64 `json:"dropped"`
	DelayedByMS int64 `json:"delayed_ms"`
}

// AccountStats counts one account's requests.
type AccountStats struct {
	Requests    int64 `json:"requests"`
	RateLimited int64 `json:"rate_limited"`
	// PeakPerSecond is the largest number of requests that arrived in any
	// sliding one-second window, rejected ones included.
	PeakPerSecond int `json:"peak_per_second"`
	// PeakPer10Seconds is the same over ten seconds: a client's sustained
	// pace, which a pause of this process (bunching the arrivals of
	// requests sent at an even pace) barely moves.
	PeakPer10Seconds int `json:"peak_per_10_seconds"`
	// Throttled counts the requests answered 429 by a Throttle.
	Throttled int64 `json:"throttled"`
}

// New returns a Gate for one sandbox.
func New(cfg Config) *Gate {
	if cfg.LimitStatus == 0 {
		cfg.LimitStatus = http.StatusTooManyRequests
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Account == nil {
		cfg.Account = func(*http.Request) string { return "" }
	}
	if cfg.WriteError == nil {
		cfg.WriteError = func(w http.ResponseWriter, _ *http.Request, status int, message string) {
			if message == "" {
				message = http.StatusText(status)
			}
			http.Error(w, message, status)
		}
	}
	g := &Gate{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	g.Reset()
	return g
}

// SetRatePerSecond changes the per-account budget (0 turns it off).
func (g *Gate) SetRatePerSecond(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cfg.RatePerSecond = n
}

// RatePerSecond is the per-account budget in force.
func (g *Gate) RatePerSecond() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cfg.RatePerSecond
}

// SetLimitStatus chooses 429 or 503 for answers over the budget.
func (g *Gate) SetLimitStatus(status int) error {
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return fmt.Errorf("limit status must be 429 or 503, got %d", status)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cfg.LimitStatus = status
	return nil
}

// SetRules replaces the fault rules. Storm phases count from this call.
func (g *Gate) SetRules(rules []Rule) error {
	for i, r := range rules {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("rule %d: %w", i+1, err)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rules = append([]Rule(nil), rules...)
	g.started = g.cfg.Now()
	return nil
}

// Throttle starts (or, with t.For 0, ends) a throttle of one account:
// every request of it is answered 429 with Retry-After t.RetryAfter until
// t.For from now, before it is processed and without using up its budget.
func (g *Gate) Throttle(acct string, t Throttle) error {
	if t.For < 0 || t.RetryAfter < 0 {
		return fmt.Errorf("a throttle's retry-after and duration cannot be negative")
	}
	if t.For > 0 && t.RetryAfter < time.Second {
		return fmt.Errorf("a throttle's retry-after must be at least 1 second (Retry-After is in whole seconds)")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.account(acct)
	a.throttle, a.throttleEnd = t, time.Time{}
	if t.For > 0 {
		a.throttleEnd = g.cfg.Now().Add(t.For)
	}
	return nil
}

// Throttling tells the throttle of an account in force, with the time left
// of it in For (zero: none).
func (g *Gate) Throttling(acct string) Throttle {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.accounts[acct]
	if a == nil {
		return Throttle{}
	}
	left := a.throttleEnd.Sub(g.cfg.Now())
	if left <= 0 {
		return Throttle{}
	}
	return Throttle{RetryAfter: a.throttle.RetryAfter, For: left}
}

// EndThrottles ends every account's throttle.
func (g *Gate) EndThrottles() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, a := range g.accounts {
		a.throttleEnd = time.Time{}
	}
}

// account returns the counters of acct, made on first use. g.mu is held.
func (g *Gate) account(acct string) *account {
	a := g.accounts[acct]
	if a == nil {
		a = &account{}
		g.accounts[acct] = a
	}
	return a
}

// Rules returns the fault rules in force.
func (g *Gate) Rules() []Rule {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Rule{}, g.rules...)
}

// Reset clears the counters and the rate-limit windows (not the rules nor
// the accounts' throttles).
func (g *Gate) Reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.accounts
	g.accounts = map[string]*account{}
	for name, a := range old {
		if !a.throttleEnd.IsZero() {
			g.accounts[name] = &account{throttle: a.throttle, throttleEnd: a.throttleEnd}
		}
	}
	g.stats = Stats{ByEndpoint: map[string]int64{}, ByStatus: map[string]int64{}}
}

// Stats returns a copy of the counters.
func (g *Gate) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.stats
	s.ByEndpoint = cloneMap(g.stats.ByEndpoint)
	s.ByStatus = cloneMap(g.stats.ByStatus)
	s.Accounts = make(map[string]AccountStats, len(g.accounts))
	for name, a := range g.accounts {
		s.Accounts[name] = a.stats
	}
	return s
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	c := make(map[K]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// verdict is what the Gate decided for one request before the API sees it.
type verdict struct {
	status     int           // non-zero: answer this status without processing
	message    string        // the answer's text, "" for the default
	retryAfter time.Duration // with a rate-limit status
	delay      time.Duration
	drop       bool
}

// Wrap guards h, the handler of the route registered as pattern.
func (g *Gate) Wrap(pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := g.decide(pattern, g.cfg.Account(r))
		if v.delay > 0 {
			select {
			case <-time.After(v.delay):
			case <-r.Context().Done():
				return
			}
		}
		if v.status != 0 {
			if v.retryAfter > 0 && !g.cfg.OmitRetryAfter {
				w.Header().Set("Retry-After", strconv.Itoa(int((v.retryAfter+time.Second-1)/time.Second)))
			}
			sw := &statusWriter{ResponseWriter: w}
			g.cfg.WriteError(sw, r, v.status, v.message)
			g.countStatus(sw.status())
			return
		}
		if v.drop {
			g.serveThenDrop(w, r, h)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		g.countStatus(sw.status())
	})
}

func (g *Gate) decide(pattern, acct string) verdict {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.cfg.Now()
	a := g.account(acct)
	g.stats.Requests++
	g.stats.ByEndpoint[pattern]++
	a.stats.Requests++
	a.arrivals = append(trimBefore(a.arrivals, now.Add(-10*time.Second)), now)
	a.stats.PeakPer10Seconds = max(a.stats.PeakPer10Seconds, len(a.arrivals))
	// The arrivals are in order: those of the last second are at the end.
	cutoff := now.Add(-time.Second)
	inSecond := len(a.arrivals) - sort.Search(len(a.arrivals), func(i int) bool { return !a.arrivals[i].Before(cutoff) })
	a.stats.PeakPerSecond = max(a.stats.PeakPerSecond, inSecond)

	var v verdict
	if now.Before(a.throttleEnd) {
		// Other integrations of the account used its budget up: nothing
		// this client does changes the answer until the throttle ends.
		a.stats.Throttled++
		return verdict{status: http.StatusTooManyRequests, retryAfter: a.throttle.RetryAfter}
	}
	for _, r := range g.rules {
		if r.Endpoint != "*" && r.Endpoint != pattern {
			continue
		}
		v.delay += time.Duration(r.Latency)
		if r.LatencyJitter > 0 {
			v.delay += time.Duration(g.rng.Int64N(int64(r.LatencyJitter)))
		}
		if v.status != 0 || v.drop {
			continue
		}
		switch {
		case r.StormEvery > 0 && now.Sub(g.started)%time.Duration(r.StormEvery) < time.Duration(r.StormFor):
			v.status = http.StatusTooManyRequests
			phase := now.Sub(g.started) % time.Duration(r.StormEvery)
			v.retryAfter = time.Duration(r.StormFor) - phase
			g.stats.Injected.RateLimits++
		case r.RateLimitRate > 0 && g.rng.Float64() < r.RateLimitRate:
			v.status = http.StatusTooManyRequests
			v.retryAfter = time.Second
			g.stats.Injected.RateLimits++
		case r.ErrorRate > 0 && g.rng.Float64() < r.ErrorRate:
			v.status = cmp(r.ErrorStatus, http.StatusInternalServerError)
			v.message = r.ErrorMessage
			g.stats.Injected.Errors++
		case r.DropAfterRate > 0 && g.rng.Float64() < r.DropAfterRate:
			v.drop = true
			g.stats.Injected.Dropped++
		}
	}
	g.stats.Injected.DelayedByMS += v.delay.Milliseconds()
	if v.status != 0 {
		return v
	}

	// The budget: requests served in the last second, per account. Rejected
	// requests do not use it up, so a client that backs off gets through.
	a.served = trimBefore(a.served, cutoff)
	if limit := g.cfg.RatePerSecond; limit > 0 && len(a.served) >= limit {
		v.status = g.cfg.LimitStatus
		v.retryAfter = g.cfg.RetryAfter
		if v.retryAfter == 0 {
			v.retryAfter = a.served[0].Add(time.Second).Sub(now)
		}
		v.drop = false
		g.stats.RateLimited++
		a.stats.RateLimited++
		return v
	}
	a.served = append(a.served, now)
	return v
}

func cmp(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// trimBefore drops the times before cutoff from a slice kept in order.
func trimBefore(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && ts[i].Before(cutoff) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
}

func (g *Gate) countStatus(status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stats.ByStatus[strconv.Itoa(status)]++
}

// serveThenDrop runs the handler in full, so the change is made, then
// closes the connection without writing the answer.
func (g *Gate) serveThenDrop(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := &bufferWriter{header: http.Header{}}
	h.ServeHTTP(rec, r)
	g.countStatus(0)
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 has no hijacking; abort the stream instead.
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // a reset, as a proxy timing out would send
	}
	_ = conn.Close()
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// Flush lets streaming handlers flush through the wrapper.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// bufferWriter swallows an answer that will never be sent.
type bufferWriter struct {
	header http.Header
	body   bytes.Buffer
	code   int
}

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferWriter) WriteHeader(code int)        { b.code = code }
