package autocred

import (
	"fmt"
	"strings"
	"time"
)

// CircuitReason is why a Certifier connection's circuit is open.
type CircuitReason string

// The reasons. An outage is Certifier failing (5xx, no answer); the others
// are answers about the whole workspace, not about one credential: every
// run of the connection would get the same one.
const (
	CircuitOutage  CircuitReason = "outage"  // 5xx, timeouts, refused connections
	CircuitPlan    CircuitReason = "plan"    // 402 payment_required: the plan lacks issuing
	CircuitVersion CircuitReason = "version" // 400 missing_version/invalid_version
)

// Circuit is the circuit breaker of one Certifier connection (one
// workspace), shared by every node through the database, so that an outage
// is met once and not once per run.
//
//   - Closed (Open false): calls go through. Failures that say "Certifier
//     is down" are counted; a success resets the count; Threshold of them
//     in a row open it.
//   - Open: no call is made until NextProbe. Jobs wait without calling.
//   - Half-open (Open, NextProbe passed): exactly one caller, the probe,
//     claims the right to call (ProbeHolder, until ProbeUntil, so that a
//     prober that died frees it). Its success closes the circuit; its
//     failure opens it again for twice as long, up to a cap.
//
// An account-level answer (402, an API version refused) opens it at once,
// with a longer fixed interval: it is a definite answer, and it changes
// only when someone upgrades the plan or autocred.
type Circuit struct {
	ConnectionID int64         `json:"connection_id"`
	Open         bool          `json:"open"`
	Reason       CircuitReason `json:"reason,omitempty"`
	// Message is the last failure that counted, in Certifier's words or
	// the transport's.
	Message string `json:"message,omitempty"`
	// Failures counts the down-failures in a row while closed.
	Failures int `json:"failures"`
	// FailingSince is the first failure of the current streak.
	FailingSince time.Time `json:"failing_since"`
	// NextProbe is when one call may test Certifier again (open only).
	NextProbe time.Time `json:"next_probe"`
	// Interval is the wait between probes now in force.
	Interval    time.Duration `json:"-"`
	ProbeHolder string        `json:"-"`
	ProbeUntil  time.Time     `json:"-"`
	// Probes counts the probes of the current opening.
	Probes int `json:"probes"`
}

// CircuitOutcome is what one Certifier call said about the workspace.
type CircuitOutcome int

// The outcomes.
const (
	// OutcomeNeutral says nothing: a 429 (its own pause handles it), a
	// redirect not followed, a call cut short by our own shutdown.
	OutcomeNeutral CircuitOutcome = iota
	// OutcomeAnswered: Certifier answered (2xx, or a 4xx about the
	// request), so it is up; this says nothing about the plan.
	OutcomeAnswered
	// OutcomeIssued: a 2xx of an issuing call (issue, create-issue-send):
	// up, and the plan allows issuing.
	OutcomeIssued
	// OutcomeDown: a 5xx, or no answer (timeout, refused connection).
	OutcomeDown
	// OutcomePlan: 402 payment_required.
	OutcomePlan
	// OutcomeVersion: 400 missing_version or invalid_version.
	OutcomeVersion
)

// CircuitPolicy sets the thresholds and waits. Zero fields take the
// defaults of DefaultCircuitPolicy.
type CircuitPolicy struct {
	// Threshold: down-failures in a row that open the circuit. Default
	// 10. When Certifier is down, the calls already in flight (up to one
	// per issue worker, 20 by default) fail within a second, so 10 opens
	// it as soon as 5 would. When it is only degraded (the R9 test's mix,
	// about a quarter of calls failing), 5 in a row among 20 concurrent
	// calls happen every few hundred calls and held every run back 30 s
	// at a time (R9 took 158 s instead of 60); 10 in a row, about once
	// per million.
	Threshold int
	// FirstProbe is the wait before the first probe; it doubles after
	// each failed probe up to MaxProbe. Defaults 30 s and 5 min: a blip of
	// a few seconds delays credentials by half a minute at most, and a
	// long outage costs one call per 5 minutes (12 an hour) however many
	// runs wait.
	FirstProbe, MaxProbe time.Duration
	// AccountProbe is the fixed wait after an account-level answer
	// (402, a refused API version). Default 5 min: it changes only when
	// someone acts, and a user who just did waits at most that long.
	AccountProbe time.Duration
	// ProbeLease is how long a probe holds its claim; a probe that has
	// not reported by then (its process died) lets another one go.
	// Default 1 min, longer than a job's Certifier calls take.
	ProbeLease time.Duration
	// Recheck is how long a caller that found the probe under way waits
	// before asking again. Default 5 s (at most a quarter of FirstProbe).
	Recheck time.Duration
}

// DefaultCircuitPolicy fills the zero fields of p.
func DefaultCircuitPolicy(p CircuitPolicy) CircuitPolicy {
	if p.Threshold <= 0 {
		p.Threshold = 10
	}
	if p.FirstProbe <= 0 {
		p.FirstProbe = 30 * time.Second
	}
	if p.MaxProbe < p.FirstProbe {
		p.MaxProbe = max(5*time.Minute, p.FirstProbe)
	}
	if p.AccountProbe <= 0 {
		p.AccountProbe = 5 * time.Minute
	}
	if p.ProbeLease <= 0 {
		p.ProbeLease = time.Minute
	}
	if p.Recheck <= 0 {
		p.Recheck = max(min(5*time.Second, p.FirstProbe/4), 50*time.Millisecond)
	}
	return p
}

// Allow decides whether holder may call now. It returns ok, and when not,
// until when to wait; changed tells whether c was modified (a probe
// claimed) and must be saved.
func (p CircuitPolicy) Allow(c *Circuit, holder string, now time.Time) (ok bool, wait time.Time, changed bool) {
	switch {
	case !c.Open:
		return true, time.Time{}, false
	case c.ProbeHolder == holder && now.Before(c.ProbeUntil):
		return true, time.Time{}, false // the probe's next call
	case now.Before(c.NextProbe):
		return false, c.NextProbe, false
	case c.ProbeHolder != "" && now.Before(c.ProbeUntil):
		// Another caller is probing: ask again soon, so that its
		// success lets everyone go within moments.
		return false, minTime(c.ProbeUntil, now.Add(p.Recheck)), false
	}
	c.ProbeHolder, c.ProbeUntil = holder, now.Add(p.ProbeLease)
	c.Probes++
	return true, time.Time{}, true
}

// Record applies the outcome of a call made by holder; changed tells
// whether c was modified and must be saved.
func (p CircuitPolicy) Record(c *Circuit, holder string, o CircuitOutcome, message string, now time.Time) (changed bool) {
	probe := c.Open && holder != "" && c.ProbeHolder == holder
	switch o {
	case OutcomeNeutral:
		if probe {
			// Says nothing: let the next caller probe.
			c.ProbeHolder, c.ProbeUntil = "", time.Time{}
			return true
		}
		return false
	case OutcomeAnswered, OutcomeIssued:
		if !c.Open {
			if c.Failures == 0 {
				return false
			}
			*c = Circuit{ConnectionID: c.ConnectionID}
			return true
		}
		if c.Reason == CircuitPlan && o != OutcomeIssued {
			// Up, but that says nothing about the plan: the probe
			// goes on to its issuing call.
			return false
		}
		*c = Circuit{ConnectionID: c.ConnectionID}
		return true
	case OutcomeDown:
		if !c.Open {
			if c.Failures == 0 {
				c.FailingSince = now
			}
			c.Failures++
			c.Message = message
			if c.Failures >= p.Threshold {
				c.Open, c.Reason, c.Interval = true, CircuitOutage, p.FirstProbe
				c.NextProbe = now.Add(c.Interval)
			}
			return true
		}
		if !probe {
			// A call that left before the circuit opened: already
			// counted in spirit, and no reason to push the probe.
			return false
		}
		next := min(c.Interval*2, p.MaxProbe)
		if c.Reason != CircuitOutage {
			next = p.FirstProbe
		}
		c.Reason, c.Interval, c.Message = CircuitOutage, max(next, p.FirstProbe), message
		c.NextProbe = now.Add(c.Interval)
		c.ProbeHolder, c.ProbeUntil = "", time.Time{}
		return true
	case OutcomePlan, OutcomeVersion:
		reason := CircuitPlan
		if o == OutcomeVersion {
			reason = CircuitVersion
		}
		if c.Open && !probe && c.Reason == reason {
			return false // known already; the probe time stands
		}
		if !c.Open || c.FailingSince.IsZero() {
			c.FailingSince = now
		}
		c.Open, c.Reason, c.Interval, c.Message = true, reason, p.AccountProbe, message
		c.NextProbe = now.Add(c.Interval)
		c.ProbeHolder, c.ProbeUntil = "", time.Time{}
		return true
	}
	return false
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Notice says in words what an open circuit means and what to do, with
// how many runs wait on it (waiting < 0 leaves the count out); "" when the
// circuit is closed. Times are told as the UI tells them (UTC). It is
// Advice, then Said when Certifier gave a reason of its own.
func (c Circuit) Notice(waiting int) string {
	advice, said := c.Advice(waiting), c.Said()
	if said == "" {
		return advice
	}
	return advice + " " + said
}

// Advice is the notice in autocred's words alone: what happened, what to
// do, and that the runs go on by themselves. A refusal of the workspace
// (402, or the API version) is said in the words of the people who read
// it, not in Certifier's, whose message Said keeps as a detail.
func (c Circuit) Advice(waiting int) string {
	if !c.Open {
		return ""
	}
	count := ""
	switch {
	case waiting == 1:
		count = "; 1 run waiting"
	case waiting >= 0:
		count = "; " + Thousands(waiting) + " runs waiting"
	}
	next := c.NextProbe.UTC().Format(noticeTime)
	switch c.Reason {
	case CircuitPlan:
		return fmt.Sprintf("Nothing can be issued: this Certifier workspace's plan does not include issuing credentials. Upgrade the plan in Certifier; autocred tries again every %s and issues the waiting runs by itself%s; next try at %s.",
			everyInWords(c.Interval), count, next)
	case CircuitVersion:
		return fmt.Sprintf("Nothing can be issued: Certifier no longer accepts the API version this autocred uses. Update autocred to its latest release; autocred tries again every %s and issues the waiting runs by itself%s; next try at %s.",
			everyInWords(c.Interval), count, next)
	}
	// The failure itself (a transport's or a proxy's text) is not said:
	// the notice is shown to people (Health), and the server's log and
	// the API's last_error keep it.
	return fmt.Sprintf("Certifier has been failing since %s (no answer, or a server error)%s; next try at %s. autocred waits without calling it, then one call tests it, and the runs continue by themselves once it answers.",
		c.FailingSince.UTC().Format(noticeTime), count, next)
}

// Said is Certifier's own reason for refusing the workspace, quoted as a
// detail after Advice ("Certifier said: …"), for whoever asks Certifier's
// support or searches its documentation; "" for an outage (whose
// transport errors no reader needs) and when Certifier gave no text.
func (c Circuit) Said() string {
	msg := strings.TrimSpace(c.Message)
	if !c.Open || msg == "" || (c.Reason != CircuitPlan && c.Reason != CircuitVersion) {
		return ""
	}
	return `Certifier said: "` + msg + `".`
}

// noticeTime is how the UI tells a moment.
const noticeTime = "2006-01-02 15:04:05 UTC"

// everyInWords tells a probe interval: "5 minutes", "30 seconds".
func everyInWords(d time.Duration) string {
	switch {
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Round(time.Minute)/time.Minute))
	case d == time.Minute:
		return "minute"
	case d >= time.Second:
		return fmt.Sprintf("%d seconds", int(d.Round(time.Second)/time.Second))
	}
	return d.String()
}
