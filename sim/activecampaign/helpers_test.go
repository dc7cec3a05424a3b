package activecampaign_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

const testKey = "test-key-123"

// env is one sandbox behind a real HTTP server, with account "acme".
type env struct {
	t   *testing.T
	srv *simac.Server
	ts  *httptest.Server
}

func newEnv(t *testing.T, opts simac.Options) *env {
	t.Helper()
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = -1 // most tests are not about the limit
	}
	srv := simac.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	if err := srv.AddAccount("acme", testKey); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, ts: ts}
}

// resp is a decoded answer.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// do sends a request with the account's key.
func (e *env) do(method, path string, body any) resp {
	return e.doKey(method, path, body, testKey)
}

func (e *env) doKey(method, path string, body any, key string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Api-Token", key)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// api is do on /acme/api/3 expecting status want.
func (e *env) api(method, path string, body any, want int) map[string]any {
	e.t.Helper()
	r := e.do(method, "/acme/api/3"+path, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.status, want, r.body)
	}
	return r.json(e.t)
}

func (e *env) importContacts(in ...simac.ContactInput) []int64 {
	e.t.Helper()
	ids, err := e.srv.Import("acme", in)
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *env) segment(def simac.SegmentDef) simac.Segment {
	e.t.Helper()
	seg, err := e.srv.DefineSegment("acme", def)
	if err != nil {
		e.t.Fatal(err)
	}
	return seg
}

// matchOne asks segmentMatch whether a contact is in a segment.
func (e *env) matchOne(seg string, contact int64) bool {
	e.t.Helper()
	m := e.api("GET", "/segmentMatch/"+seg+"/"+itoa(contact), nil, 200)
	attrs := m["data"].([]any)[0].(map[string]any)["attributes"].(map[string]any)
	return attrs["match"].(bool)
}

func itoa(n int64) string { return strings.TrimSpace(strings.ReplaceAll(jsonNum(n), "\n", "")) }

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

// get walks a decoded JSON value by keys and indexes.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

// eventually retries f until it returns true or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func tagCond(op, tag string) simac.Condition { return simac.Condition{Type: "tag", Op: op, Value: tag} }

func decodeJSON(res *http.Response, v any) error {
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(v)
}
