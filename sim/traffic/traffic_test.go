package traffic

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newGateServer(t *testing.T, cfg Config, handled *atomic.Int64) (*Gate, *httptest.Server) {
	t.Helper()
	cfg.Account = func(r *http.Request) string { return r.Header.Get("X-Account") }
	cfg.WriteError = func(w http.ResponseWriter, _ *http.Request, status int, _ string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"error":"injected"}`)
	}
	g := New(cfg)
	mux := http.NewServeMux()
	mux.Handle("POST /things", g.Wrap("POST /things", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"ok":true}`)
	})))
	g.RegisterControl(mux, "/_sandbox")
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return g, srv
}

func post(t *testing.T, srv *httptest.Server, account string) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/things", nil)
	req.Header.Set("X-Account", account)
	resp, err := srv.Client().Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

func TestRateLimitIsASlidingWindowPerAccount(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var handled atomic.Int64
	g, srv := newGateServer(t, Config{RatePerSecond: 5, Now: clock.Now}, &handled)

	statuses := func(account string, n int) []int {
		var out []int
		for range n {
			resp, err := post(t, srv, account)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, resp.StatusCode)
		}
		return out
	}
	count := func(s []int, code int) (n int) {
		for _, c := range s {
			if c == code {
				n++
			}
		}
		return n
	}

	first := statuses("a", 8)
	if got := count(first, http.StatusCreated); got != 5 {
		t.Fatalf("served %d of 8 in one instant, want 5 (statuses %v)", got, first)
	}
	if got := count(statuses("b", 5), http.StatusCreated); got != 5 {
		t.Fatalf("account b served %d of 5: budgets must be per account", got)
	}
	// Half a second later the window still holds the first five.
	clock.Add(500 * time.Millisecond)
	if got := count(statuses("a", 1), http.StatusCreated); got != 0 {
		t.Fatal("a request inside the same one-second window was served")
	}
	clock.Add(501 * time.Millisecond)
	if got := count(statuses("a", 5), http.StatusCreated); got != 5 {
		t.Fatalf("after the window passed, served %d of 5", got)
	}
	if handled.Load() != 15 {
		t.Fatalf("handler ran %d times, want 15: rejected requests must not be processed", handled.Load())
	}
	st := g.Stats()
	if st.Accounts["a"].PeakPerSecond != 9 {
		// 8 at t0, 1 at t0+0.5s: nine arrivals within one second, rejected ones included.
		t.Errorf("peak for a = %d, want 9", st.Accounts["a"].PeakPerSecond)
	}
	if st.Accounts["a"].PeakPer10Seconds != 14 {
		// and five more a second later: fourteen within ten seconds.
		t.Errorf("peak over ten seconds for a = %d, want 14", st.Accounts["a"].PeakPer10Seconds)
	}
	if st.RateLimited != 4 || st.Accounts["a"].RateLimited != 4 {
		t.Errorf("rate limited = %d (a: %d), want 4", st.RateLimited, st.Accounts["a"].RateLimited)
	}
	if st.ByStatus["429"] != 4 || st.ByStatus["201"] != 15 {
		t.Errorf("by status = %v", st.ByStatus)
	}
}

func TestRateLimitAnswer(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		wantStatus int
		wantRetry  string
	}{
		{"429 with seconds until the window frees", Config{RatePerSecond: 1}, 429, "1"},
		{"503 instead, as ActiveCampaign was seen to do", Config{RatePerSecond: 1, LimitStatus: 503}, 503, "1"},
		{"fixed Retry-After", Config{RatePerSecond: 1, RetryAfter: 30 * time.Second}, 429, "30"},
		{"no Retry-After at all", Config{RatePerSecond: 1, OmitRetryAfter: true}, 429, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var handled atomic.Int64
			_, srv := newGateServer(t, tt.cfg, &handled)
			_, _ = post(t, srv, "a")
			resp, err := post(t, srv, "a")
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After %q, want %q", got, tt.wantRetry)
			}
		})
	}
}

func TestFaultRules(t *testing.T) {
	tests := []struct {
		name        string
		rule        Rule
		wantStatus  int
		wantHandled int
		wantNetErr  bool
	}{
		{"error rate answers 5xx without processing", Rule{Endpoint: "POST /things", ErrorRate: 1, ErrorStatus: 502}, 502, 0, false},
		{"default error status is 500", Rule{Endpoint: "*", ErrorRate: 1}, 500, 0, false},
		{"429 rate", Rule{Endpoint: "*", RateLimitRate: 1}, 429, 0, false},
		{"storm", Rule{Endpoint: "*", StormEvery: Duration(time.Hour), StormFor: Duration(time.Minute)}, 429, 0, false},
		{"drop after processing", Rule{Endpoint: "POST /things", DropAfterRate: 1}, 0, 1, true},
		{"a rule for another endpoint does nothing", Rule{Endpoint: "GET /other", ErrorRate: 1}, 201, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var handled atomic.Int64
			g, srv := newGateServer(t, Config{}, &handled)
			if err := g.SetRules([]Rule{tt.rule}); err != nil {
				t.Fatal(err)
			}
			resp, err := post(t, srv, "a")
			if tt.wantNetErr {
				if err == nil {
					t.Fatalf("got status %d, want the connection dropped", resp.StatusCode)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := handled.Load(); got != int64(tt.wantHandled) {
				t.Errorf("handler ran %d times, want %d", got, tt.wantHandled)
			}
		})
	}
}

func TestStormEndsAndRecurs(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var handled atomic.Int64
	g, srv := newGateServer(t, Config{Now: clock.Now}, &handled)
	if err := g.SetRules([]Rule{{Endpoint: "*", StormEvery: Duration(10 * time.Second), StormFor: Duration(2 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		at   time.Duration
		want int
	}{{0, 429}, {1900 * time.Millisecond, 429}, {2100 * time.Millisecond, 201}, {9 * time.Second, 201}, {10500 * time.Millisecond, 429}} {
		clock.t = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(step.at)
		resp, err := post(t, srv, "a")
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != step.want {
			t.Errorf("at %v: status %d, want %d", step.at, resp.StatusCode, step.want)
		}
	}
}

func TestLatency(t *testing.T) {
	var handled atomic.Int64
	g, srv := newGateServer(t, Config{}, &handled)
	if err := g.SetRules([]Rule{{Endpoint: "*", Latency: Duration(80 * time.Millisecond)}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := post(t, srv, "a"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 80*time.Millisecond {
		t.Errorf("answered in %v, want at least the injected 80ms", took)
	}
}

func TestControlAPI(t *testing.T) {
	var handled atomic.Int64
	g, srv := newGateServer(t, Config{RatePerSecond: 5}, &handled)
	put := func(path, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+path, strings.NewReader(body))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tests := []struct {
		path, body string
		want       int
	}{
		{"/_sandbox/faults", `{"rules":[{"endpoint":"*","error_rate":0.5,"latency":"10ms"}]}`, 200},
		{"/_sandbox/faults", `{"rules":[{"endpoint":"*","error_rate":2}]}`, 400},
		{"/_sandbox/faults", `{"rules":[{"endpoint":""}]}`, 400},
		{"/_sandbox/faults", `{"rules":[{"endpoint":"*","latency":"soon"}]}`, 400},
		{"/_sandbox/faults", `{"rulez":[]}`, 400},
		{"/_sandbox/limits", `{"rate_per_second":0}`, 204},
		{"/_sandbox/limits", `{"rate_per_second":-1}`, 400},
		{"/_sandbox/limits", `{"limit_status":418}`, 400},
	}
	for _, tt := range tests {
		if resp := put(tt.path, tt.body); resp.StatusCode != tt.want {
			t.Errorf("PUT %s %s: status %d, want %d", tt.path, tt.body, resp.StatusCode, tt.want)
		}
	}
	// The rejected rule sets left the accepted one in force.
	if rules := g.Rules(); len(rules) != 1 || rules[0].ErrorRate != 0.5 {
		t.Errorf("rules after bad updates = %+v", rules)
	}
	if g.RatePerSecond() != 0 {
		t.Errorf("rate per second = %d, want 0 after the update", g.RatePerSecond())
	}

	_ = g.SetRules(nil)
	_, _ = post(t, srv, "a")
	resp, err := srv.Client().Get(srv.URL + "/_sandbox/counters")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.ByEndpoint["POST /things"] != 1 || st.Accounts["a"].Requests != 1 {
		t.Errorf("counters = %+v", st)
	}
	reset, _ := http.NewRequest(http.MethodPost, srv.URL+"/_sandbox/counters/reset", nil)
	if resp, err := srv.Client().Do(reset); err != nil || resp.StatusCode != 204 {
		t.Fatalf("reset: %v %v", resp, err)
	}
	if g.Stats().Requests != 0 {
		t.Error("counters not reset")
	}
}

func TestDurationJSON(t *testing.T) {
	var d Duration
	if err := json.Unmarshal([]byte(`"1.5s"`), &d); err != nil || time.Duration(d) != 1500*time.Millisecond {
		t.Errorf("got %v, %v", time.Duration(d), err)
	}
	if err := json.Unmarshal([]byte(`"fast"`), &d); err == nil || !strings.Contains(err.Error(), "250ms") {
		t.Errorf("bad duration error = %v, want a hint of the notation", err)
	}
	b, _ := json.Marshal(Duration(2 * time.Second))
	if string(b) != `"2s"` {
		t.Errorf("marshal = %s", b)
	}
}
