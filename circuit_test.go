package autocred

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 1, 14, 2, 0, 0, time.UTC)

// testPolicy is the default policy, spelled out so that the tests read.
var testPolicy = DefaultCircuitPolicy(CircuitPolicy{Threshold: 3, FirstProbe: 30 * time.Second, MaxProbe: 2 * time.Minute,
	AccountProbe: 5 * time.Minute, ProbeLease: time.Minute, Recheck: 5 * time.Second})

func openCircuit(reason CircuitReason, interval time.Duration) Circuit {
	return Circuit{ConnectionID: 1, Open: true, Reason: reason, Message: "x", Failures: 3, FailingSince: t0,
		Interval: interval, NextProbe: t0.Add(interval)}
}

func TestCircuitAllow(t *testing.T) {
	probing := openCircuit(CircuitOutage, 30*time.Second)
	probing.ProbeHolder, probing.ProbeUntil, probing.Probes = "job-1", t0.Add(90*time.Second), 1
	tests := []struct {
		name    string
		c       Circuit
		holder  string
		now     time.Time
		ok      bool
		wait    time.Time
		changed bool
		probe   string // ProbeHolder after
	}{
		{"closed lets everyone through", Circuit{Failures: 2}, "job-1", t0, true, time.Time{}, false, ""},
		{"open before the probe time: wait until it", openCircuit(CircuitOutage, 30*time.Second), "job-1", t0.Add(10 * time.Second), false, t0.Add(30 * time.Second), false, ""},
		{"at the probe time the first caller probes", openCircuit(CircuitOutage, 30*time.Second), "job-1", t0.Add(30 * time.Second), true, time.Time{}, true, "job-1"},
		{"the probe's own next call goes", probing, "job-1", t0.Add(40 * time.Second), true, time.Time{}, false, "job-1"},
		{"others wait a short step while it probes", probing, "job-2", t0.Add(40 * time.Second), false, t0.Add(45 * time.Second), false, "job-1"},
		{"never past the probe's lease", probing, "job-2", t0.Add(88 * time.Second), false, t0.Add(90 * time.Second), false, "job-1"},
		{"a probe that never reported frees the claim", probing, "job-2", t0.Add(91 * time.Second), true, time.Time{}, true, "job-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			ok, wait, changed := testPolicy.Allow(&c, tt.holder, tt.now)
			if ok != tt.ok || !wait.Equal(tt.wait) || changed != tt.changed || c.ProbeHolder != tt.probe {
				t.Errorf("Allow = %v, %v, changed %v, holder %q; want %v, %v, %v, %q", ok, wait, changed, c.ProbeHolder, tt.ok, tt.wait, tt.changed, tt.probe)
			}
		})
	}
}

func TestCircuitRecord(t *testing.T) {
	probed := func(c Circuit) Circuit {
		c.ProbeHolder, c.ProbeUntil, c.Probes = "job-1", t0.Add(2*time.Minute), 1
		return c
	}
	now := t0.Add(time.Minute)
	tests := []struct {
		name    string
		c       Circuit
		holder  string
		o       CircuitOutcome
		changed bool
		want    Circuit
	}{
		{"a success with nothing counted writes nothing", Circuit{ConnectionID: 1}, "job-1", OutcomeAnswered, false, Circuit{ConnectionID: 1}},
		{"a success resets the count", Circuit{ConnectionID: 1, Failures: 2, FailingSince: t0, Message: "x"}, "job-1", OutcomeAnswered, true, Circuit{ConnectionID: 1}},
		{"a first failure starts the streak", Circuit{ConnectionID: 1}, "job-1", OutcomeDown, true,
			Circuit{ConnectionID: 1, Failures: 1, FailingSince: now, Message: "down"}},
		{"the threshold opens it", Circuit{ConnectionID: 1, Failures: 2, FailingSince: t0}, "job-1", OutcomeDown, true,
			Circuit{ConnectionID: 1, Open: true, Reason: CircuitOutage, Failures: 3, FailingSince: t0, Message: "down", Interval: 30 * time.Second, NextProbe: now.Add(30 * time.Second)}},
		{"a 429 or a redirect counts for nothing", Circuit{ConnectionID: 1, Failures: 2, FailingSince: t0}, "job-1", OutcomeNeutral, false,
			Circuit{ConnectionID: 1, Failures: 2, FailingSince: t0}},
		{"a failed probe doubles the wait", probed(openCircuit(CircuitOutage, 30*time.Second)), "job-1", OutcomeDown, true,
			func() Circuit {
				c := openCircuit(CircuitOutage, time.Minute)
				c.NextProbe, c.Probes, c.Message = now.Add(time.Minute), 1, "down"
				return c
			}()},
		{"up to the cap", probed(openCircuit(CircuitOutage, 2*time.Minute)), "job-1", OutcomeDown, true,
			func() Circuit {
				c := openCircuit(CircuitOutage, 2*time.Minute)
				c.NextProbe, c.Probes, c.Message = now.Add(2*time.Minute), 1, "down"
				return c
			}()},
		{"a late failure of a call sent before it opened moves nothing", openCircuit(CircuitOutage, 30*time.Second), "job-9", OutcomeDown, false,
			openCircuit(CircuitOutage, 30*time.Second)},
		{"a successful probe closes it", probed(openCircuit(CircuitOutage, time.Minute)), "job-1", OutcomeAnswered, true, Circuit{ConnectionID: 1}},
		{"any answer shows Certifier is up", openCircuit(CircuitOutage, time.Minute), "job-9", OutcomeAnswered, true, Circuit{ConnectionID: 1}},
		{"a neutral probe frees the claim", probed(openCircuit(CircuitOutage, time.Minute)), "job-1", OutcomeNeutral, true,
			func() Circuit { c := openCircuit(CircuitOutage, time.Minute); c.Probes = 1; return c }()},
		{"402 opens it at once, for the account interval", Circuit{ConnectionID: 1}, "job-1", OutcomePlan, true,
			Circuit{ConnectionID: 1, Open: true, Reason: CircuitPlan, FailingSince: now, Message: "down", Interval: 5 * time.Minute, NextProbe: now.Add(5 * time.Minute)}},
		{"a refused version too", Circuit{ConnectionID: 1}, "job-1", OutcomeVersion, true,
			Circuit{ConnectionID: 1, Open: true, Reason: CircuitVersion, FailingSince: now, Message: "down", Interval: 5 * time.Minute, NextProbe: now.Add(5 * time.Minute)}},
		{"a second 402 of a call in flight keeps the probe time", openCircuit(CircuitPlan, 5*time.Minute), "job-9", OutcomePlan, false,
			openCircuit(CircuitPlan, 5*time.Minute)},
		{"a probe refused 402 again waits the account interval again", probed(openCircuit(CircuitPlan, 5*time.Minute)), "job-1", OutcomePlan, true,
			func() Circuit {
				c := openCircuit(CircuitPlan, 5*time.Minute)
				c.NextProbe, c.Probes, c.Message = now.Add(5*time.Minute), 1, "down"
				return c
			}()},
		{"a search that works says nothing about the plan", probed(openCircuit(CircuitPlan, 5*time.Minute)), "job-1", OutcomeAnswered, false,
			probed(openCircuit(CircuitPlan, 5*time.Minute))},
		{"an issuing call that works closes a plan circuit", probed(openCircuit(CircuitPlan, 5*time.Minute)), "job-1", OutcomeIssued, true, Circuit{ConnectionID: 1}},
		{"any answer shows the version is accepted again", probed(openCircuit(CircuitVersion, 5*time.Minute)), "job-1", OutcomeAnswered, true, Circuit{ConnectionID: 1}},
		{"an outage while the plan is refused: probe on the outage's schedule", probed(openCircuit(CircuitPlan, 5*time.Minute)), "job-1", OutcomeDown, true,
			func() Circuit {
				c := openCircuit(CircuitOutage, 30*time.Second)
				c.NextProbe, c.Probes, c.Message = now.Add(30*time.Second), 1, "down"
				return c
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			changed := testPolicy.Record(&c, tt.holder, tt.o, "down", now)
			if changed != tt.changed || c != tt.want {
				t.Errorf("Record: changed %v, circuit\n%+v\nwant changed %v,\n%+v", changed, c, tt.changed, tt.want)
			}
		})
	}
}

func TestDefaultCircuitPolicy(t *testing.T) {
	p := DefaultCircuitPolicy(CircuitPolicy{})
	if p.Threshold != 10 || p.FirstProbe != 30*time.Second || p.MaxProbe != 5*time.Minute || p.AccountProbe != 5*time.Minute ||
		p.ProbeLease != time.Minute || p.Recheck != 5*time.Second {
		t.Errorf("defaults %+v", p)
	}
	if p := DefaultCircuitPolicy(CircuitPolicy{FirstProbe: time.Second}); p.Recheck != 250*time.Millisecond {
		t.Errorf("a short first probe rechecks every %s, want a quarter of it", p.Recheck)
	}
}

func TestCircuitNotice(t *testing.T) {
	outage := openCircuit(CircuitOutage, 5*time.Minute)
	outage.Message = "certifier POST /credentials/create-issue-send: 500 internal_server_error: There was a problem on Certifier's end"
	plan := openCircuit(CircuitPlan, 5*time.Minute)
	plan.Message = "This feature requires a premium plan"
	version := openCircuit(CircuitVersion, 5*time.Minute)
	version.Message = `Certifier-Version "2022-10-26" is not a recognised version`
	silent := openCircuit(CircuitPlan, 5*time.Minute)
	silent.Message = "" // Certifier gave no text
	tests := []struct {
		c       Circuit
		waiting int
		want    string
	}{
		{Circuit{Failures: 2}, 10, ""},
		{outage, 1000, "Certifier has been failing since 2026-05-01 14:02:00 UTC (no answer, or a server error); 1,000 runs waiting; next try at 2026-05-01 14:07:00 UTC. autocred waits without calling it, then one call tests it, and the runs continue by themselves once it answers."},
		{outage, -1, "Certifier has been failing since 2026-05-01 14:02:00 UTC (no answer, or a server error); next try at 2026-05-01 14:07:00 UTC. autocred waits without calling it, then one call tests it, and the runs continue by themselves once it answers."},
		{plan, 1, "Nothing can be issued: this Certifier workspace's plan does not include issuing credentials. Upgrade the plan in Certifier; autocred tries again every 5 minutes and issues the waiting runs by itself; 1 run waiting; next try at 2026-05-01 14:07:00 UTC. Certifier said: \"This feature requires a premium plan\"."},
		{version, 0, "Nothing can be issued: Certifier no longer accepts the API version this autocred uses. Update autocred to its latest release; autocred tries again every 5 minutes and issues the waiting runs by itself; 0 runs waiting; next try at 2026-05-01 14:07:00 UTC. Certifier said: \"" + version.Message + "\"."},
		{silent, -1, "Nothing can be issued: this Certifier workspace's plan does not include issuing credentials. Upgrade the plan in Certifier; autocred tries again every 5 minutes and issues the waiting runs by itself; next try at 2026-05-01 14:07:00 UTC."},
	}
	for _, tt := range tests {
		if got := tt.c.Notice(tt.waiting); got != tt.want {
			t.Errorf("Notice(%d) =\n%s\nwant\n%s", tt.waiting, got, tt.want)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
