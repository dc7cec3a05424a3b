package certifier

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testWorkspace = "acme"
	testToken     = "tok-acme-0123456789"
)

// sandbox is a Server behind a real HTTP listener, with one seeded
// workspace, as the project's end-to-end tests use it.
type sandbox struct {
	t      *testing.T
	srv    *Server
	url    string
	sample Sample
}

// newSandbox starts a server. Unless the test sets a rate, the limit is off
// so that only the rate-limit tests meet it.
func newSandbox(t *testing.T, opts Options) *sandbox {
	t.Helper()
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = -1
	}
	srv := New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	if err := srv.AddWorkspace(testWorkspace, testToken); err != nil {
		t.Fatal(err)
	}
	sample, err := srv.SeedSample(testWorkspace)
	if err != nil {
		t.Fatal(err)
	}
	return &sandbox{t: t, srv: srv, url: ts.URL, sample: sample}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// object decodes the body as a JSON object.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// list decodes a {data, pagination} answer.
func (r response) list(t *testing.T) (data []map[string]any, prev, next *string) {
	t.Helper()
	var l struct {
		Data       []map[string]any `json:"data"`
		Pagination struct {
			Prev *string `json:"prev"`
			Next *string `json:"next"`
		} `json:"pagination"`
	}
	if err := json.Unmarshal(r.body, &l); err != nil || l.Data == nil {
		t.Fatalf("body is not a {data, pagination} list (%v):\n%s", err, r.body)
	}
	return l.Data, l.Pagination.Prev, l.Pagination.Next
}

// do sends a request. body is sent as is when it is a string, as JSON
// otherwise. Headers start as a valid API call; a header set to "" is
// removed.
func (sb *sandbox) do(method, path string, body any, headers map[string]string) response {
	sb.t.Helper()
	r, err := sb.try(method, path, body, headers)
	if err != nil {
		sb.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (sb *sandbox) try(method, path string, body any, headers map[string]string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			sb.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, sb.url+path, rd)
	if err != nil {
		sb.t.Fatal(err)
	}
	req.Header.Set("Certifier-Version", apiVersion)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}, err
}

// api is a valid API call under /v1.
func (sb *sandbox) api(method, path string, body any) response {
	sb.t.Helper()
	return sb.do(method, "/v1"+path, body, nil)
}

// ok calls the API and fails the test unless the status is want.
func (sb *sandbox) ok(want int, method, path string, body any) map[string]any {
	sb.t.Helper()
	r := sb.api(method, path, body)
	if r.status != want {
		sb.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.status, want, r.body)
	}
	return r.object(sb.t)
}

// credential creates a draft in the course group for email.
func (sb *sandbox) credential(name, email string) map[string]any {
	sb.t.Helper()
	return sb.ok(201, "POST", "/credentials", map[string]any{
		"groupId":   sb.sample.CourseCompletion.ID,
		"recipient": map[string]any{"name": name, "email": email},
	})
}

// wantError checks a Certifier error answer: the status, and a body that is
// exactly {"error":{"code":…,"message":…}} with a message.
func wantError(t *testing.T, r response, status int, code string) string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var body map[string]map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil || len(body) != 1 || body["error"] == nil {
		t.Fatalf("body is not {\"error\":{…}}: %s", r.body)
	}
	e := body["error"]
	msg, _ := e["message"].(string)
	if e["code"] != code || msg == "" || len(e) != 2 {
		t.Fatalf("error %v, want code %q with a message and nothing else", e, code)
	}
	return msg
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
