// Package service is the one door of the REST API and the web UI: every use
// case once, with the checks that need the outside accounts (a key that
// works, a segment, group, attribute or field that exists), on top of the
// store, the engine and the accounts' clients (internal/accounts). api and
// web import none of those three (door_test.go checks it), so a rule
// written here holds whichever way a user comes in. Auth is the small door
// of sign-in, sessions and API tokens.
//
// The package is kept rather than letting api and web call the store and
// the engine themselves: both would then repeat the checks of prepare and
// Preview, and the UI's shortcuts to the store are how its rules drifted
// from the API's before.
//
// The use cases that drive an automation (Activate, Pause, Resume, SyncNow,
// RetryRun, RetryFailed) are here too: each is one store method that
// changes a status or a run and enqueues its jobs in the same transaction
// (the transactional enqueue of R9, store.Jobs), then, for a change of what
// is watched, a nudge to the engine's webhook reconciliation.
package service

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/accounts"
	"github.com/autocred/autocred/internal/secret"
	"github.com/autocred/autocred/store"
)

// Config gives New the dependencies of the use cases.
type Config struct {
	Store   *store.DB
	Engine  *engine.Engine
	Clients *accounts.Clients // the engine's: the same rate limits
	Box     *secret.Box
	// AllowPrivateUpstreams lets API URLs point anywhere, e.g. at the
	// sandboxes on localhost. Off in production: a URL outside the vendors'
	// domains is refused, so that a user cannot make autocred send its
	// stored keys, or requests, to an address of their choosing.
	AllowPrivateUpstreams bool
	Logger                *slog.Logger // nil: discard
}

// Service is the use cases. Its dependencies are its own: the API and
// the UI reach the store and the engine only through it.
type Service struct {
	store                 *store.DB
	engine                *engine.Engine
	clients               *accounts.Clients
	box                   *secret.Box
	allowPrivateUpstreams bool
	log                   *slog.Logger

	samples samples // preview members, see Preview
}

// New returns the use cases over cfg's store, engine and clients.
func New(cfg Config) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Store != nil && cfg.Box != nil {
		// A key refused for one connection is refused for every other
		// connection of the same account with that key (made before such
		// duplicates were refused): the store marks them all broken at
		// once, asking the box whether two sealed keys are one.
		cfg.Store.SetSameKey(func(a, b []byte) bool {
			ka, err := cfg.Box.Open(a)
			if err != nil {
				return false
			}
			kb, err := cfg.Box.Open(b)
			return err == nil && subtle.ConstantTimeCompare([]byte(ka), []byte(kb)) == 1
		})
	}
	return &Service{store: cfg.Store, engine: cfg.Engine, clients: cfg.Clients, box: cfg.Box,
		allowPrivateUpstreams: cfg.AllowPrivateUpstreams, log: log}
}

// NewConnection is what a user gives to connect an account:
// autocred.NewConnection, which says why it is defined there.
type NewConnection = autocred.NewConnection

// CreateConnection checks the key with a real call, then stores the
// connection with its key sealed.
func (s *Service) CreateConnection(ctx context.Context, in NewConnection) (autocred.Connection, error) {
	n, err := s.checkNewConnection(ctx, in)
	if err != nil {
		return n.conn, err
	}
	if err := s.alreadyConnected(ctx, n, 0); err != nil {
		return n.conn, err
	}
	c := n.conn
	if err := s.store.CreateConnection(ctx, &c, s.box.Seal(n.key)); err != nil {
		return c, err
	}
	return c, nil
}

// ReconnectConnection replaces a connection's name, URL and key, checked
// with a real call like a new one: how a broken connection is repaired. Its
// automations stay stopped until the user resumes them. A key that cannot
// see the groups or segments its automations use is refused
// (keySeesAutomations); automations paused for a group that the new key
// sees are resumed (resumeVisibleGroups).
func (s *Service) ReconnectConnection(ctx context.Context, id int64, in NewConnection) (autocred.Connection, error) {
	cur, err := s.store.Connection(ctx, id)
	if err != nil {
		return cur, err
	}
	if in.App == "" {
		in.App = cur.App
	}
	if in.App != cur.App {
		return cur, autocred.FieldErrorf("app", "connection %d is a %s connection; it cannot become %s", id, cur.App, in.App)
	}
	if strings.TrimSpace(in.Name) == "" {
		in.Name = cur.Name
	}
	n, err := s.checkNewConnection(ctx, in)
	if err != nil {
		return n.conn, err
	}
	if err := s.alreadyConnected(ctx, n, id); err != nil {
		return n.conn, err
	}
	if err := s.keySeesAutomations(ctx, id, n); err != nil {
		return n.conn, err
	}
	c := n.conn
	c.ID, c.CreatedAt = id, cur.CreatedAt
	if err := s.store.ReplaceConnection(ctx, &c, s.box.Seal(n.key)); err != nil {
		return c, err
	}
	if c.App == autocred.AppCertifier {
		s.resumeVisibleGroups(ctx, id)
	}
	return c, nil
}

// checkNewConnection validates what a user gave and checks the key with a
// real call. It returns the connection to store, its key, and what the
// call told of the account.
func (s *Service) checkNewConnection(ctx context.Context, in NewConnection) (newAccount, error) {
	c, key, firstGroup, err := s.checkKey(ctx, in)
	if err != nil {
		return newAccount{conn: c}, err
	}
	c.SecretHint = secret.Hint(key)
	return newAccount{conn: c, key: key, firstGroup: firstGroup}, nil
}

// checkKey is checkNewConnection's check of what was given: the
// connection without its hint, the key, and a Certifier workspace's
// first group. What can be told without a call is told all at once (a
// missing name and a missing key are two messages, not one per try);
// only then is the key tried.
func (s *Service) checkKey(ctx context.Context, in NewConnection) (c autocred.Connection, key, firstGroup string, err error) {
	c = autocred.Connection{App: in.App, Name: in.Name}
	if c.App != autocred.AppActiveCampaign && c.App != autocred.AppCertifier {
		return c, "", "", c.Validate()
	}
	base, key, err := s.checkGiven(c.App, in)
	if err = autocred.JoinErrors(c.Validate(), err); err != nil {
		return c, "", "", err
	}
	c.APIURL = base
	switch c.App {
	case autocred.AppActiveCampaign:
		client, err := s.clients.NewActiveCampaign(base, key)
		if err != nil {
			return c, "", "", autocred.FieldErrorf("api_url", "%s", err.Error())
		}
		if _, err := client.CheckKey(ctx); err != nil {
			if denied := activecampaign.PermissionDenied(err); denied != "" {
				return c, "", "", &autocred.Error{Code: autocred.ECONNECTION, Field: "api_key", Message: denied}
			}
			return c, "", "", connectionCheckFailed("ActiveCampaign", "api_key", err, errors.Is(err, activecampaign.ErrAuth),
				"ActiveCampaign refused this API key. Copy the key again from Settings → Developer → API Access, and check that the API URL belongs to the same account.")
		}
	case autocred.AppCertifier:
		client, err := s.clients.NewCertifier(base, key)
		if err != nil {
			return c, "", "", autocred.FieldErrorf("access_token", "%s", err.Error())
		}
		if firstGroup, err = client.FirstGroupID(ctx); err != nil {
			return c, "", "", connectionCheckFailed("Certifier", "access_token", err, errors.Is(err, certifier.ErrAuth),
				"Certifier refused this access token. Create a new one under Settings → Developers → Access Tokens and paste it whole.")
		}
	}
	return c, key, firstGroup, nil
}

// checkGiven checks the API URL and the key of a new connection as given,
// without a call: every mistake, joined. It returns the URL to use and the
// key.
func (s *Service) checkGiven(app autocred.App, in NewConnection) (base, key string, err error) {
	var errs []error
	given, required := in.APIKey, autocred.FieldErrorf("api_key", "is required: copy it from ActiveCampaign, Settings → Developer → API Access")
	normalize, allowed, want := activecampaign.NormalizeURL, isActiveCampaignHost, "an ActiveCampaign API URL such as https://youraccount.api-us1.com"
	if app == autocred.AppCertifier {
		given, required = in.AccessToken, autocred.FieldErrorf("access_token", "is required: create one in Certifier, Settings → Developers → Access Tokens")
		normalize, allowed, want = certifier.NormalizeURL, isCertifierHost, "Certifier's API, "+certifier.DefaultURL+" (leave it empty)"
	}
	if key = strings.TrimSpace(given); key == "" {
		errs = append(errs, required)
	}
	if base, err = normalize(in.APIURL); err != nil {
		errs = append(errs, autocred.FieldErrorf("api_url", "%s", err.Error()))
	} else {
		errs = append(errs, s.checkUpstream(base, allowed, "api_url", want))
	}
	return base, key, autocred.JoinErrors(errs...)
}

// connectionCheckFailed turns a failed live check into an error that says
// what to do, without the key.
func connectionCheckFailed(app, field string, err error, refused bool, refusedMsg string) error {
	if refused {
		return &autocred.Error{Code: autocred.ECONNECTION, Field: field, Message: refusedMsg}
	}
	msg := fmt.Sprintf("Could not check the connection with %s: %v", app, err)
	if !strings.Contains(msg, "Check the API URL") {
		// A message that says what to check already (a redirect refused)
		// is not followed by the same advice again.
		msg = strings.TrimSuffix(msg, ".") + ". Check the API URL, or try again in a minute."
	}
	return &autocred.Error{Code: autocred.EUPSTREAM, Field: "api_url", Message: msg}
}

// checkUpstream applies the upstream URL policy.
func (s *Service) checkUpstream(base string, allowed func(host string) bool, field, want string) error {
	if s.allowPrivateUpstreams {
		return nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" || !allowed(strings.ToLower(u.Hostname())) || u.Port() != "" {
		// The sandboxes (sim/) listen on plain http on localhost: whoever
		// tries them first meets this message, so it names the switch.
		return autocred.FieldErrorf(field, "must be %s over https; %q is not. "+
			"To test against the sandboxes (or another local server), start autocred with --allow-private-upstreams "+
			"(or AUTOCRED_ALLOW_PRIVATE_UPSTREAMS=true); it is for testing only.", want, base)
	}
	return nil
}

func isActiveCampaignHost(host string) bool {
	if net.ParseIP(host) != nil {
		return false
	}
	for _, suffix := range activeCampaignDomains {
		if strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
			return true
		}
	}
	return false
}

func isCertifierHost(host string) bool { return host == "api.certifier.io" }

// Connections lists every connection, each Certifier one with what its
// circuit says while it is open, and the groups its automations issue
// from that were deleted; each ActiveCampaign one whose segments cannot
// be read now with a notice saying so (ReadOutages).
func (s *Service) Connections(ctx context.Context) ([]autocred.Connection, error) {
	conns, err := s.store.Connections(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.missingGroups(ctx, conns); err != nil {
		return nil, err
	}
	outages, err := s.ReadOutages(ctx)
	if err != nil {
		return nil, err
	}
	for i, c := range conns {
		if o := outages[c.ID]; o != nil && c.App == autocred.AppActiveCampaign {
			conns[i].Notice = o.Notice()
		}
		if c.App != autocred.AppCertifier {
			continue
		}
		v, err := s.Circuit(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if v != nil {
			conns[i].Notice = v.Notice
		}
	}
	return conns, nil
}

// missingGroups fills each Certifier connection's MissingGroups from the
// automations paused because their group was deleted: the connection's
// key works, so its status alone would say all is well.
func (s *Service) missingGroups(ctx context.Context, conns []autocred.Connection) error {
	autos, err := s.store.Automations(ctx, store.AutomationFilter{})
	if err != nil {
		return fmt.Errorf("listing automations for their missing groups: %w", err)
	}
	for _, a := range autos {
		if !a.GroupMissing() {
			continue
		}
		for i := range conns {
			if conns[i].ID == a.Action.ConnectionID {
				conns[i].MissingGroups = append(conns[i].MissingGroups, autocred.MissingGroup{GroupName: a.Action.GroupName, AutomationID: a.ID, AutomationName: a.Name})
			}
		}
	}
	return nil
}

// CircuitView is an open circuit of a Certifier connection as users see
// it: the facts, the runs it keeps waiting, and the notice in words.
type CircuitView struct {
	Reason       autocred.CircuitReason `json:"reason"`
	FailingSince time.Time              `json:"failing_since"`
	NextTry      time.Time              `json:"next_try"`
	Message      string                 `json:"last_error"`
	WaitingRuns  int                    `json:"waiting_runs"`
	Notice       string                 `json:"notice"`
	// Advice and Said are Notice in two parts, for a page that shows
	// Certifier's own text (Said) quieter than autocred's words
	// (autocred.Circuit.Advice).
	Advice string `json:"-"`
	Said   string `json:"-"`
}

// Circuit returns the circuit of a Certifier connection while it is open;
// nil while it is closed.
func (s *Service) Circuit(ctx context.Context, connID int64) (*CircuitView, error) {
	c, err := s.store.Circuit(ctx, connID)
	if err != nil || !c.Open {
		return nil, err
	}
	n, err := s.store.WaitingRuns(ctx, connID)
	if err != nil {
		return nil, err
	}
	return &CircuitView{Reason: c.Reason, FailingSince: c.FailingSince, NextTry: c.NextProbe, Message: c.Message,
		WaitingRuns: n, Notice: c.Notice(n), Advice: c.Advice(n), Said: c.Said()}, nil
}

// DeleteConnection removes a connection no automation uses. One in use is
// refused with who uses it, by name, and what to do first
// (ConnectionUse.Message); the store refuses it too, should an automation
// take it up meanwhile.
func (s *Service) DeleteConnection(ctx context.Context, id int64) error {
	u, err := s.ConnectionUse(ctx, id)
	if err != nil {
		return err
	}
	if u.InUse() {
		return autocred.Errorf(autocred.ECONFLICT, "%s", u.Message())
	}
	return s.store.DeleteConnection(ctx, id)
}

// upstreamError wraps a failed read from an account so that the user sees
// what happened; a refused key (401) also marks the connection broken, a
// missing permission (403) says which and leaves it.
//
// what names the listing for the user's words ("the groups"); the request
// itself (method, path, status code) goes to the log only (readFailed).
func (s *Service) upstreamError(ctx context.Context, connID int64, app, what string, err error) error {
	if autocred.ErrorCode(err) != autocred.EINTERNAL {
		return err
	}
	if errors.Is(err, activecampaign.ErrAuth) || errors.Is(err, certifier.ErrAuth) {
		reason := autocred.KeyRefused(autocred.AppActiveCampaign, "resume its automations")
		if errors.Is(err, certifier.ErrAuth) {
			reason = autocred.KeyRefused(autocred.AppCertifier, "resume its automations")
		}
		s.log.WarnContext(ctx, "key refused: connection broken", "connection", connID, "err", err)
		_ = s.store.SetConnectionStatus(ctx, connID, autocred.ConnectionBroken, reason)
		return autocred.Errorf(autocred.ECONNECTION, "%s", reason)
	}
	if denied := activecampaign.PermissionDenied(err); denied != "" {
		return autocred.Errorf(autocred.EUPSTREAM, "%s", denied) // the key works: the connection stays
	}
	s.log.WarnContext(ctx, "reading from an account failed", "connection", connID, "app", app, "what", what, "err", err)
	return autocred.Errorf(autocred.EUPSTREAM, "%s", readFailed(app, what, err))
}

// Segments lists the segments of an ActiveCampaign connection.
func (s *Service) Segments(ctx context.Context, connID int64) ([]activecampaign.Segment, error) {
	ac, err := s.clients.ActiveCampaign(ctx, s.store, connID)
	if err != nil {
		return nil, err
	}
	segs, err := ac.Segments(ctx)
	if err != nil {
		return nil, s.upstreamError(ctx, connID, "ActiveCampaign", "the segments", err)
	}
	return segs, nil
}

// Fields lists the custom fields of an ActiveCampaign connection.
func (s *Service) Fields(ctx context.Context, connID int64) ([]activecampaign.Field, error) {
	ac, err := s.clients.ActiveCampaign(ctx, s.store, connID)
	if err != nil {
		return nil, err
	}
	fields, err := ac.Fields(ctx)
	if err != nil {
		return nil, s.upstreamError(ctx, connID, "ActiveCampaign", "the custom fields", err)
	}
	return fields, nil
}

// Groups lists the groups of a Certifier connection.
func (s *Service) Groups(ctx context.Context, connID int64) ([]certifier.Group, error) {
	c, err := s.clients.Certifier(ctx, s.store, connID)
	if err != nil {
		return nil, err
	}
	groups, err := c.Groups(ctx)
	if err != nil {
		return nil, s.upstreamError(ctx, connID, "Certifier", "the groups", err)
	}
	return groups, nil
}

// Attributes lists the custom attributes of a Certifier connection.
func (s *Service) Attributes(ctx context.Context, connID int64) ([]certifier.Attribute, error) {
	c, err := s.clients.Certifier(ctx, s.store, connID)
	if err != nil {
		return nil, err
	}
	attrs, err := c.CustomAttributes(ctx)
	if err != nil {
		return nil, s.upstreamError(ctx, connID, "Certifier", "the custom attributes", err)
	}
	return attrs, nil
}
