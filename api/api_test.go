package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/internal/testlog"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// apiTest is the API over a complete autocred over both sandboxes, with a
// client that checks every answer for leaked secrets.
type apiTest struct {
	t     *testing.T
	env   *testenv.Env
	url   string
	token string
	logs  *testlog.Buffer
	// secrets must never appear in an answer or a log line.
	secrets []string
}

func newAPITest(t *testing.T) *apiTest {
	t.Helper()
	env := testenv.New(t, testenv.Options{})
	token, err := env.Store.CreateToken(context.Background(), "tests")
	if err != nil {
		t.Fatal(err)
	}
	a := &apiTest{t: t, env: env, token: token, logs: &testlog.Buffer{},
		secrets: []string{testenv.ACKey, testenv.CertifierToken, token}}
	logger := slog.New(slog.NewTextHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(New(Config{Service: env.Service, Tokens: env.Auth, Logger: logger}))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	t.Cleanup(func() {
		logs := a.logs.String()
		for _, s := range a.secrets {
			if strings.Contains(logs, s) {
				t.Errorf("a secret (…%s) is in the logs", s[len(s)-4:])
			}
		}
	})
	return a
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request with the test's token. body is sent as is when it
// is a string, and encoded as JSON otherwise (nil: no body).
func (a *apiTest) call(method, path string, body any) response {
	a.t.Helper()
	return a.callAuth("Bearer "+a.token, method, path, body)
}

// callAuth sends a request with this Authorization header ("" for none).
func (a *apiTest) callAuth(authorization, method, path string, body any) response {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	for _, s := range a.secrets {
		if strings.Contains(string(got), s) || strings.Contains(strings.Join(flatten(resp.Header), " "), s) {
			a.t.Fatalf("%s %s: the answer holds a secret (…%s): %s", method, path, s[len(s)-4:], got)
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: got}
}

func flatten(h http.Header) []string {
	var out []string
	for k, vs := range h {
		out = append(out, k+": "+strings.Join(vs, ","))
	}
	return out
}

// ok checks the status and decodes the body into v (unless v is nil).
func (r response) ok(t *testing.T, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if v == nil {
		return
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// fails checks an error answer: its status, its code and its field, and
// that it has the error shape and a JSON content type. It returns the
// error for more checks on the message.
func (r response) fails(t *testing.T, status int, code, field string) errorBody {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var e errorResponse
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("not an error body: %s: %v", r.body, err)
	}
	if e.Error.Code != code || e.Error.Field != field {
		t.Fatalf("code %q field %q, want %q %q: %s", e.Error.Code, e.Error.Field, code, field, e.Error.Message)
	}
	if e.Error.Message == "" {
		t.Fatal("no message")
	}
	if field == "" && bytes.Contains(r.body, []byte(`"field"`)) {
		t.Errorf("an empty field is sent: %s", r.body)
	}
	return e.Error
}

// eventually polls cond for up to a minute.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // generous: the race detector on two busy cores
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fixture is what most tests need: both accounts connected through the
// API, and a segment, a group and an attribute to pick.
type fixture struct {
	ac, cert         int64
	segment, segName string
	group            string
}

const doneTag = "Done"

func (a *apiTest) fixture() fixture {
	a.t.Helper()
	seg, err := a.env.AC.DefineSegment(testenv.ACAccount, simac.SegmentDef{Name: "Course completed",
		Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: doneTag}}})
	if err != nil {
		a.t.Fatal(err)
	}
	group, err := a.env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Course certificate"})
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.env.Certifier.AddAttribute(testenv.CertWorkspace, "custom.course_name", "Course Name"); err != nil {
		a.t.Fatal(err)
	}
	f := fixture{segment: seg.ID, segName: seg.Name, group: group.ID}
	f.ac = a.connect(map[string]any{"app": "activecampaign", "name": "Acme AC", "api_url": a.env.ACURL, "api_key": testenv.ACKey})
	f.cert = a.connect(map[string]any{"app": "certifier", "name": "Acme Certifier", "api_url": a.env.CertifierURL, "access_token": testenv.CertifierToken})
	return f
}

func (a *apiTest) connect(body map[string]any) int64 {
	a.t.Helper()
	var c struct {
		ID int64 `json:"id"`
	}
	a.call("POST", "/api/v1/connections", body).ok(a.t, http.StatusCreated, &c)
	return c.ID
}

// automation is a valid automation's input, for tests to change.
func (f fixture) automation() map[string]any {
	return map[string]any{
		"name":    "Course completion",
		"trigger": map[string]any{"connection_id": f.ac, "segment_id": f.segment},
		"action": map[string]any{
			"connection_id":     f.cert,
			"group_id":          f.group,
			"recipient_name":    "{{contact.firstName}} {{contact.lastName}}",
			"recipient_email":   "{{contact.email}}",
			"issue_date":        "{{today}}",
			"expiry_date":       "{{today+1y}}",
			"custom_attributes": map[string]any{"custom.course_name": "{{segment.name}}"},
			"issue":             true,
			"send":              true,
		},
	}
}

// automationJSON is what tests read of an automation.
type automationJSON struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	Trigger struct {
		SegmentID   string `json:"segment_id"`
		SegmentName string `json:"segment_name"`
	} `json:"trigger"`
	Action struct {
		GroupName        string            `json:"group_name"`
		RecipientName    string            `json:"recipient_name"`
		ExpiryDate       string            `json:"expiry_date"`
		TimeZone         string            `json:"time_zone"`
		CustomAttributes map[string]string `json:"custom_attributes"`
	} `json:"action"`
	PollInterval string         `json:"poll_interval"`
	Runs         map[string]int `json:"runs"`
}

func (a *apiTest) createAutomation(body map[string]any) automationJSON {
	a.t.Helper()
	var got automationJSON
	a.call("POST", "/api/v1/automations", body).ok(a.t, http.StatusCreated, &got)
	return got
}

func (a *apiTest) automation(id int64) automationJSON {
	a.t.Helper()
	var got automationJSON
	a.call("GET", fmt.Sprintf("/api/v1/automations/%d", id), nil).ok(a.t, http.StatusOK, &got)
	return got
}

// waitStatus waits until an automation has a status, e.g. active after
// its baseline.
func (a *apiTest) waitStatus(id int64, status string) {
	a.t.Helper()
	eventually(a.t, "automation status "+status, func() bool { return a.automation(id).Status == status })
}

// stubTokens is a token checker for tests without a store.
type stubTokens struct{ err error }

func (s stubTokens) CheckToken(context.Context, string) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	return "stub", nil
}

var errDatabaseDown = errors.New("database is down: disk I/O error at /var/lib/autocred/autocred.db")

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
