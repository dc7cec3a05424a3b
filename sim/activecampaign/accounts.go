package activecampaign

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

var accountName = regexp.MustCompile(`^[a-z0-9-]+$`)

// account is one ActiveCampaign account with all its data. Every field
// below mu is guarded by it.
type account struct {
	name   string
	access *access // the key, its user's permissions; its own lock
	loc    *time.Location

	mu sync.RWMutex

	// contacts[i] is the contact with id i+1. A deleted contact keeps its
	// slot, so ids are never reused and lookups stay a slice index.
	contacts []contact
	live     int              // contacts not deleted
	byEmail  map[string]int64 // lower-cased email → contact id (only non-empty emails)

	tags       []tag // tag id i+1
	tagByName  map[string]int32
	fields     []field          // field id i+1
	fieldByTag map[string]int32 // perstag (upper case) → field id
	lists      []list           // list id i+1
	listByName map[string]int32

	// Sub-records have their own id sequences, as in the real API.
	contactTagIDs   idCounter
	fieldValueIDs   idCounter
	nextContactList int64

	// values interns short custom field values ("Yes", a course name):
	// a million contacts share a handful of strings instead of holding a
	// million copies.
	values map[string]string

	segments    []*segment
	segByRef    map[string]*segment // UUID and decimal legacy id → segment
	nextLegacy  int64
	runs        map[string]*matchRun
	failNext    int
	short       shortReads
	legacyEvals map[legacyKey]*legacyEval
	// Per-account overrides of Options.LegacyReading,
	// Options.SegmentMatch and Options.FieldValueFilter; nil uses the
	// Options.
	legacyReading *LegacyReading
	segmentMatch  *SegmentMatchAvailability
	fieldFilter   *FieldValueFilter

	webhooks    []*webhook
	nextWebhook int64

	edge edgeState // what answers in front of the API (edge.go); its own lock
}

func newAccount(name, apiKey string, loc *time.Location) *account {
	return &account{
		name:        name,
		access:      newAccess(apiKey),
		loc:         loc,
		byEmail:     map[string]int64{},
		tagByName:   map[string]int32{},
		fieldByTag:  map[string]int32{},
		listByName:  map[string]int32{},
		values:      map[string]string{},
		segByRef:    map[string]*segment{},
		runs:        map[string]*matchRun{},
		legacyEvals: map[legacyKey]*legacyEval{},
	}
}

// AddAccount creates an account served under /{name} with the given API key.
func (s *Server) AddAccount(name, apiKey string) error {
	if !accountName.MatchString(name) {
		return fmt.Errorf("account name %q: use lower-case letters, digits and dashes only", name)
	}
	if name == "_sandbox" {
		return errors.New("account name _sandbox is reserved for the control API")
	}
	if apiKey == "" {
		return fmt.Errorf("account %s: an API key is required", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accounts[name]; ok {
		return fmt.Errorf("account %s already exists", name)
	}
	a := newAccount(name, apiKey, s.loc)
	a.access.applyOptions(name, s.opts)
	a.edge.set(s.opts.RedirectTo, http.StatusFound, s.opts.ErrorPage)
	s.accounts[name] = a
	return nil
}

// account returns the named account, or nil.
func (s *Server) account(name string) *account {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.accounts[name]
}

// mustAccount is account for the Go API: an unknown name is an error.
func (s *Server) mustAccount(name string) (*account, error) {
	a := s.account(name)
	if a == nil {
		return nil, fmt.Errorf("no account %q in this sandbox", name)
	}
	return a, nil
}

// setting is one of the sandbox's open-question switches (LegacyReading,
// SegmentMatchAvailability, FieldValueFilter): Options gives it for every
// account, and a Set method overrides it for one.
type setting interface{ validate() error }

// override checks v and, under the account's lock, hands it to set, which
// stores it as the account's override (and drops what the old value
// produced, if anything). Every setting is set this way so that an invalid
// value or an unknown account is refused alike.
func override[T setting](s *Server, name string, v T, set func(*account, *T)) error {
	if err := v.validate(); err != nil {
		return err
	}
	a, err := s.mustAccount(name)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	set(a, &v)
	return nil
}

// overridden is an account's value of a setting: its own override when it
// has one, else def, the Options' value. Callers hold the account's lock.
func overridden[T setting](own *T, def T) T {
	if own != nil {
		return *own
	}
	return def
}

// AccountInfo summarises one account for the control API.
type AccountInfo struct {
	Name     string `json:"name"`
	Contacts int    `json:"contacts"`
	Segments int    `json:"segments"`
	Webhooks int    `json:"webhooks"`
}

// Accounts lists the accounts by name (API keys are never returned).
func (s *Server) Accounts() []AccountInfo {
	s.mu.RLock()
	accts := make([]*account, 0, len(s.accounts))
	for _, a := range s.accounts {
		accts = append(accts, a)
	}
	s.mu.RUnlock()
	sort.Slice(accts, func(i, j int) bool { return accts[i].name < accts[j].name })
	out := make([]AccountInfo, 0, len(accts))
	for _, a := range accts {
		a.mu.RLock()
		out = append(out, AccountInfo{Name: a.name, Contacts: a.live, Segments: len(a.segments), Webhooks: len(a.webhooks)})
		a.mu.RUnlock()
	}
	return out
}

// Reset drops every account and its data, the Gate's counters and fault
// rules, the rate limit set through the control API (back to Options), and
// the webhook delivery counters, and the accounts' throttles.
func (s *Server) Reset() {
	s.mu.Lock()
	s.accounts = map[string]*account{}
	s.mu.Unlock()
	_ = s.gate.SetRules(nil)
	s.gate.SetRatePerSecond(s.opts.gateRate())
	_ = s.gate.SetLimitStatus(s.opts.LimitStatus)
	s.gate.EndThrottles()
	s.gate.Reset()
	s.hooks.reset()
}

// contact returns the live contact with the given id, or nil. Callers hold a.mu.
func (a *account) contact(id int64) *contact {
	if id < 1 || id > int64(len(a.contacts)) {
		return nil
	}
	c := &a.contacts[id-1]
	if c.deleted {
		return nil
	}
	return c
}

// intern returns a shared copy of a short value.
func (a *account) intern(v string) string {
	if len(v) > 64 {
		return v
	}
	if s, ok := a.values[v]; ok {
		return s
	}
	if len(a.values) < 1<<16 {
		a.values[v] = v
	}
	return v
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
