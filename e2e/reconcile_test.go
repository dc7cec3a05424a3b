package e2e

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autocred/autocred/certifier"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
	"github.com/autocred/autocred/sim/traffic"
)

// The end-to-end tests of reconciling a create whose answer was lost
// (DESIGN §5, R9) against a Certifier sandbox whose search takes only what
// Certifier's search reference documents: a create that Certifier
// processed but whose answer never came is found by a search, never made a
// second time, and a search that fails is no answer.

// waitingPhrase is what a run whose create has an unknown outcome says
// while autocred cannot search Certifier.
const waitingPhrase = "waiting to confirm with Certifier whether the credential was created"

// The Certifier endpoints that make or find credentials.
const (
	epCreate          = "POST /v1/credentials"
	epCreateIssueSend = "POST /v1/credentials/create-issue-send"
	epSearch          = "POST /v1/credentials/search"
)

// strictWorld is a world whose Certifier sandbox searches strictly, with
// a certTap in front of it.
func strictWorld(t *testing.T) (*world, *certTap) {
	t.Helper()
	w := newWorld(t, worldOptions{cert: simcert.Options{Search: simcert.SearchStrict}})
	if !w.cert.StrictSearch() {
		t.Fatal("the Certifier sandbox does not search strictly")
	}
	return w, tapCertifier(w)
}

// certTap sits between autocred and the Certifier sandbox and records every
// request in the order it arrived, with how it ended, as autocred saw it.
//
// While refuse is set, the tap answers every search itself with 400
// validation_error and refuse as the message, as Certifier answers a filter
// it does not take. (The sandbox's fault rules inject 5xx only.)
type certTap struct {
	mu     sync.Mutex
	seen   []*tapped
	refuse string
}

// tapped is one request: its endpoint ("POST /v1/credentials/search") and,
// once it has ended, its outcome: the status, "dropped" (processed, then
// the connection was reset) or "no answer" (autocred gave up waiting).
type tapped struct {
	endpoint string
	outcome  string
}

// tapCertifier puts a certTap in front of the world's Certifier sandbox.
// It must be called before connect: the connection is made with the tap's
// URL.
func tapCertifier(w *world) *certTap {
	tp := &certTap{}
	srv := httptest.NewServer(tp.handler(w.cert))
	w.t.Cleanup(func() { w.stop(); srv.Close() })
	w.certURL = srv.URL + "/v1"
	return tp
}

func (tp *certTap) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		req := &tapped{endpoint: r.Method + " " + r.URL.Path}
		// Read the body first: net/http notices that the client went away
		// (and cancels r's context, which ends the sandbox's injected
		// latency) only once the body has been read.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		tp.mu.Lock()
		tp.seen = append(tp.seen, req)
		tp.mu.Unlock()
		rec := &outcomeWriter{ResponseWriter: rw}
		tp.mu.Lock()
		refuse := tp.refuse
		tp.mu.Unlock()
		if refuse != "" && req.endpoint == epSearch {
			rec.Header().Set("Content-Type", "application/json")
			rec.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(rec).Encode(map[string]any{"error": map[string]string{"code": "validation_error", "message": refuse}})
		} else {
			next.ServeHTTP(rec, r)
		}
		outcome := "no answer"
		switch {
		case rec.hijacked:
			outcome = "dropped"
		case rec.status != 0:
			outcome = fmt.Sprint(rec.status)
		}
		tp.mu.Lock()
		req.outcome = outcome
		tp.mu.Unlock()
	})
}

// outcomeWriter remembers the status written, or that the connection was
// taken over (to be dropped).
type outcomeWriter struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (o *outcomeWriter) WriteHeader(code int) {
	if o.status == 0 {
		o.status = code
	}
	o.ResponseWriter.WriteHeader(code)
}

func (o *outcomeWriter) Write(b []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	return o.ResponseWriter.Write(b)
}

func (o *outcomeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	o.hijacked = true
	return o.ResponseWriter.(http.Hijacker).Hijack()
}

// refuseSearches makes the tap answer searches 400 validation_error with
// message; "" lets them through again.
func (tp *certTap) refuseSearches(message string) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.refuse = message
}

// requests returns the requests seen so far (copies), from index from on.
func (tp *certTap) requests(from int) []tapped {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	var out []tapped
	for _, r := range tp.seen[min(from, len(tp.seen)):] {
		out = append(out, *r)
	}
	return out
}

// mark is the number of requests seen so far, to look at later ones.
func (tp *certTap) mark() int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return len(tp.seen)
}

// count counts the requests from index from on to the endpoints that have
// ended with outcome ("" for any, ended or not).
func (tp *certTap) count(from int, outcome string, endpoints ...string) int {
	n := 0
	for _, r := range tp.requests(from) {
		if slices.Contains(endpoints, r.endpoint) && (outcome == "" || r.outcome == outcome) {
			n++
		}
	}
	return n
}

// credentialCalls lists the creates and searches from index from on, as
// "search 500", "create dropped", "search in flight", for logs and order
// checks.
func (tp *certTap) credentialCalls(from int) []string {
	var out []string
	for _, r := range tp.requests(from) {
		outcome := cmp.Or(r.outcome, "in flight")
		switch r.endpoint {
		case epCreate, epCreateIssueSend:
			out = append(out, "create "+outcome)
		case epSearch:
			out = append(out, "search "+outcome)
		}
	}
	return out
}

// runView is a run with its event log, as GET /api/v1/runs/{id} shows it.
type runView struct {
	run
	Events []struct {
		At      time.Time `json:"at"`
		Message string    `json:"message"`
	} `json:"events"`
}

func (w *world) run(id int64) runView {
	w.t.Helper()
	var v runView
	w.mustCall("GET", fmt.Sprintf("/api/v1/runs/%d", id), nil, &v, 200)
	return v
}

// says reports whether the run's error or one of its events contains text.
func (v runView) says(text string) bool {
	if strings.Contains(v.Error, text) {
		return true
	}
	for _, e := range v.Events {
		if strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

func (v runView) String() string {
	var events []string
	for _, e := range v.Events {
		events = append(events, e.Message)
	}
	return fmt.Sprintf("run %d %s, %d attempts, error %q, events %q", v.ID, v.Status, v.Attempts, v.Error, events)
}

// onlyRun waits for the automation's single run and returns its id.
func (w *world) onlyRun(automationID int64) int64 {
	w.t.Helper()
	var runs []run
	w.waitFor("the run", 30*time.Second, func() bool { runs = w.runs(automationID, ""); return len(runs) == 1 })
	return runs[0].ID
}

// Creates are processed by Certifier and then their answers lost (every
// create, until at least ten of the 20 entered at once have been). With a
// search that takes only what Certifier documents, each contact still ends
// with exactly one credential and at most one email, and every run
// finishes.
func TestLostCreatesReconcileWithDocumentedSearch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		action   map[string]any
		creates  string   // the endpoint the automation creates with
		statuses []string // the statuses a run may end in
		emails   int      // emails each contact gets
	}{
		// create-issue-send made, issued and emailed the credential; with
		// its answer lost, whether the email left is unknown to autocred.
		{"issue and send in one call", nil, epCreateIssueSend, []string{"send_unconfirmed", "issued"}, 1},
		{"issue without send", map[string]any{"send": false}, epCreate, []string{"issued"}, 0},
		{"draft", map[string]any{"issue": false, "send": false}, epCreate, []string{"draft"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const n = 20
			w, tap := strictWorld(t)
			acConn, certConn := w.connect()
			in := make([]simac.ContactInput, n)
			for i := range in {
				in[i] = contact("Lost", fmt.Sprint("Answer", i))
			}
			ids := w.importContacts(in...)
			a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), tc.action)

			must(t, w.cert.Gate().SetRules([]traffic.Rule{
				{Endpoint: epCreate, DropAfterRate: 1},
				{Endpoint: epCreateIssueSend, DropAfterRate: 1},
			}))
			w.tag("Completed", ids...)
			// Ten creates without an answer open Certifier's circuit
			// (engine/circuit.go), which holds the others until a probe;
			// the ones in flight are dropped too.
			w.waitFor("ten creates dropped", time.Minute, func() bool {
				return tap.count(0, "dropped", tc.creates) >= 10
			})
			must(t, w.cert.Gate().SetRules(nil))

			w.waitFor("every run to finish", 2*time.Minute, func() bool {
				runs := w.runs(a.ID, "")
				return len(runs) == n && len(byStatus(runs)["pending"]) == 0
			})
			w.settle(a.ID)

			runs := w.runs(a.ID, "")
			creds, emails := w.credentials(), w.emails()
			var bad []string
			for _, r := range runs {
				if !slices.Contains(tc.statuses, r.Status) {
					bad = append(bad, w.run(r.ID).String())
				}
			}
			for _, c := range in {
				if k, e := len(creds[c.Email]), emails[c.Email]; k != 1 || e > 1 || e != tc.emails {
					bad = append(bad, fmt.Sprintf("%s: %d credentials, %d emails (want 1 and %d)", c.Email, k, e, tc.emails))
				}
			}
			t.Logf("%d creates dropped, %d searches (%s), %d creates in all; runs %s",
				tap.count(0, "dropped", tc.creates), tap.count(0, "", epSearch), outcomes(tap, epSearch),
				tap.count(0, "", epCreate, epCreateIssueSend), runStatuses(runs))
			if len(runs) != n || len(bad) > 0 {
				t.Fatalf("%d runs for %d entries; want each run %s with one credential and %d emails; wrong: %d, the first:\n%s",
					len(runs), n, strings.Join(tc.statuses, " or "), tc.emails, len(bad), strings.Join(bad[:min(len(bad), 3)], "\n"))
			}
		})
	}
}

// A create whose answer was lost, then a search answered 400, then 500,
// then one that never answers in time: each is no answer about the create.
// Through every phase autocred creates nothing more, Certifier holds one
// credential, and the run waits (pending, not failed) saying so; once the
// search works again the run adopts the one credential.
//
// Each phase lasts until autocred has searched in it and seen that
// search fail.
func TestFailedSearchIsNoAnswer(t *testing.T) {
	t.Parallel()
	w, tap := strictWorld(t)
	acConn, certConn := w.connect()
	ids := w.importContacts(contact("Ada", "Lovelace"))
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	email := contact("Ada", "Lovelace").Email

	must(t, w.cert.Gate().SetRules([]traffic.Rule{{Endpoint: epCreateIssueSend, DropAfterRate: 1}}))
	w.tag("Completed", ids...)
	runID := w.onlyRun(a.ID)
	w.waitFor("the create to be processed and its answer dropped", 30*time.Second, func() bool {
		return tap.count(0, "dropped", epCreateIssueSend) == 1
	})

	creates := func() int { return tap.count(0, "", epCreate, epCreateIssueSend) }
	for _, phase := range []struct {
		name    string
		refuse  string        // the 400 message the tap answers searches with
		rule    *traffic.Rule // the sandbox's fault rule
		outcome string        // how the phase's search ends
		within  time.Duration
	}{
		{"search refused (400)", "filter.recipient.email: recipient.email is not a searchable field", nil, "400", 30 * time.Second},
		{"search failed (500)", "", &traffic.Rule{Endpoint: epSearch, ErrorRate: 1, ErrorStatus: 500}, "500", 45 * time.Second},
		// Longer than autocred's wait for Certifier: an issue job ends
		// after 20 s (engine.Config.JobTimeout), the HTTP client after
		// 60 s; neither can be shortened from the command line.
		{"search timed out", "", &traffic.Rule{Endpoint: epSearch, Latency: traffic.Duration(90 * time.Second)}, "no answer", 90 * time.Second},
	} {
		from := tap.mark()
		var rules []traffic.Rule
		if phase.rule != nil {
			rules = append(rules, *phase.rule)
		}
		must(t, w.cert.Gate().SetRules(rules))
		tap.refuseSearches(phase.refuse)
		w.waitFor(phase.name+": autocred to search and fail", phase.within, func() bool {
			return tap.count(from, phase.outcome, epSearch) > 0 || w.run(runID).Status != "pending"
		})
		// The run is saved just after the answer: give it a moment.
		var v runView
		poll(5*time.Second, func() bool {
			v = w.run(runID)
			return v.Status != "pending" || v.says(waitingPhrase)
		})
		if got := creates(); got != 1 {
			t.Errorf("%s: %d creates reached Certifier, want 1 (requests: %s)", phase.name, got, strings.Join(tap.credentialCalls(0), ", "))
		}
		if k := len(w.credentials()[email]); k != 1 {
			t.Errorf("%s: Certifier holds %d credentials for %s, want 1", phase.name, k, email)
		}
		if v.Status != "pending" || !v.says(waitingPhrase) {
			t.Fatalf("%s: %s\nwant the run pending, saying %q (Certifier requests: %s)", phase.name, v, waitingPhrase, strings.Join(tap.credentialCalls(0), ", "))
		}
	}

	must(t, w.cert.Gate().SetRules(nil))
	var v runView
	w.waitFor("the run to finish once the search works", 2*time.Minute, func() bool {
		v = w.run(runID)
		return v.Status != "pending"
	})
	creds := w.credentials()[email]
	if len(creds) != 1 || v.CredentialID != creds[0].ID || creates() != 1 || w.emails()[email] > 1 ||
		(v.Status != "send_unconfirmed" && v.Status != "issued") {
		t.Fatalf("%s\nCertifier: %d credentials, %d emails for %s; %d creates (requests: %s)\nwant the run holding the one credential, one create, at most one email",
			v, len(creds), w.emails()[email], email, creates(), strings.Join(tap.credentialCalls(0), ", "))
	}
}

// A run whose create's answer was lost and whose searches fail is left
// waiting (or, after giving up, failed). The user retries it through the
// API: the retry searches Certifier before it creates anything, and the
// run ends with the one credential the lost create made.
func TestRetryOfWaitingRunSearchesFirst(t *testing.T) {
	t.Parallel()
	w, tap := strictWorld(t)
	acConn, certConn := w.connect()
	ids := w.importContacts(contact("Grace", "Hopper"))
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), w.group("Course"), nil)
	email := contact("Grace", "Hopper").Email

	failSearch := traffic.Rule{Endpoint: epSearch, ErrorRate: 1, ErrorStatus: 500}
	must(t, w.cert.Gate().SetRules([]traffic.Rule{{Endpoint: epCreateIssueSend, DropAfterRate: 1}, failSearch}))
	w.tag("Completed", ids...)
	runID := w.onlyRun(a.ID)
	w.waitFor("the create to be dropped and a search to fail", time.Minute, func() bool {
		return tap.count(0, "dropped", epCreateIssueSend) == 1 && tap.count(0, "500", epSearch) > 0
	})
	must(t, w.cert.Gate().SetRules([]traffic.Rule{failSearch}))
	// The failed search is recorded on the run just after its answer.
	var before runView
	poll(5*time.Second, func() bool {
		before = w.run(runID)
		return before.Status == "failed" || before.says(waitingPhrase)
	})

	from := tap.mark()
	var answer json.RawMessage
	if status := w.call("POST", fmt.Sprintf("/api/v1/runs/%d/retry", runID), nil, &answer); status != http.StatusAccepted {
		t.Fatalf("retrying the waiting run: status %d %s\nwant 202; before the retry: %s", status, answer, before)
	}
	w.waitFor("a Certifier call after the retry", time.Minute, func() bool { return len(tap.credentialCalls(from)) > 0 })
	if first := tap.credentialCalls(from)[0]; !strings.HasPrefix(first, "search") {
		t.Errorf("the first Certifier call after the retry is %q, want a search (calls: %s)", first, strings.Join(tap.credentialCalls(from), ", "))
	}
	must(t, w.cert.Gate().SetRules(nil))

	var v runView
	w.waitFor("the run to finish once the search works", 2*time.Minute, func() bool {
		v = w.run(runID)
		return v.Status != "pending"
	})
	creds := w.credentials()[email]
	if len(creds) != 1 || v.CredentialID != creds[0].ID || w.emails()[email] > 1 ||
		(v.Status != "send_unconfirmed" && v.Status != "issued") {
		t.Fatalf("%s\nCertifier: %d credentials, %d emails for %s (requests: %s)\nwant the run holding the one credential, at most one email",
			v, len(creds), w.emails()[email], email, strings.Join(tap.credentialCalls(0), ", "))
	}
}

// poll calls cond every 100 ms until it holds or timeout has passed, and
// says whether it held; unlike waitFor it leaves the verdict to the caller.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// outcomes counts the outcomes of the requests to an endpoint, for logs.
func outcomes(tap *certTap, endpoint string) string {
	m := map[string]int{}
	for _, r := range tap.requests(0) {
		if r.endpoint == endpoint {
			m[r.outcome]++
		}
	}
	return countsLine(m)
}

// runStatuses counts runs by status, for logs.
func runStatuses(runs []run) string {
	m := map[string]int{}
	for s, rs := range byStatus(runs) {
		m[s] = len(rs)
	}
	return countsLine(m)
}

// A credential someone else made for the same person shortly before a
// create whose answer was lost (by hand, another tool, another automation
// on the group) is not the run's: the run does not adopt it. Two people:
// for the first, the create is refused with a 500 before Certifier makes
// anything, and the only candidate is a draft with another name made by
// hand seconds before; for the second, the create is made and its answer
// lost, and a draft with the same name was made by hand seconds before.
// Each run holds the credential autocred made, and each person is emailed
// once.
func TestLostCreateAdoptsNoOtherCredential(t *testing.T) {
	t.Parallel()
	w, tap := strictWorld(t)
	acConn, certConn := w.connect()
	people := []simac.ContactInput{contact("Refused", "First"), contact("Dropped", "Second")}
	ids := w.importContacts(people...)
	g := w.group("Course")
	a := w.automation(acConn, certConn, w.segment("Completers", "Completed"), g, nil)

	byHand, err := certifier.New(certifier.Config{URL: w.certURL, Token: certToken})
	must(t, err)
	var handMade []string
	for _, r := range []certifier.Recipient{{Name: "Someone Else", Email: people[0].Email}, {Name: "Dropped Second", Email: people[1].Email}} {
		c, err := byHand.Create(context.Background(), certifier.NewCredential{GroupID: g.ID, Recipient: r})
		must(t, err)
		handMade = append(handMade, c.ID)
	}

	must(t, w.cert.Gate().SetRules([]traffic.Rule{{Endpoint: epCreateIssueSend, ErrorRate: 1}}))
	w.tag("Completed", ids[0])
	w.waitFor("the first create refused", time.Minute, func() bool { return tap.count(0, "500", epCreateIssueSend) >= 1 })
	must(t, w.cert.Gate().SetRules([]traffic.Rule{{Endpoint: epCreateIssueSend, DropAfterRate: 1}}))
	w.tag("Completed", ids[1])
	w.waitFor("the second create dropped", time.Minute, func() bool { return tap.count(0, "dropped", epCreateIssueSend) >= 1 })
	must(t, w.cert.Gate().SetRules(nil))
	w.waitFor("both runs to finish", 2*time.Minute, func() bool {
		runs := w.runs(a.ID, "")
		return len(runs) == 2 && len(byStatus(runs)["pending"]) == 0
	})
	w.settle(a.ID)

	emails := w.emails()
	for _, r := range w.runs(a.ID, "") {
		i := slices.IndexFunc(people, func(p simac.ContactInput) bool { return p.Email == r.Email })
		if i < 0 {
			t.Fatalf("a run for %s, who is not one of the two", r.Email)
		}
		if r.CredentialID == "" || r.CredentialID == handMade[i] {
			t.Errorf("%s: the run holds credential %q, made by hand before it (%s); want the one autocred made\n%s", r.Email, r.CredentialID, handMade[i], w.run(r.ID))
		}
		if emails[r.Email] != 1 {
			t.Errorf("%s: %d emails, want 1\n%s", r.Email, emails[r.Email], w.run(r.ID))
		}
	}
}
