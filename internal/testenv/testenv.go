// Package testenv builds, for tests, a complete autocred over both
// sandboxes: the sandboxes behind real HTTP listeners, a store (SQLite in a
// temporary folder, or PostgreSQL, see Options.Database) hashing passwords
// cheaply (store/storetest), the engine running, and the service on top.
//
// It is the one way tests build autocred in-process: the engine's own
// tests too (package engine_test, reaching inside through
// engine/export_test.go), those that work one job or one step by hand on
// an engine left stopped included (Options.Stopped). Only e2e starts the
// real binary.
package testenv

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/accounts"
	"github.com/autocred/autocred/internal/metrics"
	"github.com/autocred/autocred/internal/secret"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testlog"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
	"github.com/autocred/autocred/store"
	"github.com/autocred/autocred/store/storetest"
)

// The sandbox accounts every Env has.
const (
	ACAccount      = "acme"
	ACKey          = "ac-key-0123456789abcdef"
	CertWorkspace  = "acme"
	CertifierToken = "cert-token-0123456789abcdef"
)

// Env is a running autocred over the sandboxes.
type Env struct {
	AC           *simac.Server
	Certifier    *simcert.Server
	ACURL        string // the account's API URL, as a user pastes it
	CertifierURL string // the API base, as a user pastes it
	Store        *store.DB
	DSN          string // the store's database, for a test that opens its own connection to it
	Engine       *engine.Engine
	Clients      *accounts.Clients
	Box          *secret.Box // seals the connections' keys
	Service      *service.Service
	Auth         *service.Auth
	Metrics      *metrics.Metrics
}

// Options tune an Env; zero values give fast sandboxes without rate limits.
type Options struct {
	AC        simac.Options
	Certifier simcert.Options
	// PollInterval is the engine's default sync interval; default 100ms.
	PollInterval time.Duration
	// Database is "sqlite" (the default) or "postgres".
	Database string
	// PublicURL, when set, is where ActiveCampaign reaches autocred: the
	// engine registers webhook hints with the sandbox (checking them
	// every 200 ms), and reads the segments of an account whose hints
	// flow every HintedPollInterval (default: PollInterval). For packages
	// that may not configure the engine themselves (web, api).
	PublicURL          string
	HintedPollInterval time.Duration
	// WrapAC, when set, wraps the ActiveCampaign sandbox's handler, e.g.
	// to act when a request arrives or to change an answer.
	WrapAC func(http.Handler) http.Handler
	// Engine and Clients, when set, change the engine's and the account
	// clients' configuration before they are built (intervals, rate
	// limits, Retry-After scale). Circuits set on the engine's also break
	// the clients' calls, as in cmd/autocred.
	Engine  func(*engine.Config)
	Clients func(*accounts.Config)
	// Circuits, when set, puts the engine's Certifier calls behind
	// circuit breakers of this policy, as cmd/autocred does: for packages
	// that may not configure the engine themselves (web, api).
	Circuits *autocred.CircuitPolicy
	// Stopped leaves the engine built but not started: no job runs by
	// itself (no schedule, no sync, no issue), for a test that works one
	// job (rivertest) or one step by hand and checks what that alone did.
	Stopped bool
}

// New starts an Env that stops when the test ends.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	if opts.AC.MatchRunDelay == 0 {
		opts.AC.MatchRunDelay = 20 * time.Millisecond
	}
	if opts.AC.LegacyEvalDelay == 0 {
		opts.AC.LegacyEvalDelay = 20 * time.Millisecond
	}
	if opts.AC.RatePerSecond == 0 {
		opts.AC.RatePerSecond = -1
	}
	if opts.Certifier.RatePerSecond == 0 {
		opts.Certifier.RatePerSecond = -1
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	env := &Env{AC: simac.New(opts.AC), Certifier: simcert.New(opts.Certifier)}
	var acHandler http.Handler = env.AC
	if opts.WrapAC != nil {
		acHandler = opts.WrapAC(env.AC)
	}
	acSrv, certSrv := httptest.NewServer(acHandler), httptest.NewServer(env.Certifier)
	t.Cleanup(func() { acSrv.Close(); certSrv.Close(); env.AC.Close() })
	env.ACURL, env.CertifierURL = acSrv.URL+"/"+ACAccount, certSrv.URL+"/v1"
	if err := env.AC.AddAccount(ACAccount, ACKey); err != nil {
		t.Fatal(err)
	}
	if err := env.Certifier.AddWorkspace(CertWorkspace, CertifierToken); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	env.DSN = testdb.DSN(t, cmp.Or(opts.Database, "sqlite"))
	if !store.IsPostgres(env.DSN) {
		if err := copyMigrated(env.DSN); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(context.Background(), env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	// Passwords are hashed at bcrypt's lowest cost: the sign-in tests
	// check limits over a hundred attempts, not bcrypt.
	storetest.SetPasswordCost(st, bcrypt.MinCost)
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := secret.CreateKeyFile(filepath.Join(dir, "autocred.key"))
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secret.NewBox(key)
	env.Metrics = metrics.New(nil)
	cc := accounts.Config{Box: box, Observer: env.Metrics, ACPollInterval: 10 * time.Millisecond, ACPerSecond: -1, CertifierPerSecond: -1}
	cfg := engine.Config{Logger: testlog.OnFailure(t), Store: st, Box: box, Metrics: env.Metrics, PollInterval: opts.PollInterval, ScheduleEvery: 50 * time.Millisecond,
		PublicURL: opts.PublicURL, HintedPollInterval: opts.HintedPollInterval}
	if opts.PublicURL != "" {
		cfg.WebhookCheckEvery = 200 * time.Millisecond
	}
	if opts.Circuits != nil {
		cfg.Circuits = engine.NewCircuits(st, *opts.Circuits, env.Metrics, nil)
	}
	if opts.Engine != nil {
		opts.Engine(&cfg)
	}
	if opts.Clients != nil {
		opts.Clients(&cc)
	}
	if cfg.Circuits != nil {
		cc.Breakers = cfg.Circuits
	}
	clients := accounts.New(cc)
	cfg.Clients = clients
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !opts.Stopped {
		if err := eng.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = eng.Stop(sctx)
		})
	}
	env.Store, env.Engine, env.Clients, env.Box = st, eng, clients, box
	env.Auth = service.NewAuth(st)
	env.Service = service.New(service.Config{Store: st, Engine: eng, Clients: clients, Box: box, AllowPrivateUpstreams: true})
	return env
}

// migrated is a SQLite database with every migration applied, made once
// per test binary: each Env on SQLite starts from a copy of its files
// instead of migrating an empty one. Under the race detector, migrating
// took about a second of CPU (modernc.org/sqlite parsing each migration's
// SQL), half of what a short web or api test costs; Migrate still runs on
// the copy, and finds nothing left to do.
var migrated struct {
	once  sync.Once
	files map[string][]byte // by suffix: the database file (""), its WAL ("-wal") if one was left
	err   error
}

// copyMigrated writes the migrated database's files as the database at
// path.
func copyMigrated(path string) error {
	migrated.once.Do(func() { migrated.files, migrated.err = migrateOnce() })
	if migrated.err != nil {
		return migrated.err
	}
	for suffix, b := range migrated.files {
		// 0600, as store.Open creates a database file.
		if err := os.WriteFile(path+suffix, b, 0o600); err != nil {
			return fmt.Errorf("copying the migrated database: %w", err)
		}
	}
	return nil
}

// migrateOnce migrates a new SQLite database in a temporary folder, and
// returns its files once the store is closed.
func migrateOnce() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "autocred-testenv-")
	if err != nil {
		return nil, fmt.Errorf("migrating a database to copy: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "autocred.db")
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("migrating a database to copy: %w", err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrating a database to copy: %w", err)
	}
	if err := st.Close(); err != nil {
		return nil, fmt.Errorf("closing the migrated database: %w", err)
	}
	files := map[string][]byte{}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading the migrated database: %w", err)
		}
		files[suffix] = b
	}
	return files, nil
}
