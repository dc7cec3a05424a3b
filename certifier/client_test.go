package certifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autocred/autocred/internal/upstream"
	simcert "github.com/autocred/autocred/sim/certifier"
	"github.com/autocred/autocred/sim/traffic"
)

type sandbox struct {
	sim    *simcert.Server
	client *Client
	url    string
	group  simcert.Group
}

func newSandbox(t *testing.T, opts simcert.Options) *sandbox {
	t.Helper()
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = -1
	}
	sim := simcert.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	if err := sim.AddWorkspace("acme", "token-abcdef123456"); err != nil {
		t.Fatal(err)
	}
	g, err := sim.AddGroup("acme", simcert.GroupInput{Name: "Course Completion"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.AddAttribute("acme", "custom.course_name", "Course Name"); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{URL: srv.URL + "/v1", Token: "token-abcdef123456"})
	if err != nil {
		t.Fatal(err)
	}
	return &sandbox{sim: sim, client: c, url: srv.URL + "/v1", group: g}
}

func (s *sandbox) newCredential(email string) NewCredential {
	return NewCredential{GroupID: s.group.ID, Recipient: Recipient{Name: "Ada Lovelace", Email: email},
		IssueDate: "2026-03-01", ExpiryDate: "2028-03-01", CustomAttributes: map[string]string{"custom.course_name": "Engines 101"}}
}

func TestCheckToken(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	if err := s.client.CheckToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	bad, _ := New(Config{URL: s.url, Token: "nope"})
	err := bad.CheckToken(context.Background())
	if !errors.Is(err, ErrAuth) || errors.Is(err, ErrServer) {
		t.Fatalf("bad token: %v, want ErrAuth only", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != "unauthorized" {
		t.Errorf("error = %#v, want Certifier's code", err)
	}
}

func TestGroupsFollowsCursors(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	for i := range 130 {
		if _, err := s.sim.AddGroup("acme", simcert.GroupInput{Name: "Group " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	groups, err := s.client.Groups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 131 {
		t.Errorf("got %d groups over pages, want 131", len(groups))
	}
}

func TestCustomAttributesLeaveOutDefaults(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	attrs, err := s.client.CustomAttributes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(attrs) != 1 || attrs[0].Tag != "custom.course_name" || attrs[0].Name != "Course Name" {
		t.Errorf("attributes = %+v, want only custom.course_name", attrs)
	}
}

func TestCreateIssueSendSendsOneEmail(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	cred, err := s.client.CreateIssueSend(context.Background(), s.newCredential("ada@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if cred.Status != "issued" || cred.ID == "" || cred.PublicID == "" || cred.CustomAttributes["custom.course_name"] != "Engines 101" {
		t.Errorf("credential = %+v", cred)
	}
	if out := s.sim.Outbox("acme"); len(out) != 1 || out[0].To != "ada@example.org" || out[0].CredentialID != cred.ID {
		t.Errorf("outbox = %+v", out)
	}
}

func TestStepByStepAndConflicts(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	ctx := context.Background()
	draft, err := s.client.Create(ctx, s.newCredential("ada@example.org"))
	if err != nil || draft.Status != "draft" {
		t.Fatalf("create = %+v, %v", draft, err)
	}
	if _, err := s.client.Send(ctx, draft.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("send of a draft: %v, want ErrConflict", err)
	}
	issued, err := s.client.Issue(ctx, draft.ID)
	if err != nil || issued.Status != "issued" {
		t.Fatalf("issue = %+v, %v", issued, err)
	}
	if _, err := s.client.Issue(ctx, draft.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("second issue: %v, want ErrConflict", err)
	}
	if _, err := s.client.Send(ctx, draft.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.client.Get(ctx, draft.ID)
	if err != nil || got.Status != "issued" {
		t.Errorf("get = %+v, %v", got, err)
	}
	if _, err := s.client.Get(ctx, "01nosuchcredential0000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get missing: %v", err)
	}
}

func TestValidationErrorsCarryTheMessage(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	tests := []struct {
		name   string
		mutate func(*NewCredential)
		want   string
	}{
		{"bad date", func(n *NewCredential) { n.IssueDate = "01/03/2026" }, "issueDate"},
		{"bad email", func(n *NewCredential) { n.Recipient.Email = "not-an-email" }, "email"},
		{"unknown group", func(n *NewCredential) { n.GroupID = "01nosuchgroup000000000000" }, "group"},
		{"unknown attribute", func(n *NewCredential) { n.CustomAttributes = map[string]string{"custom.nope": "x"} }, "custom.nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc := s.newCredential("ada@example.org")
			tt.mutate(&nc)
			_, err := s.client.CreateIssueSend(context.Background(), nc)
			if !errors.Is(err, ErrValidation) || errors.Is(err, ErrUnknownOutcome) {
				t.Fatalf("err = %v, want ErrValidation with a known outcome", err)
			}
			var e *Error
			errors.As(err, &e)
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q does not mention %q", e.Message, tt.want)
			}
		})
	}
	if n := len(s.sim.Credentials("acme")); n != 0 {
		t.Errorf("%d credentials created by refused requests", n)
	}
}

// TestDroppedAnswerIsAnUnknownOutcomeThatSearchFinds is the case that makes
// duplicates in naive clients: Certifier made the credential, the answer
// was lost. The error must say "unknown outcome", and Search must find it.
func TestDroppedAnswerIsAnUnknownOutcomeThatSearchFinds(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	if err := s.sim.Gate().SetRules([]traffic.Rule{{Endpoint: "POST /v1/credentials/create-issue-send", DropAfterRate: 1}}); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	_, err := s.client.CreateIssueSend(context.Background(), s.newCredential("ada@example.org"))
	if !errors.Is(err, ErrUnknownOutcome) || !errors.Is(err, ErrServer) {
		t.Fatalf("dropped answer: %v, want ErrUnknownOutcome and ErrServer", err)
	}
	_ = s.sim.Gate().SetRules(nil)
	// Another credential, for someone else and before: must not match.
	_, _ = s.client.CreateIssueSend(context.Background(), s.newCredential("bob@example.org"))

	found, err := s.client.SearchRecipient(context.Background(), "ada@example.org", started.Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].Recipient.Email != "ada@example.org" || found[0].Status != StatusIssued {
		t.Fatalf("search = %+v, want the one credential made by the lost call", found)
	}
	none, err := s.client.SearchRecipient(context.Background(), "ada@example.org", time.Now().Add(time.Hour))
	if err != nil || len(none) != 0 {
		t.Errorf("search after the credential was made: %d found, err %v; want none", len(none), err)
	}
}

// A search by recipient pages through every credential of the recipient
// (the sandbox answers 25 at a time, as asked) and keeps those created
// since the cutoff, whatever the case of the email it was sent with.
func TestSearchRecipientPagesAndFindsEitherCase(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	for range 60 {
		if _, err := s.client.Create(context.Background(), s.newCredential("Ada.Lovelace@Example.org")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.client.Create(context.Background(), s.newCredential("ada.lovelace@example.org")); err != nil {
		t.Fatal(err)
	}
	all, err := s.client.SearchRecipient(context.Background(), "Ada.Lovelace@Example.org", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 61 {
		t.Errorf("found %d credentials of the recipient, want all 61 (three pages and both cases)", len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b Credential) int { return b.CreatedAt.Compare(a.CreatedAt) }) {
		t.Error("the credentials are not newest first")
	}
}

// searchServer answers POST /credentials/search with the given pages, one
// per call, and counts the calls.
func searchServer(t *testing.T, pages ...[]Credential) (*Client, *int) {
	t.Helper()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := calls
		calls++
		resp := map[string]any{"data": []Credential{}, "pagination": map[string]any{"next": nil}}
		if i < len(pages) {
			resp["data"] = pages[i]
			if i+1 < len(pages) {
				resp["pagination"] = map[string]any{"next": fmt.Sprint("c", i+1)}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL, Token: "token-abcdef123456"})
	if err != nil {
		t.Fatal(err)
	}
	return c, &calls
}

func TestSearchRecipientStopsOnlyWhenTheSortHolds(t *testing.T) {
	at := func(min int) Credential {
		return Credential{ID: fmt.Sprint("c", min), CreatedAt: time.Date(2026, 11, 30, 10, min, 0, 0, time.UTC)}
	}
	since := time.Date(2026, 11, 30, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name      string
		pages     [][]Credential
		wantIDs   []string
		wantCalls int
	}{
		{"newest first: stops at the first older one", [][]Credential{{at(50), at(40)}, {at(35), at(20)}, {at(10)}},
			[]string{"c50", "c40", "c35"}, 2},
		{"not sorted: reads every page", [][]Credential{{at(20), at(40)}, {at(10)}, {at(45)}},
			[]string{"c40", "c45"}, 3},
		{"nothing since the cutoff", [][]Credential{{at(20)}, {at(10)}}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, calls := searchServer(t, tt.pages...)
			got, err := c.SearchRecipient(context.Background(), "ada@example.org", since)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, cr := range got {
				ids = append(ids, cr.ID)
			}
			if !slices.Equal(ids, tt.wantIDs) || *calls != tt.wantCalls {
				t.Errorf("found %v in %d calls, want %v in %d", ids, *calls, tt.wantIDs, tt.wantCalls)
			}
		})
	}
}

// A search with more pages than it reads is no answer, not "none found".
func TestSearchRecipientIncompleteIsAnError(t *testing.T) {
	var pages [][]Credential
	for i := range searchPages + 1 {
		pages = append(pages, []Credential{{ID: fmt.Sprint("c", i), CreatedAt: time.Now()}})
	}
	c, calls := searchServer(t, pages...)
	got, err := c.SearchRecipient(context.Background(), "ada@example.org", time.Now().Add(-time.Hour))
	if !errors.Is(err, ErrSearchIncomplete) || got != nil {
		t.Fatalf("got %d credentials, err %v; want ErrSearchIncomplete and nothing", len(got), err)
	}
	if *calls != searchPages {
		t.Errorf("%d calls, want %d", *calls, searchPages)
	}
}

func TestRecipientEmails(t *testing.T) {
	if got := RecipientEmails("Ada@Example.org"); !slices.Equal(got, []string{"Ada@Example.org", "ada@example.org"}) {
		t.Errorf("RecipientEmails(mixed case) = %v", got)
	}
	if got := RecipientEmails("ada@example.org"); !slices.Equal(got, []string{"ada@example.org"}) {
		t.Errorf("RecipientEmails(lower case) = %v", got)
	}
}

func TestServerErrorsOnReadsAreNotUnknownOutcomes(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	_ = s.sim.Gate().SetRules([]traffic.Rule{{Endpoint: "*", ErrorRate: 1}})
	err := s.client.CheckToken(context.Background())
	if !errors.Is(err, ErrServer) || errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("5xx on a read: %v, want ErrServer only", err)
	}
	_, err = s.client.Create(context.Background(), s.newCredential("ada@example.org"))
	if !errors.Is(err, ErrServer) || !errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("5xx on a create: %v, want ErrServer and ErrUnknownOutcome", err)
	}
}

func TestRateLimitIsWaitedOut(t *testing.T) {
	s := newSandbox(t, simcert.Options{RatePerSecond: 10})
	var wg sync.WaitGroup
	for range 25 {
		wg.Go(func() {
			if err := s.client.CheckToken(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if s.sim.Gate().Stats().RateLimited == 0 {
		t.Error("no request was throttled; the test proves nothing")
	}
}

// A create whose caller stops waiting (a job timeout, a shutdown) may still
// be processed: it is an unknown outcome, not a refusal.
func TestCancelledWaitIsAnUnknownOutcome(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	if err := s.sim.Gate().SetRules([]traffic.Rule{{Endpoint: "POST /v1/credentials/create-issue-send", Latency: traffic.Duration(300 * time.Millisecond)}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.client.CreateIssueSend(ctx, s.newCredential("ada@example.org"))
	if !errors.Is(err, ErrUnknownOutcome) || Refused(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled wait: %v; want an unknown outcome that is not a refusal", err)
	}
	_, err = s.client.CreateIssueSend(context.Background(), NewCredential{GroupID: s.group.ID, Recipient: Recipient{Name: "X", Email: "bad"}})
	if !Refused(err) || errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("validation error: %v; want a refusal", err)
	}
}

// A create that Certifier keeps answering 429 (rate_limit_rate 1, no
// Retry-After, as Certifier) while the caller's time runs out was rate
// limited: a refusal that made nothing, with the time to try again, never
// an unknown outcome (a tester saw such runs say "the credential may have
// been created"). Nothing was made in the sandbox either.
func TestRateLimitOutlivingTheCallerIsNotAnUnknownOutcome(t *testing.T) {
	s := newSandbox(t, simcert.Options{})
	if err := s.sim.Gate().SetRules([]traffic.Rule{{Endpoint: "POST /v1/credentials/create-issue-send", RateLimitRate: 1}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := s.client.CreateIssueSend(ctx, s.newCredential("ada@example.org"))
	var te *upstream.ThrottledError
	if !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrUnknownOutcome) || !Refused(err) || !errors.As(err, &te) || te.Until.IsZero() {
		t.Fatalf("create rate limited past the caller's deadline: %v; want ErrRateLimited with a time to try again, not an unknown outcome", err)
	}
	if got, _ := s.client.SearchRecipient(context.Background(), "ada@example.org", time.Time{}); len(got) != 0 {
		t.Errorf("the sandbox made %d credentials from 429s", len(got))
	}
}
