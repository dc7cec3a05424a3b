package e2e

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testlog"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
	"github.com/autocred/autocred/sim/traffic"
)

// binary is the autocred executable built for this test run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "autocred-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "autocred")
	// Built without the race detector, so that the numbers the batch tests
	// print are the real binary's; the engine's own tests run with it.
	build := exec.Command("go", "build", "-o", binary, "github.com/autocred/autocred/cmd/autocred")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building autocred:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	acAccount = "acme"
	acKey     = "ac-key-e2e-0123456789abcdef"
	workspace = "acme"
	certToken = "cert-token-e2e-0123456789abcdef"
)

// world is one test's sandboxes and autocred process.
type world struct {
	t         testing.TB
	ac        *simac.Server
	cert      *simcert.Server
	acURL     string
	certURL   string
	dir       string
	addr      string // where the API is called: the first node still up
	token     string
	serveArgs []string // without --addr, which is each node's own
	dbArg     string   // the --database value of every node
	database  string   // "sqlite" or "postgres"
	env       []string // the environment of autocred's processes

	mu    sync.Mutex
	nodes []*node

	trace *trace // nil unless AUTOCRED_E2E_TRACE_DIR is set (trace_test.go)
}

// node is one autocred process ("serve"); a world has one, or several on
// one PostgreSQL database.
type node struct {
	addr string
	proc *exec.Cmd       // nil while down
	logs *testlog.Buffer // written by the process's output copier while tests read it
}

type worldOptions struct {
	ac      simac.Options
	cert    simcert.Options
	acRate  float64 // autocred's own limit toward ActiveCampaign; 0: off
	crtRate float64 // toward Certifier; 0: off
	poll    time.Duration
	hints   bool // --public-url pointing at this autocred, so the sandbox's webhooks reach it
	// nodes is how many "serve" processes share the database (default
	// 1); more than one runs on PostgreSQL whatever the suite's database.
	nodes int
	// database overrides the suite's database ("sqlite" or "postgres").
	database string
	// publicURL overrides the --public-url of hints (default: the node's
	// own address); args are more flags for "serve".
	publicURL string
	args      []string
	// maxConns is each node's --db-max-conns on PostgreSQL (default
	// maxConns): a test that issues thousands asks for more.
	maxConns int
}

func newWorld(t testing.TB, o worldOptions) *world {
	t.Helper()
	if o.ac.MatchRunDelay == 0 {
		o.ac.MatchRunDelay = 50 * time.Millisecond
	}
	if o.ac.LegacyEvalDelay == 0 {
		o.ac.LegacyEvalDelay = 50 * time.Millisecond
	}
	if o.ac.RatePerSecond == 0 {
		o.ac.RatePerSecond = -1
	}
	if o.cert.RatePerSecond == 0 {
		o.cert.RatePerSecond = -1
	}
	if o.poll == 0 {
		o.poll = 500 * time.Millisecond
	}
	w := &world{t: t, ac: simac.New(o.ac), cert: simcert.New(o.cert), dir: t.TempDir(), trace: newTrace()}
	acSrv, certSrv := httptest.NewServer(w.trace.wrap("activecampaign", w.ac)), httptest.NewServer(w.trace.wrap("certifier", w.cert))
	t.Cleanup(func() { w.stop(); acSrv.Close(); certSrv.Close(); w.ac.Close() })
	t.Cleanup(func() { w.writeTrace(t) }) // after the w.stop below: the nodes' logs are whole
	w.acURL, w.certURL = acSrv.URL+"/"+acAccount, certSrv.URL+"/v1"
	must(t, w.ac.AddAccount(acAccount, acKey))
	must(t, w.cert.AddWorkspace(workspace, certToken))

	// AUTOCRED_E2E_DATABASE=postgres runs the whole suite on PostgreSQL
	// (a database created for each test and dropped after it).
	w.database = cmp.Or(os.Getenv("AUTOCRED_E2E_DATABASE"), "sqlite")
	if o.database != "" {
		w.database = o.database
	}
	if o.nodes > 1 {
		w.database = "postgres"
	}
	conns := cmp.Or(o.maxConns, maxConns(t, max(o.nodes, 1)))
	if w.database == "postgres" {
		// Released last (cleanups run last first): after the nodes stop.
		holdConnections(t, max(o.nodes, 1)*(conns+2))
	}
	db := testdb.DSN(t, w.database)
	t.Cleanup(w.stop) // before the database is dropped (cleanups run last first)
	if w.database == "sqlite" {
		db = filepath.Join(w.dir, "autocred.db")
	}
	w.env = append(os.Environ(), "AUTOCRED_SECRET_KEY="+secretKey())
	token := exec.Command(binary, "token", "create", "--name", "e2e", "--database", db)
	token.Env = w.env
	out, err := token.CombinedOutput()
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	w.token = lines[len(lines)-1]

	for range max(o.nodes, 1) {
		w.nodes = append(w.nodes, &node{addr: freeAddr(t)})
	}
	w.addr = w.nodes[0].addr
	w.dbArg = db
	w.serveArgs = []string{"serve", "--database", db, "--allow-private-upstreams",
		"--poll-interval", o.poll.String(), "--ac-rate", fmt.Sprint(o.acRate), "--certifier-rate", fmt.Sprint(o.crtRate), "--log-level", "debug"}
	if o.hints {
		w.serveArgs = append(w.serveArgs, "--public-url", cmp.Or(o.publicURL, "http://"+w.addr), "--hinted-poll-interval", o.poll.String(), "--webhook-check-interval", "2s")
	}
	w.serveArgs = append(w.serveArgs, "--db-max-conns", fmt.Sprint(conns))
	w.serveArgs = append(w.serveArgs, o.args...)
	for i := range w.nodes {
		w.startNode(i)
	}
	return w
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start restarts the (first) node.
func (w *world) start() { w.t.Helper(); w.startNode(0) }

// startNode runs node i's "autocred serve" and waits until it is ready.
// Its address was free when freeAddr picked it, but another test's server
// may take it before autocred binds it (16 tests start servers at once):
// autocred then exits saying so, and starts again on another address. A
// 200 from /readyz counts only once this node's own log says it listens on
// the address: whoever took it may be another test's autocred, whose
// /readyz answers the same, and whose database knows no token of this
// test's (seen: "invalid API token" on a test's first call).
func (w *world) startNode(i int) {
	w.t.Helper()
	for attempt := 1; ; attempt++ {
		if w.startNodeOnce(i) {
			w.pickAPINode()
			return
		}
		if attempt == 3 {
			w.t.Fatalf("autocred could not bind a free address three times:\n%s", w.nodes[i].logs)
		}
		w.mu.Lock()
		w.nodes[i].proc.Wait()
		old := w.nodes[i].addr
		w.nodes[i].proc, w.nodes[i].addr = nil, freeAddr(w.t)
		for j, arg := range w.serveArgs { // --public-url at the old address
			if arg == "http://"+old {
				w.serveArgs[j] = "http://" + w.nodes[i].addr
			}
		}
		w.mu.Unlock()
	}
}

// startNodeOnce starts node i and waits until it is ready (true), or
// until it exits because its address was taken (false).
func (w *world) startNodeOnce(i int) bool {
	w.t.Helper()
	w.mu.Lock()
	n := w.nodes[i]
	cmd := exec.Command(binary, append(w.serveArgs, "--addr", n.addr)...)
	cmd.Env = w.env
	n.logs = &testlog.Buffer{}
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	must(w.t, cmd.Start())
	n.proc = cmd
	w.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	listening := "autocred listening on http://" + n.addr + "\n"
	for {
		if strings.Contains(n.logs.String(), listening) {
			resp, err := http.Get("http://" + n.addr + "/readyz")
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && string(body) == "ready\n" {
					return true
				}
			}
		}
		if strings.Contains(n.logs.String(), "address already in use") {
			return false
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("autocred did not become ready:\n%s", n.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pickAPINode points the API calls at the first node that is up: any node
// answers them, as a load balancer in front of a cluster would rely on.
func (w *world) pickAPINode() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range w.nodes {
		if n.proc != nil {
			w.addr = n.addr
			return
		}
	}
}

// peakRSS is the (first) node's peak resident memory (VmHWM), in MiB.
func (w *world) peakRSS() float64 { return w.nodePeakRSS(0) }

// nodePeakRSS is node i's peak resident memory, in MiB; 0 while it is down.
func (w *world) nodePeakRSS(i int) float64 { return w.nodeMemory(i, "VmHWM") }

// nodeMemory reads one memory figure of node i's /proc status ("VmHWM",
// "VmRSS"), in MiB; 0 while it is down.
func (w *world) nodeMemory(i int, field string) float64 {
	for line := range strings.SplitSeq(string(w.procFile(i, "status")), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

// nodeCPU is the CPU time (user and system) node i has used so far; 0
// while it is down.
func (w *world) nodeCPU(i int) time.Duration {
	return statCPU(w.procFile(i, "stat"))
}

// statCPU reads a process's CPU time (user + system) from its
// /proc/<pid>/stat; 0 when data is empty.
func statCPU(data []byte) time.Duration { return statTicks(data, 11, 12) }

// statCPUWithChildren is statCPU plus that of the process's children that
// ended and were waited for: PostgreSQL's server process gathers its
// backends' so.
func statCPUWithChildren(data []byte) time.Duration { return statTicks(data, 11, 14) }

// statTicks adds the fields from first to last of a /proc/<pid>/stat after
// the command name (which may hold spaces, so it is skipped up to its
// closing parenthesis), counted from 0: utime and stime are 11 and 12,
// cutime and cstime 13 and 14, in clock ticks of 1/100 s on Linux.
func statTicks(data []byte, first, last int) time.Duration {
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) <= last {
		return 0
	}
	var ticks int64
	for _, v := range f[first : last+1] {
		var n int64
		fmt.Sscan(v, &n)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// procFile reads /proc/<pid>/<name> of node i; nil while it is down.
func (w *world) procFile(i int, name string) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.nodes[i]
	if n.proc == nil {
		return nil
	}
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", n.proc.Process.Pid, name))
	return data
}

// metric returns the lines of /metrics about one metric, for logs.
func (w *world) metric(name string) string {
	w.mu.Lock()
	addr := w.addr
	w.mu.Unlock()
	return metricAt(addr, name)
}

// syncsDone sums autocred's autocred_syncs_total over the results given
// ("ok", "incomplete", "error"), or over all of them.
func (w *world) syncsDone(results ...string) int64 {
	var n int64
	for l := range strings.SplitSeq(w.metric("autocred_syncs_total"), "; ") {
		f := strings.Fields(l)
		if len(f) != 2 || len(results) > 0 && !slices.ContainsFunc(results, func(r string) bool {
			return strings.Contains(f[0], `result="`+r+`"`)
		}) {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		n += int64(v)
	}
	return n
}

// metricAt returns the lines about one metric of the node at addr.
func metricAt(addr, name string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var lines []string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, name) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

// kill ends the (first) node with SIGKILL: no cleanup, as in a crash.
func (w *world) kill() { w.killNode(0) }

// killNode ends node i with SIGKILL.
func (w *world) killNode(i int) {
	w.mu.Lock()
	n := w.nodes[i]
	if n.proc != nil {
		_ = n.proc.Process.Signal(syscall.SIGKILL)
		_ = n.proc.Wait()
		n.proc = nil
	}
	w.mu.Unlock()
	w.pickAPINode()
}

// maxConns is each node's --db-max-conns, unless a test says otherwise.
// Tests run eight at once and share PostgreSQL's 100 connections: at the
// default 30 a node each, a busy moment ran it out ("too many clients
// already", an API answering 500), so a test's nodes take 12 each. A
// benchmark runs alone and keeps the default, but its nodes together (and
// River's listener, 2 each) must stay within this process's share.
func maxConns(t testing.TB, nodes int) int {
	if _, test := t.(*testing.T); test {
		return 12
	}
	return min(30, pgShare/nodes-2)
}

// pgShare is the PostgreSQL connections this test process may hold: the
// server's 100, less a few for the harness's own (creating and dropping
// databases, token create) and for superusers; or less, when
// AUTOCRED_E2E_PG_CONNECTIONS says so because another test process shares
// the server (scripts/test runs the tiny benchmarks beside the
// end-to-end suite on SQLite, with 42 and 46).
var pgShare = envInt("AUTOCRED_E2E_PG_CONNECTIONS", 88)

// pgConnections is the share's connections that the tests running at
// once hold between them.
var pgConnections = semaphore.NewWeighted(int64(pgShare))

// holdConnections waits until a test's nodes can open n connections
// without running PostgreSQL out of them, and gives them back when the
// test ends. Benchmarks run alone and take none.
func holdConnections(t testing.TB, n int) {
	if _, test := t.(*testing.T); !test {
		return
	}
	if n > pgShare {
		t.Fatalf("this test's nodes need %d PostgreSQL connections, more than the %d that AUTOCRED_E2E_PG_CONNECTIONS gives this process", n, pgShare)
	}
	if err := pgConnections.Acquire(context.Background(), int64(n)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pgConnections.Release(int64(n)) })
}

// stop ends every node gracefully.
func (w *world) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, n := range w.nodes {
		if n.proc == nil {
			continue
		}
		_ = n.proc.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = n.proc.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = n.proc.Process.Kill()
			<-done
		}
		if w.t.Failed() {
			logs := n.logs.String()
			w.t.Logf("autocred log of node %d (tail):\n%s", i, tail(logs, 60))
			if errs := errorLines(logs, 40); errs != "" {
				w.t.Logf("autocred log of node %d (its errors, which the tail may have pushed out):\n%s", i, errs)
			}
		}
		n.proc = nil
	}
}

// errorLines is the first n lines of the log at level ERROR: the cause of
// a failed request is often minutes before the shutdown lines of the tail.
func errorLines(s string, n int) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "level=ERROR") && len(out) < n {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// call sends a JSON request to the REST API and decodes the answer into
// out. It returns the status.
func (w *world) call(method, path string, body, out any) int {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		must(w.t, err)
		rd = bytes.NewReader(b)
	}
	w.mu.Lock()
	addr := w.addr
	w.mu.Unlock()
	req, _ := http.NewRequestWithContext(context.Background(), method, "http://"+addr+path, rd)
	req.Header.Set("Authorization", "Bearer "+w.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			w.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// mustCall is call that fails the test unless the status is want.
func (w *world) mustCall(method, path string, body, out any, want int) {
	w.t.Helper()
	var raw json.RawMessage
	got := w.call(method, path, body, &raw)
	if got != want {
		w.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, raw)
	}
	if out != nil {
		must(w.t, json.Unmarshal(raw, out))
	}
}

type connection struct {
	ID         int64  `json:"id"`
	SecretHint string `json:"secret_hint"`
}

// automation is what the API says of an automation, as far as the tests
// look: its status and why, how its segment is read (its syncs, a notice),
// its runs by status, its baseline and its Certifier circuit.
type automation struct {
	ID            int64          `json:"id"`
	LastSyncAt    time.Time      `json:"last_sync_at"`
	LastSyncError string         `json:"last_sync_error"`
	SyncNotice    string         `json:"sync_notice"`
	Name          string         `json:"name"`
	Status        string         `json:"status"`
	StatusReason  string         `json:"status_reason"`
	Runs          map[string]int `json:"runs"`
	Baseline      struct {
		Done, Total int
	} `json:"baseline"`
	CertifierCircuit *struct {
		Reason      string `json:"reason"`
		WaitingRuns int    `json:"waiting_runs"`
		Notice      string `json:"notice"`
	} `json:"certifier_circuit"`
}

// automationNow reads an automation through the API.
func (w *world) automationNow(id int64) automation {
	w.t.Helper()
	var a automation
	w.mustCall("GET", fmt.Sprintf("/api/v1/automations/%d", id), nil, &a, 200)
	return a
}

type run struct {
	ID           int64  `json:"id"`
	ContactID    int64  `json:"contact_id"`
	Entry        int    `json:"entry"`
	Email        string `json:"email"`
	Status       string `json:"status"`
	CredentialID string `json:"credential_id"`
	PublicLink   string `json:"public_link"`
	Error        string `json:"error"`
	ErrorCode    string `json:"error_code"`
	Attempts     int    `json:"attempts"`
}

// connect creates both connections through the API.
func (w *world) connect() (acConn, certConn int64) {
	w.t.Helper()
	var ac, cert connection
	w.mustCall("POST", "/api/v1/connections", map[string]string{"app": "activecampaign", "name": "Acme AC", "api_url": w.acURL, "api_key": acKey}, &ac, 201)
	w.mustCall("POST", "/api/v1/connections", map[string]string{"app": "certifier", "name": "Acme Certifier", "api_url": w.certURL, "access_token": certToken}, &cert, 201)
	return ac.ID, cert.ID
}

// acWebhooks lists the webhooks registered on the ActiveCampaign account.
// It asks the sandbox directly: polling GET /webhooks with the account's key
// would spend the 5 requests a second autocred shares with it, and autocred
// would be rate limited by the test itself (it was: a 429 on its own
// GET /webhooks made the webhook late).
func (w *world) acWebhooks() []simac.WebhookInfo {
	w.t.Helper()
	hooks, err := w.ac.Webhooks(acAccount)
	must(w.t, err)
	return hooks
}

// segment defines a segment of the contacts that have tag.
func (w *world) segment(name, tag string) simac.Segment {
	w.t.Helper()
	seg, err := w.ac.DefineSegment(acAccount, simac.SegmentDef{Name: name, Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: tag}}})
	must(w.t, err)
	return seg
}

func (w *world) group(name string) simcert.Group {
	w.t.Helper()
	g, err := w.cert.AddGroup(workspace, simcert.GroupInput{Name: name})
	must(w.t, err)
	return g
}

// automation creates an automation through the API, activates it and waits
// for its baseline.
func (w *world) automation(acConn, certConn int64, seg simac.Segment, group simcert.Group, action map[string]any) automation {
	w.t.Helper()
	act := map[string]any{"connection_id": certConn, "group_id": group.ID,
		"recipient_name": "{{contact.firstName}} {{contact.lastName}}", "recipient_email": "{{contact.email}}",
		"issue_date": "{{today}}", "expiry_date": "{{today+1y}}", "issue": true, "send": true}
	for k, v := range action {
		act[k] = v
	}
	var a automation
	w.mustCall("POST", "/api/v1/automations", map[string]any{"name": "Certificates: " + seg.Name,
		"trigger": map[string]any{"connection_id": acConn, "segment_id": seg.ID}, "action": act}, &a, 201)
	if a.Status != "draft" {
		w.t.Fatalf("new automation is %s, want draft", a.Status)
	}
	w.mustCall("POST", fmt.Sprintf("/api/v1/automations/%d/activate", a.ID), nil, nil, 202)
	w.waitFor("baseline of "+a.Name, 60*time.Second, func() bool {
		a = w.automationNow(a.ID)
		return a.Status == "active"
	})
	return a
}

func (w *world) importContacts(in ...simac.ContactInput) []int64 {
	w.t.Helper()
	ids, err := w.ac.Import(acAccount, in)
	must(w.t, err)
	return ids
}

func (w *world) tag(tag string, ids ...int64) {
	w.t.Helper()
	must(w.t, w.ac.BulkTag(acAccount, ids, tag, false))
}

func (w *world) untag(tag string, ids ...int64) {
	w.t.Helper()
	must(w.t, w.ac.BulkTag(acAccount, ids, tag, true))
}

// runs lists every run of an automation through the API, following cursors.
func (w *world) runs(automationID int64, query string) []run {
	w.t.Helper()
	var all []run
	cursor := ""
	for {
		var page struct {
			Runs       []run   `json:"runs"`
			NextCursor *string `json:"next_cursor"`
		}
		path := fmt.Sprintf("/api/v1/automations/%d/runs?limit=500&%s", automationID, query)
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		w.mustCall("GET", path, nil, &page, 200)
		all = append(all, page.Runs...)
		if page.NextCursor == nil || *page.NextCursor == "" {
			return all
		}
		cursor = *page.NextCursor
	}
}

func byStatus(runs []run) map[string][]run {
	out := map[string][]run{}
	for _, r := range runs {
		out[r.Status] = append(out[r.Status], r)
	}
	return out
}

func (w *world) waitFor(what string, timeout time.Duration, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// settle waits for the automations' pending runs to finish and then for
// three more complete syncs of each (the first may have read the segment
// before the latest change), so that whatever else would happen (an absence
// confirmed by two snapshots, a late entry) has happened.
func (w *world) settle(automationIDs ...int64) {
	w.t.Helper()
	for _, id := range automationIDs {
		w.waitFor("pending runs to finish", 3*time.Minute, func() bool { return w.automationNow(id).Runs["pending"] == 0 })
		for range 3 {
			last := w.automationNow(id).LastSyncAt
			w.waitFor("a sync", time.Minute, func() bool { return w.automationNow(id).LastSyncAt.After(last) })
		}
		w.waitFor("pending runs to finish", 3*time.Minute, func() bool { return w.automationNow(id).Runs["pending"] == 0 })
	}
}

// credentials returns the Certifier sandbox's credentials by recipient email.
func (w *world) credentials() map[string][]simcert.Credential {
	out := map[string][]simcert.Credential{}
	for _, c := range w.cert.Credentials(workspace) {
		out[c.Recipient.Email] = append(out[c.Recipient.Email], c)
	}
	return out
}

// emails counts the emails the Certifier sandbox sent, by recipient.
func (w *world) emails() map[string]int {
	out := map[string]int{}
	for _, e := range w.cert.Outbox(workspace) {
		out[e.To]++
	}
	return out
}

func contact(first, last string) simac.ContactInput {
	return simac.ContactInput{Email: strings.ToLower(first) + "." + strings.ToLower(last) + "@example.com", FirstName: first, LastName: last}
}

// secretKey makes a key for AUTOCRED_SECRET_KEY, which every node of a
// PostgreSQL deployment must share.
func secretKey() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

// envInt reads a positive integer from the environment, for benchmark sizes.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// envDuration reads a duration from the environment.
func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// checkPace fails the test if autocred sent an account more than its limit
// (perSecond) over any ten seconds. The sandbox counts requests when its
// handler runs, in this process, which shares two cores with autocred: a
// pause here bunches requests that left autocred at an even pace, so the
// one-second peak (in the tests' logs) can pass the limit by a request or
// two while the pace does not. autocred's own pacing is unit-tested in
// internal/ratelimit; what this checks is that every request of every
// process draws from one budget (without it the peaks were 2.6 times the
// limit).
func checkPace(t *testing.T, system string, st traffic.AccountStats, perSecond int) {
	t.Helper()
	if st.PeakPer10Seconds > 10*perSecond {
		t.Errorf("%s saw %d requests within ten seconds (%d within one); its limit is %d a second",
			system, st.PeakPer10Seconds, st.PeakPerSecond, perSecond)
	}
}
