package engine

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/internal/metrics"
	"github.com/autocred/autocred/store"
)

// Circuits keeps the circuit breaker of every Certifier connection (see
// autocred.Circuit), in the database so that every node shares it. Every
// call of a stored connection's certifier.Client passes through its
// breaker (accounts.Clients.Certifier): an outage is counted from every call, and
// while the circuit is open the issue jobs of that workspace wait without
// calling; one probe at a time tests recovery.
//
// Only calls made under a lease (the issue jobs; see withLease) are held
// back. Calls a user makes from the UI or the API (the group and attribute
// pickers) go through and are counted, so that the user sees Certifier's
// own answer and a success closes the circuit.
type Circuits struct {
	store  *store.DB
	policy autocred.CircuitPolicy
	m      *metrics.Metrics
	log    *slog.Logger

	mu    sync.Mutex
	cache map[int64]cachedCircuit
}

// cachedCircuit is a circuit as this process last read or wrote it.
type cachedCircuit struct {
	c  autocred.Circuit
	at time.Time
}

// circuitCacheTTL is how long a circuit read from the database is trusted:
// a call while it is closed, or a refusal while it is open and the probe
// time has not come, costs no query. Another node's change is seen within
// it.
const circuitCacheTTL = 500 * time.Millisecond

// NewCircuits returns the circuits of the connections in st; zero fields
// of policy take autocred.DefaultCircuitPolicy's values.
func NewCircuits(st *store.DB, policy autocred.CircuitPolicy, m *metrics.Metrics, log *slog.Logger) *Circuits {
	if m == nil {
		m = metrics.New(nil)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Circuits{store: st, policy: autocred.DefaultCircuitPolicy(policy), m: m, log: log, cache: map[int64]cachedCircuit{}}
}

// Breaker is the certifier.Breaker of one connection (accounts.Breakers).
func (cs *Circuits) Breaker(connID int64) certifier.Breaker {
	return &breaker{cs: cs, connID: connID}
}

// CircuitOpenError is a Certifier call not made because the connection's
// circuit is open: nothing was sent, so it is no attempt and changes
// nothing a run knows. Until is when to ask again.
type CircuitOpenError struct {
	Circuit autocred.Circuit
	Until   time.Time
}

func (e *CircuitOpenError) Error() string {
	return "certifier: not called: " + e.Circuit.Notice(-1)
}

type breaker struct {
	cs     *Circuits
	connID int64
}

// holderKey carries who is calling: the holder of the lease the call is
// made under (one issue job's execution), so that a probe's later calls
// in the same job go through too.
type holderKey struct{}

func withCallHolder(ctx context.Context, holder string) context.Context {
	return context.WithValue(ctx, holderKey{}, holder)
}

func callHolder(ctx context.Context) string {
	h, _ := ctx.Value(holderKey{}).(string)
	return h
}

// cached returns the circuit as last seen, if that was recently.
func (cs *Circuits) cached(connID int64, now time.Time) (autocred.Circuit, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.cache[connID]
	return c.c, ok && now.Sub(c.at) < circuitCacheTTL
}

func (cs *Circuits) remember(c autocred.Circuit, now time.Time) {
	cs.mu.Lock()
	cs.cache[c.ConnectionID] = cachedCircuit{c: c, at: now}
	cs.mu.Unlock()
}

func (b *breaker) Allow(ctx context.Context, endpoint string) error {
	holder := callHolder(ctx)
	if holder == "" {
		return nil // a user's call: see Circuits
	}
	cs, now := b.cs, time.Now()
	c, fresh := cs.cached(b.connID, now)
	if !fresh {
		var err error
		if c, err = cs.store.Circuit(ctx, b.connID); err != nil {
			return err
		}
		cs.remember(c, now)
	}
	probe := c
	ok, until, claim := cs.policy.Allow(&probe, holder, now)
	if !claim {
		if !ok {
			cs.m.CircuitRefused.Inc()
			return &CircuitOpenError{Circuit: c, Until: until}
		}
		return nil
	}
	// The probe time has come: claim it in the database, where exactly
	// one caller of all the nodes wins.
	var won bool
	c, err := cs.store.UpdateCircuit(ctx, b.connID, func(c *autocred.Circuit) bool {
		won, until, claim = cs.policy.Allow(c, holder, now)
		return claim
	})
	if err != nil {
		return err
	}
	cs.remember(c, now)
	if !won {
		cs.m.CircuitRefused.Inc()
		return &CircuitOpenError{Circuit: c, Until: until}
	}
	if claim {
		cs.m.CircuitProbes.Inc()
		cs.log.Info("probing Certifier", "connection", b.connID, "endpoint", endpoint, "reason", c.Reason, "probe", c.Probes)
	}
	return nil
}

// Waiting returns why the calls of holder to connection connID would be
// refused now (its circuit open and the probe time not come, or another
// caller probing), nil when they would go through. Unlike Allow it claims
// no probe: an issue job asks it before it reads the contact from
// ActiveCampaign, which is no use while Certifier cannot be called (a
// tester saw every wake-up of every waiting run read its contact and
// custom fields again).
func (cs *Circuits) Waiting(ctx context.Context, connID int64, holder string) (*CircuitOpenError, error) {
	if holder == "" {
		return nil, nil // a user's call goes through (see Circuits)
	}
	now := time.Now()
	c, fresh := cs.cached(connID, now)
	if !fresh {
		var err error
		if c, err = cs.store.Circuit(ctx, connID); err != nil {
			return nil, err
		}
		cs.remember(c, now)
	}
	ok, until, _ := cs.policy.Allow(&c, holder, now) // on a copy: nothing is claimed
	if ok {
		return nil, nil
	}
	return &CircuitOpenError{Circuit: c, Until: until}, nil
}

func (b *breaker) Done(ctx context.Context, endpoint string, callErr error) {
	o := outcomeOf(endpoint, callErr)
	cs, now, holder := b.cs, time.Now(), callHolder(ctx)
	message := circuitMessage(o, callErr)
	if c, fresh := cs.cached(b.connID, now); fresh {
		if !cs.policy.Record(&c, holder, o, message, now) {
			return // nothing to write
		}
	}
	var before autocred.Circuit
	c, err := cs.store.UpdateCircuit(context.WithoutCancel(ctx), b.connID, func(c *autocred.Circuit) bool {
		before = *c
		return cs.policy.Record(c, holder, o, message, now)
	})
	if err != nil {
		cs.log.Error("recording a Certifier outcome in the circuit", "connection", b.connID, "err", err)
		return
	}
	cs.remember(c, now)
	switch {
	case !before.Open && c.Open:
		cs.m.CircuitOpenings.WithLabelValues(string(c.Reason)).Inc()
		cs.log.Warn("Certifier circuit open: its jobs wait without calling", "connection", b.connID, "reason", c.Reason,
			"failures", c.Failures, "next_probe", c.NextProbe, "last_error", c.Message, "certifier_version", certifier.DefaultVersion)
	case before.Open && !c.Open:
		cs.log.Info("Certifier circuit closed: it answers again", "connection", b.connID, "probes", before.Probes,
			"open_for", now.Sub(before.FailingSince).Round(time.Second))
	case before.Open && c.Open && before.NextProbe != c.NextProbe:
		cs.log.Warn("Certifier probe failed", "connection", b.connID, "reason", c.Reason, "next_probe", c.NextProbe, "last_error", c.Message)
	}
}

// outcomeOf classifies a call's end for the circuit.
func outcomeOf(endpoint string, err error) autocred.CircuitOutcome {
	var ce *certifier.Error
	switch {
	case err == nil && (endpoint == "POST /credentials/create-issue-send" || strings.HasSuffix(endpoint, "/issue")):
		return autocred.OutcomeIssued
	case err == nil:
		return autocred.OutcomeAnswered
	case errors.Is(err, certifier.ErrPlan):
		return autocred.OutcomePlan
	case errors.Is(err, certifier.ErrVersion):
		return autocred.OutcomeVersion
	case errors.Is(err, certifier.ErrRateLimited), errors.Is(err, certifier.ErrRedirect), errors.Is(err, context.Canceled):
		// A 429 has its own pause; a redirect is the URL's fault; a
		// cancelled call is our own shutdown.
		return autocred.OutcomeNeutral
	case errors.Is(err, certifier.ErrServer):
		return autocred.OutcomeDown // a 5xx, or no answer (a timeout included)
	case errors.As(err, &ce) && ce.Status != 0:
		return autocred.OutcomeAnswered // a 4xx about the request: Certifier is up
	}
	return autocred.OutcomeNeutral // nothing was sent (a limiter's wait cut short)
}

// circuitMessage is what the circuit keeps of a failure, for the notice.
func circuitMessage(o autocred.CircuitOutcome, err error) string {
	switch o {
	case autocred.OutcomeDown:
		return err.Error()
	case autocred.OutcomePlan, autocred.OutcomeVersion:
		// Certifier's own words, which the notice quotes as a detail
		// after autocred's (autocred.Circuit.Said).
		return certMessage(err)
	}
	return ""
}

// circuitWait tells whether a failed Certifier call means the run must
// wait for the connection's circuit: the call was not made (the circuit is
// open), or Certifier refused it for the whole workspace (402, an API
// version refused), which opened the circuit.
func (e *Engine) circuitWait(ctx context.Context, connID int64, err error) (*CircuitOpenError, bool) {
	var open *CircuitOpenError
	if errors.As(err, &open) {
		return open, true
	}
	if !errors.Is(err, certifier.ErrPlan) && !errors.Is(err, certifier.ErrVersion) {
		return nil, false
	}
	c, rerr := e.store.Circuit(ctx, connID)
	if rerr != nil || !c.Open {
		// Without a circuit (or its row), wait as it would have.
		policy := e.circuitPolicy()
		reason, o := autocred.CircuitPlan, autocred.OutcomePlan
		if errors.Is(err, certifier.ErrVersion) {
			reason, o = autocred.CircuitVersion, autocred.OutcomeVersion
		}
		now := time.Now()
		c = autocred.Circuit{ConnectionID: connID, Open: true, Reason: reason, Message: circuitMessage(o, err),
			FailingSince: now, Interval: policy.AccountProbe, NextProbe: now.Add(policy.AccountProbe)}
	}
	return &CircuitOpenError{Circuit: c, Until: c.NextProbe}, true
}

// circuitOpen is Circuits.Waiting for the calls of the job in ctx; nil
// when the engine keeps no circuits.
func (e *Engine) circuitOpen(ctx context.Context, connID int64) (*CircuitOpenError, error) {
	if e.cfg.Circuits == nil {
		return nil, nil
	}
	return e.cfg.Circuits.Waiting(ctx, connID, callHolder(ctx))
}

func (e *Engine) circuitPolicy() autocred.CircuitPolicy {
	if e.cfg.Circuits != nil {
		return e.cfg.Circuits.policy
	}
	return autocred.DefaultCircuitPolicy(autocred.CircuitPolicy{})
}

// circuitWaits says, by the circuit's reason, why a run waits without
// calling Certifier: the run's message and its log's line (waitEvent,
// which counts the wake-ups that find it still open). The automation's
// page says the rest once, for all its runs: since when, how many wait,
// when the next try is.
var circuitWaits = map[autocred.CircuitReason]string{
	autocred.CircuitOutage:  "Certifier is not answering, so this run waited without calling it",
	autocred.CircuitPlan:    "This Certifier workspace's plan does not include issuing credentials, so this run waited without calling it: upgrade the plan in Certifier",
	autocred.CircuitVersion: "Certifier no longer accepts the API version this autocred uses, so this run waited without calling it: update autocred to its latest release",
}

// circuitReasons is the same, as the run's message says it while it waits.
var circuitReasons = map[autocred.CircuitReason]string{
	autocred.CircuitOutage:  "Certifier is not answering: this run waits without calling it.",
	autocred.CircuitPlan:    "This Certifier workspace's plan does not include issuing credentials: upgrade the plan in Certifier.",
	autocred.CircuitVersion: "Certifier no longer accepts the API version this autocred uses: update autocred to its latest release.",
}

// circuitNote marks the event of a run that waits for its circuit.
const circuitNote = "so this run waited without calling it"

// waitCircuit puts back what the run knew before the call (none was made,
// or it was refused for the whole workspace: not an attempt), says why it
// waits, on one line however often it wakes, and snoozes its job until
// the circuit's next probe, or a short step while the probe is under way.
func (e *Engine) waitCircuit(ctx context.Context, run *autocred.Run, mark *stepMark, w *CircuitOpenError) error {
	if mark != nil {
		run.Step, run.StepStartedAt, run.Attempts = mark.step, mark.startedAt, mark.attempts
	}
	// The runs list shows why the run waits, in a few words (a tester saw
	// waiting runs with no word of it, then every row repeating the
	// automation's notice); the outcome clears it.
	reason := w.Circuit.Reason
	if circuitWaits[reason] == "" {
		reason = autocred.CircuitOutage
	}
	why := circuitWaits[reason]
	run.LastError, run.ErrorCode = circuitReasons[reason], w.Circuit.Reason.WaitingCode()
	if err := e.save(ctx, run); err != nil {
		return err
	}
	e.waitEvent(ctx, run, why)
	wait := max(time.Until(w.Until), 0)
	// Spread the wake-ups of the runs that wait together, a little.
	return river.JobSnooze(wait + rand.N(min(wait/10, time.Second)+1))
}
