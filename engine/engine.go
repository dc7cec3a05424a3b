// Package engine is autocred's worker: it reads watched segments, records
// new entries in the ledger, and issues one credential per entry, as River
// jobs in the same database as the ledger so that an entry, its run and its
// job are committed together or not at all.
//
// Five kinds of job do the work:
//   - schedule (periodic, on the leader only): enqueues a sync for every
//     segment whose automations are due;
//   - sync: reads one segment once and applies the snapshot to every
//     watching automation on it (baseline, entries, absences);
//   - issue: makes the credential of one run, reconciling any earlier
//     attempt whose outcome is unknown before calling Certifier again;
//   - hint: checks one contact that an ActiveCampaign webhook delivery
//     named (Hint, called by package hooks), so that an entry is issued
//     within seconds rather than at the next sync;
//   - webhooks (periodic, on the leader only, and when an automation
//     starts or stops): keeps one hint webhook on each watched
//     ActiveCampaign account, registering, renewing or removing it;
//   - prune (periodic, on the leader only, with a retention set): deletes
//     the runs that finished longer ago than the retention, keeping their
//     counts and the ledger (prune.go);
//   - resend: sends again the email of one run whose send is unconfirmed,
//     when a user asks for all of them at once (resend.go).
//
// A user's controls (activate, pause, retry…) are the service's, each one
// store method that changes an automation or a run and enqueues its jobs
// in the same transaction, through the queue the engine gives the store
// (store.Jobs). The Engine's methods besides Start and Stop are what only
// the running engine can do, for its two callers:
//   - the service: ResendEmail, a user's resend, which takes the run's
//     lease that an issue job holds while it works, so that the two never
//     call Certifier for one run at once; NextAttempts, when River tries
//     runs again (its job table); PollIntervals, its sync settings, for
//     the health page; WebhooksChanged, which enqueues a webhooks job
//     after an automation starts or stops;
//   - package hooks: CheckWebhookToken (against WebhookToken, the token
//     a delivery's URL carries) and Hint, for each webhook delivery.
//
// The clients of the accounts come from internal/accounts, shared with
// the service.
package engine

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/autocred/autocred/internal/accounts"
	"github.com/autocred/autocred/internal/metrics"
	"github.com/autocred/autocred/internal/secret"
	"github.com/autocred/autocred/store"
)

// Config configures an Engine.
type Config struct {
	Store *store.DB
	// Clients makes the accounts' API clients; it is shared with the
	// service, so that both draw on the same rate limits.
	Clients *accounts.Clients
	// Circuits are the Certifier connections' circuit breakers, the same
	// that Clients puts the calls behind (accounts.Config.Breakers); nil
	// when calls have none, and the default policy is in force.
	Circuits *Circuits
	// Box derives the secret path of each connection's webhook.
	Box     *secret.Box
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// PollInterval is how often an automation's segment is read when the
	// automation sets no interval of its own. Default 60 s.
	PollInterval time.Duration
	// ScheduleEvery is how often the scheduler looks for due syncs.
	// Default: half the poll interval, between 100 ms and 1 s.
	ScheduleEvery time.Duration
	// IssueWorkers is how many issue jobs run at once. The Certifier limiter
	// paces them anyway; more workers only wait longer. Default 20.
	IssueWorkers int
	// SyncWorkers is how many segment syncs run at once in this process.
	// A sync mostly waits (for ActiveCampaign to evaluate the segment, and
	// for its account's pace), so many run at once; each holds its
	// segment's member ids while it runs. Default 100.
	SyncWorkers int
	// SyncsPerAccount is how many of them may be syncs of one
	// ActiveCampaign connection (fair.go). Default 4.
	SyncsPerAccount int
	// ACPerSecond is the requests a second autocred sends each
	// ActiveCampaign account (--ac-rate), which bounds how often its
	// segments can be read (budget.go); 0: no limit.
	ACPerSecond float64
	// JobTimeout bounds an issue job; a job of a process that died is
	// picked up again a little after it (RescueAfter). Defaults 20 s, 25 s.
	JobTimeout  time.Duration
	RescueAfter time.Duration
	// Holder names this process in leases. Default host:pid.
	Holder string
	// PublicURL is where ActiveCampaign can reach this service; when set,
	// hint webhooks are registered (see webhooks.go).
	PublicURL string
	// WebhookCheckEvery is how often the hint webhooks are checked (and
	// re-created if ActiveCampaign deleted or disabled one). Default 1 min.
	WebhookCheckEvery time.Duration
	// HintedPollInterval replaces PollInterval for automations on a
	// connection whose webhook is registered: polling is then only the
	// safety net. Default: PollInterval.
	HintedPollInterval time.Duration
	// WebhookSilence is how long a delivery may take to arrive, and how
	// far apart the changes that no delivery announced must be, before a
	// webhook counts as silent (see silence.go). Default 2 min.
	WebhookSilence time.Duration
	// WebhookRenewEvery is the least time between two re-registrations of
	// a connection's silent webhook. Default 1 h.
	WebhookRenewEvery time.Duration
	// RunRetention is how long a finished run and its log are kept after
	// they last changed; older ones are pruned (prune.go). 0 keeps every
	// run.
	RunRetention time.Duration
	// PruneEvery is how often a pruning pass runs, with a retention.
	// Default 1 h.
	PruneEvery time.Duration
	// PruneBatch is how many runs one transaction looks at, and prunes at
	// most; PrunePause the pause between two. Defaults 500 and 100 ms:
	// on SQLite a batch holds the one writer for tens of milliseconds.
	PruneBatch int
	PrunePause time.Duration
}

// Engine runs the jobs.
type Engine struct {
	cfg     Config
	store   *store.DB
	clients *accounts.Clients
	metrics *metrics.Metrics
	log     *slog.Logger
	river   *river.Client[*sql.Tx]
	holder  string
	hints   hintDebouncer
	// deliveries: when this process last recorded each connection's
	// webhook deliveries (silence.go).
	deliveries deliveryLog
	// heldBaselines counts, per automation, the baselines held back in a
	// row in this process (see baselineHeldBack).
	heldBaselines struct {
		sync.Mutex
		n map[int64]int
	}
	// groups: when each automation's group was last checked (group.go).
	groups groupChecks
	// fieldPages: how many pages the last scan of each custom field's
	// values announced, and the share of a segment's entrants it did not
	// list (fieldscan.go).
	fieldPages fieldPages
	// lastSchedule is when this process last ran the schedule (UnixNano).
	lastSchedule atomic.Int64
	// stopping is cancelled when Stop is called, to end the work that
	// need not finish before the process ends (a pruning pass).
	stopping context.Context
	stop     context.CancelFunc
	// syncSlots shares the sync workers between accounts (fair.go).
	syncSlots *accountSlots
	// reads: what reading each account's segments costs (budget.go).
	reads *readBudget
}

// The queues: syncs apart from issues, so that a long sync never keeps
// credentials waiting, and the schedule apart from both, so that it runs on
// time however busy they are and never takes a sync's worker. Pruning has
// a queue of its own too, for the same reason.
const (
	queueIssue       = river.QueueDefault
	queueSync        = "sync"
	queueSchedule    = "schedule"
	queueMaintenance = "maintenance"
)

// New builds an Engine; Start runs it. It gives the store the engine's jobs
// (store.Jobs), so that the store's writes enqueue them in their own
// transactions.
func New(cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	e := &Engine{cfg: cfg, store: cfg.Store, clients: cfg.Clients, metrics: cfg.Metrics, log: cfg.Logger, holder: cfg.Holder,
		syncSlots: newAccountSlots(cfg.SyncsPerAccount), reads: newReadBudget(cfg.ACPerSecond)}
	e.stopping, e.stop = context.WithCancel(context.Background())
	e.groups.every = groupCheckEvery
	driver := cfg.Store.RiverDriver()
	client, err := river.NewClient(driver, e.riverConfig(driver.SupportsListener()))
	if err != nil {
		return nil, fmt.Errorf("starting the job queue: %w", err)
	}
	e.river = client
	cfg.Store.SetJobs(store.Jobs{Queue: client, Issue: issueJob, Sync: syncJob, Resend: resendJob})
	return e, nil
}

// withDefaults fills in the settings left zero.
func (cfg Config) withDefaults() Config {
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Minute
	}
	if cfg.ScheduleEvery == 0 {
		// Every second at most: the schedule's tick is part of every
		// sync's lag (a 5 s tick alone made syncs up to 5 s late).
		cfg.ScheduleEvery = min(max(cfg.PollInterval/2, 100*time.Millisecond), time.Second)
	}
	if cfg.WebhookCheckEvery == 0 {
		cfg.WebhookCheckEvery = time.Minute
	}
	if cfg.WebhookSilence == 0 {
		cfg.WebhookSilence = 2 * time.Minute
	}
	if cfg.WebhookRenewEvery == 0 {
		cfg.WebhookRenewEvery = time.Hour
	}
	if cfg.HintedPollInterval == 0 {
		cfg.HintedPollInterval = cfg.PollInterval
	}
	if cfg.PruneEvery == 0 {
		cfg.PruneEvery = time.Hour
	}
	if cfg.PruneBatch == 0 {
		cfg.PruneBatch = 500
	}
	if cfg.PrunePause == 0 {
		cfg.PrunePause = 100 * time.Millisecond
	}
	if cfg.IssueWorkers == 0 {
		cfg.IssueWorkers = 20
	}
	if cfg.SyncWorkers == 0 {
		cfg.SyncWorkers = 100
	}
	if cfg.SyncsPerAccount == 0 {
		cfg.SyncsPerAccount = 4
	}
	if cfg.JobTimeout == 0 {
		cfg.JobTimeout = 20 * time.Second
	}
	if cfg.RescueAfter == 0 {
		cfg.RescueAfter = cfg.JobTimeout + 5*time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New(nil)
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		cfg.Holder = host + ":" + strconv.Itoa(os.Getpid()) + ":" + strconv.FormatUint(rand.Uint64()%1e6, 10)
	}
	return cfg
}

// riverConfig is River's configuration: the workers of the engine's jobs,
// their queues, the periodic jobs, the polling that suits the database
// (notified: River's driver tells the workers of new jobs), and the
// retries.
func (e *Engine) riverConfig(notified bool) *river.Config {
	cfg := e.cfg
	workers := river.NewWorkers()
	river.AddWorker(workers, &scheduleWorker{e: e})
	river.AddWorker(workers, &syncWorker{e: e})
	river.AddWorker(workers, &issueWorker{e: e})
	river.AddWorker(workers, &hintWorker{e: e})
	river.AddWorker(workers, &webhooksWorker{e: e})
	river.AddWorker(workers, &pruneWorker{e: e})
	river.AddWorker(workers, &resendWorker{e: e})

	rc := &river.Config{
		Logger: cfg.Logger.With("component", "river"),
		Queues: map[string]river.QueueConfig{
			queueIssue: {MaxWorkers: cfg.IssueWorkers},
			queueSync:  {MaxWorkers: cfg.SyncWorkers},
			// One at a time: a second would only find the same due syncs.
			// Its jobs come every ScheduleEvery, so it is polled less often
			// than the others.
			queueSchedule: {MaxWorkers: 1, FetchPollInterval: max(cfg.ScheduleEvery/10, 50*time.Millisecond)},
		},
		Workers: workers,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.ScheduleEvery),
				func() (river.JobArgs, *river.InsertOpts) { return scheduleArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.WebhookCheckEvery),
				func() (river.JobArgs, *river.InsertOpts) { return webhooksArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		},
		// A fetch as soon as a worker is free, at most every
		// fetchCooldown: what lets 20 issue workers keep up with short
		// jobs (DESIGN §6; River's default, 100 ms, would cap them at 200
		// a second). A fetch costs about 1 ms of CPU on SQLite (River
		// prepares its query again at each use, as it binds its LIMIT),
		// so idle queues poll less often where new jobs are announced
		// (notified: SQLite's listener, PostgreSQL's LISTEN): every 50 ms,
		// the polls of an idle SQLite node took 5.6% of a core, every
		// 200 ms 2.7%.
		FetchCooldown:        fetchCooldown(cfg.Store.IsPostgres()),
		FetchPollInterval:    fetchPollInterval(notified),
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		RetryPolicy:          retryPolicy{},
		MaxAttempts:          maxAttempts,
		// Finished jobs are kept a day for inspection; the runs table is
		// the record users see.
		CompletedJobRetentionPeriod: 24 * time.Hour,
	}
	if cfg.RunRetention > 0 {
		// Its queue only with a retention, so that without one no
		// producer polls for jobs that never come. A job left from a
		// run with a retention waits until there is one again.
		rc.Queues[queueMaintenance] = river.QueueConfig{MaxWorkers: 1, FetchPollInterval: time.Second}
		rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(cfg.PruneEvery),
			func() (river.JobArgs, *river.InsertOpts) { return pruneArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}))
	}
	return rc
}

// fetchCooldown is the shortest time between two fetches of a queue's
// jobs. On SQLite, 5 ms: with 10 ms the 20 issue workers of a large batch
// stood idle between fetches, and 5 ms issued it about 30% faster for the
// same CPU per credential (the fetches are smaller and more frequent; the
// process's fixed costs are spread over more credentials a second; see
// docs/benchmarks.md, "Engine overhead"). On PostgreSQL, whose fetch is a
// round trip to a server on the same machine, 5 ms gained nothing: 10 ms.
func fetchCooldown(postgres bool) time.Duration {
	if postgres {
		return 10 * time.Millisecond
	}
	return 5 * time.Millisecond
}

// fetchPollInterval is how often an idle queue looks for jobs: a safety
// net where River announces new jobs (notified), the only way otherwise.
// Not longer: River announces at most one insert per queue every
// FetchCooldown, and a job inserted just after one announced, and after
// the fetch it woke, waits for this poll.
func fetchPollInterval(notified bool) time.Duration {
	if notified {
		return 200 * time.Millisecond
	}
	return 50 * time.Millisecond
}

// Start runs the workers and the scheduler until Stop.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.river.Start(ctx); err != nil {
		return fmt.Errorf("starting the job queue: %w", err)
	}
	go func() {
		select {
		case <-time.After(interruptedResendsAfter):
		case <-e.stopping.Done():
			return
		}
		if err := e.noteInterruptedResends(e.stopping); err != nil && e.stopping.Err() == nil {
			e.log.Error("interrupted resends", "err", err)
		}
	}()
	return nil
}

// Stop enqueues the hints still being debounced, lets running jobs finish
// (up to ctx's deadline) and stops.
func (e *Engine) Stop(ctx context.Context) error {
	e.stop()
	e.flushHints()
	return e.river.Stop(ctx)
}

// maxAttempts: with retryPolicy's cap of 10 minutes between attempts, 60
// attempts retry a failing Certifier for about nine hours.
const maxAttempts = 60

// retryPolicy backs off exponentially from 2 s to at most 10 minutes, with
// jitter so that a batch that failed together does not retry in step.
type retryPolicy struct{}

func (retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	base := 2 * time.Second << min(job.Attempt, 20)
	if base <= 0 || base > 10*time.Minute {
		base = 10 * time.Minute
	}
	return time.Now().Add(base/2 + rand.N(base/2+1))
}
