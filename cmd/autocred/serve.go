package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/api"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/hooks"
	"github.com/autocred/autocred/internal/accounts"
	"github.com/autocred/autocred/internal/metrics"
	"github.com/autocred/autocred/service"
	"github.com/autocred/autocred/store"
	"github.com/autocred/autocred/web"
)

// serveConfig is everything "autocred serve" is told.
type serveConfig struct {
	addr                  string
	database              string
	pollInterval          time.Duration
	allowPrivateUpstreams bool
	acRate                float64
	certifierRate         float64
	logFormat, logLevel   string
	publicURL             string
	hintedPollInterval    time.Duration
	webhookCheck          time.Duration
	webhookSilence        time.Duration
	webhookRenew          time.Duration
	probeFirst, probeMax  time.Duration
	probeAccount          time.Duration
	trustedProxies        string
	startupCheck          time.Duration
	runRetention          retention
	syncWorkers           int
	syncsPerAccount       int
	dbMaxConns            int
}

func (c *serveConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "`HOST:PORT` to serve the API, the UI, /healthz, /readyz and /metrics on")
	fs.StringVar(&c.database, "database", defaultDatabase(), databaseUsage)
	fs.DurationVar(&c.pollInterval, "poll-interval", time.Minute, "how often each watched segment is read, unless an automation sets its own")
	fs.BoolVar(&c.allowPrivateUpstreams, "allow-private-upstreams", false, "accept API URLs outside ActiveCampaign's and Certifier's domains (for the sandboxes and tests)")
	fs.Float64Var(&c.acRate, "ac-rate", 4, "requests per second to each ActiveCampaign account (it allows 5, shared with its other integrations)")
	fs.Float64Var(&c.certifierRate, "certifier-rate", 8, "requests per second to each Certifier workspace")
	fs.IntVar(&c.syncWorkers, "sync-workers", 100, "how many segment reads run at once in this process (each mostly waits for ActiveCampaign, and holds its segment's member ids)")
	fs.IntVar(&c.syncsPerAccount, "syncs-per-account", 4, "how many of them may read segments of one ActiveCampaign account at once, so that one account never takes the others' turns")
	fs.IntVar(&c.dbMaxConns, "db-max-conns", store.DefaultMaxConns, "PostgreSQL: the most connections this process opens (2 more for River's listener); keep the sum over every node under the server's max_connections (100 by default)")
	fs.StringVar(&c.publicURL, "public-url", "", "`URL` where ActiveCampaign can reach this service (https://…); when set, webhooks make entries show up within seconds")
	fs.DurationVar(&c.hintedPollInterval, "hinted-poll-interval", 10*time.Minute, "how often segments are read when webhook hints flow (polling is then the safety net)")
	fs.DurationVar(&c.webhookCheck, "webhook-check-interval", time.Minute, "how often the webhooks are checked, and re-created if ActiveCampaign removed one")
	fs.DurationVar(&c.webhookSilence, "webhook-silence", 2*time.Minute, "how long a webhook delivery may take, and how far apart two changes that polling found with no delivery must be, before the webhook counts as silent and is registered again")
	fs.DurationVar(&c.webhookRenew, "webhook-renew-interval", time.Hour, "the least time between two re-registrations of a connection's silent webhook")
	fs.DurationVar(&c.probeFirst, "certifier-probe-interval", 30*time.Second, "after repeated Certifier failures (5xx, no answer), how long its jobs wait before one call tests it again; doubled after each failed test")
	fs.DurationVar(&c.probeMax, "certifier-probe-max", 5*time.Minute, "the longest wait between two tests of a failing Certifier")
	fs.DurationVar(&c.probeAccount, "certifier-account-probe-interval", 5*time.Minute, "after Certifier refuses the workspace's plan (402) or autocred's API version, how often one call tests it again")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "", "`CIDRs`, comma-separated (10.0.0.0/8,::1): the reverse proxies whose X-Forwarded-For names the client, for the sign-in limits per client address; from any other peer the header is ignored")
	fs.DurationVar(&c.startupCheck, "startup-check-timeout", 30*time.Second, "how long the check of a SQLite file for damage may take at start (it reads every page, about 6 s per GB when cached, up to a minute per GB from disk); a check that runs out is skipped with a warning; 0 skips it")
	fs.Var(&c.runRetention, "run-retention", retentionUsage)
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

func (c *serveConfig) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", c.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", c.logFormat)
}

// checkPublicURL checks --public-url: ActiveCampaign delivers webhooks over
// https, to port 443 only.
func (c *serveConfig) checkPublicURL() error {
	if c.publicURL == "" {
		return nil
	}
	u, err := url.Parse(c.publicURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--public-url %q: give the address ActiveCampaign can reach, such as https://autocred.example.com", c.publicURL)
	}
	if !c.allowPrivateUpstreams && (u.Scheme != "https" || (u.Port() != "" && u.Port() != "443")) {
		return fmt.Errorf("--public-url %q: ActiveCampaign delivers webhooks only over https on port 443", c.publicURL)
	}
	c.publicURL = strings.TrimSuffix(u.String(), "/")
	return nil
}

// secureCookies tells whether the UI's cookies need https: always, except
// when autocred serves plain http on loopback and no https public URL says
// a proxy terminates TLS in front of it.
func (c *serveConfig) secureCookies() bool {
	if strings.HasPrefix(c.publicURL, "https://") {
		return true
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return true
	}
	ip := net.ParseIP(host)
	return !(host == "localhost" || (ip != nil && ip.IsLoopback()))
}

// app is a wired autocred: store, engine, service and HTTP handler.
type app struct {
	store   *store.DB
	engine  *engine.Engine
	service *service.Service
	handler http.Handler
	log     *slog.Logger
}

// openStore opens and migrates the database.
func openStore(ctx context.Context, path string) (*store.DB, error) {
	st, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// newApp wires everything; the caller starts the engine and serves handler.
func newApp(ctx context.Context, cfg serveConfig, log *slog.Logger) (*app, error) {
	st, err := store.Open(ctx, cfg.database)
	if err != nil {
		return nil, err
	}
	if err := st.SetMaxConns(cfg.dbMaxConns); err != nil {
		st.Close()
		return nil, fmt.Errorf("--db-max-conns: %w", err)
	}
	if err := checkDamage(ctx, st, cfg, log); err != nil {
		st.Close()
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	warnServerSettings(ctx, st, log)
	if exposed := store.ExposedFiles(cfg.database); len(exposed) > 0 {
		log.Warn("other users of this machine can read the database, which holds contact emails and password hashes: "+
			"run chmod 600 on these files", "files", strings.Join(exposed, ", "))
	}
	box, err := loadSecretKey(ctx, st, cfg.database, false)
	if err == nil {
		err = checkSecretKey(ctx, st, box)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	m := metrics.New(func() float64 {
		n, _ := st.PendingRuns(context.Background())
		return float64(n)
	})
	circuits := engine.NewCircuits(st, autocred.CircuitPolicy{FirstProbe: cfg.probeFirst, MaxProbe: cfg.probeMax, AccountProbe: cfg.probeAccount}, m, log)
	m.WatchCircuits(func() []metrics.CircuitState { return circuitStates(st) })
	if !st.IsPostgres() {
		m.WatchDatabase(func() metrics.DatabaseCounts {
			c := st.StatementCounts()
			return metrics.DatabaseCounts{Statements: c.Statements, Writes: c.Writes, Transactions: c.Transactions, Commits: c.Commits, Waits: c.Waits, Waited: c.Waited}
		})
	}
	cc := accounts.Config{Box: box, Observer: m, ACPerSecond: rateOrOff(cfg.acRate), CertifierPerSecond: rateOrOff(cfg.certifierRate),
		Breakers: circuits}
	if st.IsPostgres() {
		// Several nodes may serve this database: the accounts' budgets
		// are kept in it, not in each process.
		cc.SharedLimits = st
	}
	clients := accounts.New(cc)
	hinted := cfg.hintedPollInterval
	if cfg.publicURL == "" {
		hinted = cfg.pollInterval
	}
	eng, err := engine.New(engine.Config{Store: st, Clients: clients, Circuits: circuits, Box: box, Metrics: m, Logger: log,
		PollInterval: cfg.pollInterval, PublicURL: cfg.publicURL, HintedPollInterval: hinted, WebhookCheckEvery: cfg.webhookCheck,
		WebhookSilence: cfg.webhookSilence, WebhookRenewEvery: cfg.webhookRenew, RunRetention: time.Duration(cfg.runRetention),
		SyncWorkers: cfg.syncWorkers, SyncsPerAccount: cfg.syncsPerAccount, ACPerSecond: max(cfg.acRate, 0)})
	if err != nil {
		st.Close()
		return nil, err
	}
	proxies, err := web.ParseTrustedProxies(cfg.trustedProxies)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	svc := service.New(service.Config{Store: st, Engine: eng, Clients: clients, Box: box, AllowPrivateUpstreams: cfg.allowPrivateUpstreams, Logger: log})

	auth := service.NewAuth(st)

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api.New(api.Config{Service: svc, Tokens: auth, Logger: log}))
	mux.Handle("/hooks/", hooks.New(eng, log))
	mux.Handle("/", web.New(web.Config{Service: svc, Auth: auth, Metrics: m, Logger: log,
		PublicURLSet: cfg.publicURL != "", Secure: cfg.secureCookies(), TrustedProxies: proxies}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	return &app{store: st, engine: eng, service: svc, handler: mux, log: log}, nil
}

// circuitStates reads every Certifier connection's circuit, for the gauge.
func circuitStates(st *store.DB) []metrics.CircuitState {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conns, err := st.Connections(ctx)
	if err != nil {
		return nil
	}
	open, err := st.OpenCircuits(ctx)
	if err != nil {
		return nil
	}
	reasons := map[int64]autocred.CircuitReason{}
	for _, c := range open {
		reasons[c.ConnectionID] = c.Reason
	}
	var out []metrics.CircuitState
	for _, c := range conns {
		if c.App != autocred.AppCertifier {
			continue
		}
		r, isOpen := reasons[c.ID]
		out = append(out, metrics.CircuitState{Connection: strconv.FormatInt(c.ID, 10), Reason: string(r), Open: isOpen})
	}
	return out
}

// checkDamage refuses a damaged SQLite file before anything runs on it
// (issue 13, point 3): with damaged pages, serve would otherwise listen,
// answer ready, and fail every request that touches them. The check is
// bounded by --startup-check-timeout; a file too big for it to finish is
// served with a warning, and a damage that a query meets later still makes
// /readyz answer 503.
func checkDamage(ctx context.Context, st *store.DB, cfg serveConfig, log *slog.Logger) error {
	if cfg.startupCheck <= 0 || st.IsPostgres() {
		return nil
	}
	start := time.Now()
	done, err := st.CheckIntegrity(ctx, cfg.startupCheck)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !done {
		log.Warn("the check of the database file for damage did not finish in time and was skipped; "+
			"raise --startup-check-timeout to have it, or run: sqlite3 "+cfg.database+" 'PRAGMA quick_check'",
			"startup_check_timeout", cfg.startupCheck)
		return nil
	}
	log.Debug("database file checked", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// rateOrOff maps the flag's "0 means off" to the engine's "negative means off".
func rateOrOff(r float64) float64 {
	if r <= 0 {
		return -1
	}
	return r
}

// run starts the engine and serves on ln until ctx is done, then shuts down
// in order: stop taking requests, let jobs finish, close the database.
func (a *app) run(ctx context.Context, ln net.Listener) error {
	if err := a.engine.Start(ctx); err != nil {
		a.store.Close()
		if ctx.Err() != nil {
			return nil // stopped while starting: Ctrl-C is not a failure
		}
		return err
	}
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if serr := a.engine.Stop(sctx); serr != nil && !errors.Is(serr, context.DeadlineExceeded) {
		a.log.Warn("stopping jobs", "err", serr)
	}
	a.store.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	var cfg serveConfig
	cfg.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log, err := cfg.logger(stderr)
	if err != nil {
		return err
	}
	if err := cfg.checkPublicURL(); err != nil {
		return err
	}
	if cfg.syncWorkers < 1 || cfg.syncsPerAccount < 1 {
		return fmt.Errorf("--sync-workers %d and --syncs-per-account %d: both must be at least 1", cfg.syncWorkers, cfg.syncsPerAccount)
	}
	if cfg.dbMaxConns < store.MinMaxConns {
		return fmt.Errorf("--db-max-conns %d: give at least %d (River's queues and the API each need a connection now and then)", cfg.dbMaxConns, store.MinMaxConns)
	}
	if _, err := web.ParseTrustedProxies(cfg.trustedProxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	stopProfile, err := startCPUProfile(stderr)
	if err != nil {
		return err
	}
	defer stopProfile()
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		a.store.Close()
		return err
	}
	log.Info("autocred serving", "addr", "http://"+ln.Addr().String(), "database", redactDatabase(cfg.database),
		"poll_interval", cfg.pollInterval, "allow_private_upstreams", cfg.allowPrivateUpstreams, "public_url", cfg.publicURL,
		"run_retention", cmp.Or(cfg.runRetention.String(), "keep every run"))
	if cfg.publicURL == "" {
		log.Info("no --public-url: entries are found by polling only, up to one poll interval after they happen")
	}
	fmt.Fprintf(stdout, "autocred listening on http://%s\n", ln.Addr())
	return a.run(ctx, ln)
}

// warnServerSettings says at start when the database server is set in a
// way that slows autocred down as it runs: PostgreSQL without autovacuum.
func warnServerSettings(ctx context.Context, st *store.DB, log *slog.Logger) {
	off, err := st.AutovacuumOff(ctx)
	if err != nil {
		log.Warn("could not check PostgreSQL's settings", "err", err)
		return
	}
	if off {
		log.Warn("PostgreSQL's autovacuum is off: the rows autocred updates all the time are never reclaimed, and syncs slow down as its tables grow; " +
			"turn it on (ALTER SYSTEM SET autovacuum = on; SELECT pg_reload_conf();), see PostgreSQL settings in docs/deploy.md")
	}
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	database := databaseFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, *database)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "database %s is up to date\n", redactDatabase(*database))
	return nil
}

func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: autocred admin create --email EMAIL [--database FILE]  (the password on standard input, or in AUTOCRED_ADMIN_PASSWORD)")
		return errUsage
	}
	fs := newFlagSet("admin create", stderr)
	email := fs.String("email", "", "the email to sign in with (required)")
	database := databaseFlag(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	// Never a flag: a password on the command line lands in the shell's
	// history and in every process listing.
	password := os.Getenv("AUTOCRED_ADMIN_PASSWORD")
	if password == "" {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("give the password on standard input or in AUTOCRED_ADMIN_PASSWORD")
		}
		password = strings.TrimRight(line, "\r\n")
	}
	st, err := openStore(ctx, *database)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, *email, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s created; sign in at /signin\n", u.Email)
	return nil
}

// redactDatabase hides the password of a PostgreSQL URL, for logs.
func redactDatabase(database string) string {
	if u, err := url.Parse(database); err == nil && store.IsPostgres(database) {
		return u.Redacted()
	}
	return database
}
