// Package metrics defines autocred's Prometheus metrics. One Metrics value
// is made per process and handed to the engine, to the API clients (as
// their upstream.Observer, through internal/accounts) and to the web UI,
// whose health page shows the same numbers in words.
package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every metric autocred exports.
type Metrics struct {
	Registry *prometheus.Registry

	Syncs          *prometheus.CounterVec   // by result: ok, held_back, incomplete, error
	SyncStartLag   prometheus.Histogram     // from a periodic sync being due to its start
	SyncDuration   prometheus.Histogram     // from a sync's start to its end: how long it holds a sync worker
	AbsenceChecks  *prometheus.CounterVec   // single-contact checks of members a read left out, by answer: in, out
	Entries        prometheus.Counter       // new entries recorded
	Exits          prometheus.Counter       // contacts confirmed as left
	Credentials    *prometheus.CounterVec   // runs finished, by outcome (the run status)
	RunErrors      *prometheus.CounterVec   // runs finished failed or skipped, by outcome and error code (autocred.RunErrorCode)
	APIRequests    *prometheus.CounterVec   // by system, endpoint, status ("error" when no answer)
	APIDuration    *prometheus.HistogramVec // by system
	RateLimitWaits *prometheus.CounterVec   // 429/503 answers waited out, by system
	RateLimitSecs  *prometheus.CounterVec   // seconds spent waiting them out, by system
	Hints          *prometheus.CounterVec   // webhook deliveries, by result
	// WebhookMissed counts entries found by polling that no webhook
	// delivery announced; WebhookRenewals the webhooks registered again,
	// by reason: silent (still listed, not sending) or gone (deleted).
	WebhookMissed   prometheus.Counter
	WebhookRenewals *prometheus.CounterVec
	// The Certifier circuits (engine/circuit.go): calls not made because
	// a connection's circuit was open, probes made, and openings by
	// reason (outage, plan, version).
	CircuitRefused  prometheus.Counter
	CircuitProbes   prometheus.Counter
	CircuitOpenings *prometheus.CounterVec
	// Pruning the run history (serve --run-retention): the runs pruned,
	// counted as each transaction commits, and the passes, by result (ok,
	// error). Runs per pass: the first's increase over the second's.
	RunsPruned  prometheus.Counter
	PrunePasses *prometheus.CounterVec
	// RequestsInASecond is, as each paced request leaves, how many
	// requests of its account (an ActiveCampaign account, a Certifier
	// workspace) left in the second up to it, every node's when the
	// budget is shared: how close autocred comes to the budget, as the
	// service counts it.
	RequestsInASecond *prometheus.HistogramVec
}

// New registers the metrics, plus Go runtime and process collectors, on a
// fresh registry. queueDepth is read at every scrape.
func New(queueDepth func() float64) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		Syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autocred_syncs_total", Help: "Segment syncs, by result (ok; held_back: the read was contradicted by single-contact checks and changed nothing; incomplete; forbidden; error).",
		}, []string{"result"}),
		SyncStartLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "autocred_sync_start_lag_seconds",
			Help:    "Time from a periodic segment sync being due to its start: waiting for the schedule, a free worker and the account's turn. Syncs asked for (sync now, activation) are not counted.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800, 3600},
		}),
		SyncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "autocred_sync_seconds",
			Help:    "Time a segment sync takes, from its start to its end (reading the segment, checking, recording): how long it holds one of --sync-workers. Syncs a second times the mean, over the workers, is the share of them busy.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800, 3600},
		}),
		AbsenceChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autocred_absence_checks_total", Help: "Single-contact checks of members a segment read left out, by answer (in: the read was wrong about them; out).",
		}, []string{"answer"}),
		Entries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "autocred_entries_total", Help: "Contacts that newly entered a watched segment (one run each).",
		}),
		Exits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "autocred_exits_total", Help: "Contacts confirmed to have left a watched segment.",
		}),
		Credentials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autocred_runs_finished_total", Help: "Runs that reached a final status (issued, draft, send_unconfirmed, skipped, failed).",
		}, []string{"outcome"}),
		RunErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autocred_run_errors_total", Help: "Runs that finished failed or skipped, by outcome and error code (invalid_email, certifier_validation, gave_up, …).",
		}, []string{"outcome", "code"}),
		APIRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autocred_api_requests_total", Help: "Requests to ActiveCampaign and Certifier, by endpoint and HTTP status.",
		}, []string{"system", "endpoint", "status"}),
		APIDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "autocred_api_request_seconds", Help: "Time to an answer from ActiveCampaign and Certifier.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10),
		}, []string{"system"}),
		RateLimitWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autocred_rate_limit_waits_total", Help: "Rate-limit answers (429, or 503 from ActiveCampaign) waited out.",
		}, []string{"system"}),
		RateLimitSecs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autocred_rate_limit_wait_seconds_total", Help: "Time spent waiting out rate-limit answers.",
		}, []string{"system"}),
		Hints: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autocred_webhook_hints_total", Help: "ActiveCampaign webhook deliveries received, by result.",
		}, []string{"result"}),
		WebhookMissed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "autocred_webhook_missed_deliveries_total", Help: "Entries found by polling whose contact changed after the webhook was registered, with no webhook delivery since.",
		}),
		WebhookRenewals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autocred_webhook_renewals_total", Help: "Hint webhooks registered again, by reason: silent (listed but no longer sending) or gone (deleted on ActiveCampaign's side).",
		}, []string{"reason"}),
		CircuitRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "autocred_certifier_circuit_refused_total", Help: "Certifier calls not made because the connection's circuit was open (the job waited instead).",
		}),
		CircuitProbes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "autocred_certifier_circuit_probes_total", Help: "Calls that tested an open Certifier circuit (one per probe time, across the nodes).",
		}),
		CircuitOpenings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autocred_certifier_circuit_openings_total", Help: "Certifier circuits opened, by reason: outage (5xx or no answer), plan (402), version (API version refused).",
		}, []string{"reason"}),
		RunsPruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "autocred_runs_pruned_total", Help: "Finished runs deleted with their logs because they are older than --run-retention (their counts are kept).",
		}),
		PrunePasses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "autocred_run_prune_passes_total", Help: "Passes that pruned the run history, by result (ok, error).",
		}, []string{"result"}),
	}
	m.RequestsInASecond = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "autocred_account_requests_in_one_second",
		Help: "As each request to ActiveCampaign or Certifier leaves, how many requests of its account left in the second up to it (this one included; every node's on PostgreSQL), by system: against the account's budget (5 and 10 a second; autocred's own 4 and 8 by default).",
		// One bucket per request up to a dozen, to tell 8 from 9 and 10
		// from 11; coarser above, for the limits a deployment raises.
		Buckets: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 20, 50, 100, 200, 500},
	}, []string{"system"})
	reg.MustRegister(m.Syncs, m.SyncStartLag, m.SyncDuration, m.AbsenceChecks, m.Entries, m.Exits, m.Credentials, m.RunErrors, m.APIRequests, m.APIDuration,
		m.RateLimitWaits, m.RateLimitSecs, m.Hints, m.WebhookMissed, m.WebhookRenewals,
		m.CircuitRefused, m.CircuitProbes, m.CircuitOpenings, m.RunsPruned, m.PrunePasses, m.RequestsInASecond,
		// The scheduler's metrics add go_sched_latencies_seconds: how long
		// goroutines ready to run waited for a core. Long waits are a
		// starved host, which makes syncs start late and lets requests
		// that left on time reach a service together.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsScheduler)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if queueDepth != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "autocred_pending_runs", Help: "Runs waiting for their credential (the issuing queue's depth).",
		}, queueDepth))
	}
	return m
}

// Request implements upstream.Observer.
func (m *Metrics) Request(system, endpoint string, status int, took time.Duration) {
	code := "error"
	if status != 0 {
		code = strconv.Itoa(status)
	}
	m.APIRequests.WithLabelValues(system, endpoint, code).Inc()
	m.APIDuration.WithLabelValues(system).Observe(took.Seconds())
}

// Departed records a request of system ("activecampaign", "certifier")
// leaving, with inLastSecond requests of its account in the second up to
// it (ratelimit.Registry.OnLeave).
func (m *Metrics) Departed(system string, inLastSecond int) {
	m.RequestsInASecond.WithLabelValues(system).Observe(float64(inLastSecond))
}

// RateLimited implements upstream.Observer.
func (m *Metrics) RateLimited(system string, wait time.Duration) {
	m.RateLimitWaits.WithLabelValues(system).Inc()
	m.RateLimitSecs.WithLabelValues(system).Add(wait.Seconds())
}

// CircuitState is one Certifier connection's circuit, for the gauge.
type CircuitState struct {
	Connection string // its id
	Reason     string // "" when closed
	Open       bool
}

// WatchCircuits exports autocred_certifier_circuit_open{connection,reason}
// (1 while open, 0 while closed), read at every scrape. It is read from
// the database, so every node reports the same.
func (m *Metrics) WatchCircuits(read func() []CircuitState) {
	m.Registry.MustRegister(&circuitCollector{read: read, desc: prometheus.NewDesc("autocred_certifier_circuit_open",
		"1 while a Certifier connection's circuit is open (its runs wait without calling), by reason: outage, plan or version; 0 while closed.",
		[]string{"connection", "reason"}, nil)})
}

type circuitCollector struct {
	read func() []CircuitState
	desc *prometheus.Desc
}

func (c *circuitCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *circuitCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.read() {
		v := 0.0
		if s.Open {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, s.Connection, s.Reason)
	}
}

// DatabaseCounts are the statements and transactions a database has run.
type DatabaseCounts struct {
	Statements, Writes, Transactions, Commits int64
	// Waits and Waited: how often, and how long in all, work waited for
	// SQLite's one connection.
	Waits  int64
	Waited time.Duration
}

// WatchDatabase exports what read says the database has run, read at
// every scrape: on SQLite, every statement autocred and its job queue ran
// (store.DB.StatementCounts), for measuring the writes per credential.
func (m *Metrics) WatchDatabase(read func() DatabaseCounts) {
	m.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "autocred_database_statements_total", Help: "SQL statements run on SQLite, the job queue's included (0 on PostgreSQL: see pg_stat_database).",
		}, func() float64 { return float64(read().Statements) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "autocred_database_writes_total", Help: "SQL statements run on SQLite that are not a SELECT or PRAGMA (each outside a transaction is a transaction of its own).",
		}, func() float64 { return float64(read().Writes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "autocred_database_transactions_total", Help: "Transactions begun on SQLite (not counting single statements outside one).",
		}, func() float64 { return float64(read().Transactions) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "autocred_database_connection_waits_total", Help: "Times a statement or transaction on SQLite waited for its one connection, held by another.",
		}, func() float64 { return float64(read().Waits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "autocred_database_connection_wait_seconds_total", Help: "Time spent waiting for SQLite's one connection, added over everything that waited (it can grow faster than the clock).",
		}, func() float64 { return read().Waited.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "autocred_database_commits_total", Help: "Commits on SQLite: transactions begun, plus writes made outside one (each its own transaction).",
		}, func() float64 { return float64(read().Commits) }),
	)
}
