// Package store keeps autocred's state: connections, automations, the
// membership ledger, runs, users and API tokens, beside River's job tables
// in the same database so that a run and its job are written in one
// transaction.
//
// The store opens its own transactions: no caller holds one. A write that
// must commit with a job (an entry's ledger mark, run and issue job; a
// retry; an activation and its first sync) is one method that enqueues the
// engine's job itself, through the queue the engine gives it (see Jobs).
//
// Two databases are served by one implementation. SQLite is the embedded
// default: it allows one writer at a time, so the pool has one connection
// and every transaction takes the write lock when it begins (no upgrade
// deadlocks); WAL with synchronous=NORMAL survives a killed process without
// losing a committed transaction. PostgreSQL serves several autocred nodes
// at once. The queries are written once, with ? placeholders, in SQL both
// understand; the schema has one migration folder per database.
//
// What only tests need (runs stored as given, cheap password hashes) is in
// store/storetest, not on DB.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"modernc.org/sqlite" // the database/sql driver "sqlite", pure Go
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/upstream"
)

//go:embed migrations
var migrations embed.FS

// DB is the store.
type DB struct {
	sql      *sql.DB
	postgres bool
	now      func() time.Time
	damage   *damage // SQLite: the first sign of a damaged file a query met
	file     string  // SQLite: the file's path, for messages
	jobs     Jobs    // the engine's jobs, enqueued in the store's transactions
	// listen is PostgreSQL's pool for River's LISTEN connection (see
	// RiverDriver); nil on SQLite.
	listen *pgxpool.Pool
	counts *statementCounts // SQLite: the statements run (stmtcache.go)

	bcryptCost int    // 0: bcrypt.DefaultCost (setPasswordCost)
	dummyHash  []byte // nil: the package's, at the default cost

	// sameKey tells whether two sealed keys are one: see SetSameKey.
	sameKey atomic.Pointer[func(a, b []byte) bool]
}

// IsPostgres tells whether a --database value is a PostgreSQL URL.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Open opens a database: a PostgreSQL URL, or a SQLite file path (created
// if needed). It does not migrate: call Migrate. ctx bounds the wait for a
// database that is busy or slow to answer.
func Open(ctx context.Context, database string) (*DB, error) {
	if IsPostgres(database) {
		return openPostgres(ctx, database)
	}
	return openSQLite(ctx, database)
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("no database path given")
	}
	// The file holds contact emails and password hashes: only its owner
	// may read it. SQLite would create it 0644 (less the umask); created
	// empty here first (an empty file is an empty database), it is 0600,
	// and SQLite gives the -wal and -shm files it creates later the
	// database file's permissions (findCreateFileMode and
	// unixOpenSharedMemory in SQLite's os_unix.c), so they are 0600 too.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("creating %s: %w", path, err)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	counts := &statementCounts{}
	db := sql.OpenDB(sqliteConnector{dsn: "file:" + path + "?" + q.Encode(), count: counts})
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	// Turning a new file to WAL needs it to itself, and SQLite answers
	// "database is locked" at once, busy timeout or not, while another
	// process (one starting beside this one) does the same: try again.
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		err = db.PingContext(ctx)
		if err == nil {
			break
		}
		var serr *sqlite.Error
		if !errors.As(err, &serr) || serr.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			db.Close()
			if isDamage(err) {
				return nil, (&DB{file: path}).damaged(err.Error())
			}
			return nil, fmt.Errorf("opening %s: %w", path, err)
		}
		if err := upstream.Sleep(ctx, 20*time.Millisecond); err != nil {
			db.Close()
			return nil, fmt.Errorf("opening %s: %w", path, err)
		}
	}
	return &DB{sql: db, now: time.Now, damage: &damage{}, file: path, counts: counts}, nil
}

// ExposedFiles lists the files of a SQLite database (the file, its -wal
// and -shm) that users other than its owner can read or write, with their
// modes, for a warning at start: they hold contact emails and password
// hashes. A PostgreSQL URL has none.
func ExposedFiles(database string) []string {
	if IsPostgres(database) {
		return nil
	}
	var out []string
	for _, name := range []string{database, database + "-wal", database + "-shm"} {
		if info, err := os.Stat(name); err == nil && info.Mode().Perm()&0o077 != 0 {
			out = append(out, fmt.Sprintf("%s (mode %04o)", name, info.Mode().Perm()))
		}
	}
	return out
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("opening PostgreSQL: %w", err)
	}
	// Jobs, the API and the UI share the pool (at most DefaultMaxConns,
	// or SetMaxConns); River's producers hold a few connections each. A
	// third is kept idle. Keeping all 30 idle
	// saved reconnecting under the throughput benchmark (5% of
	// autocred's CPU: a busy engine returned connections over the idle
	// limit, which were closed and opened again at once), but every pool
	// then held on to its busiest moment's connections, and the test
	// suite's parallel databases ran PostgreSQL out of its 100
	// connections ("too many clients already"); a deployment of several
	// nodes would meet the same limit sooner.
	db.SetMaxOpenConns(DefaultMaxConns)
	db.SetMaxIdleConns(DefaultMaxConns / 3)
	db.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	listen, err := listenerPool(url)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	return &DB{sql: db, postgres: true, now: time.Now, damage: &damage{}, listen: listen}, nil
}

// listenerPool is the pool River takes its LISTEN connection from, one per
// process, so that an insert anywhere wakes every node's workers at once
// (NOTIFY) instead of at their next poll. It opens no connection until
// River asks for it.
func listenerPool(url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MinConns, cfg.MaxConns = 0, 2
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

// DefaultMaxConns is how many connections a process opens to PostgreSQL
// at most, unless told otherwise (SetMaxConns).
const DefaultMaxConns = 30

// MinMaxConns is the fewest SetMaxConns accepts: River's producers (one
// per queue) and its completer each take a connection for a moment, and
// the API and the jobs must still get one between them.
const MinMaxConns = 4

// SetMaxConns sets how many connections this process opens to PostgreSQL
// at most (n, at least MinMaxConns); a third of them are kept idle. River's
// listener takes up to 2 more. PostgreSQL refuses connections past its
// max_connections (100 by default) with "too many clients already", so the
// sum over every node, plus whatever else uses the server, must stay under
// it. SQLite has one connection whatever n is.
func (db *DB) SetMaxConns(n int) error {
	if n < MinMaxConns {
		return fmt.Errorf("%d connections are too few: give at least %d", n, MinMaxConns)
	}
	if db.postgres {
		db.sql.SetMaxOpenConns(n)
		db.sql.SetMaxIdleConns(max(n/3, 1))
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	if db.listen != nil {
		db.listen.Close()
	}
	return db.sql.Close()
}

// IsPostgres tells whether the store is on PostgreSQL.
func (db *DB) IsPostgres() bool { return db.postgres }

// migrationDir is the schema folder of the database in use.
func (db *DB) migrationDir() string {
	if db.postgres {
		return "migrations/postgres"
	}
	return "migrations/sqlite"
}

// migrationLock is the PostgreSQL advisory lock that serializes migrations
// when several nodes start at once ("autocred" in ASCII).
const migrationLock = 0x6175746f63726564

// Migrate brings autocred's tables and River's up to date. It is safe to
// run on an up-to-date database, and from several processes at once: they
// take turns.
func (db *DB) Migrate(ctx context.Context) error {
	if db.postgres {
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrating: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
			return fmt.Errorf("migrating: waiting for other nodes: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock)) //nolint:errcheck // the session ends with conn anyway
	}
	if err := db.migrateApp(ctx); err != nil {
		return err
	}
	migrator, err := rivermigrate.New(db.RiverDriver(), nil)
	if err != nil {
		return fmt.Errorf("migrating the job tables: %w", err)
	}
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	// SQLite has no advisory lock: two processes starting on a fresh file
	// (serve and token create, say) may both try River's next step, and
	// the second fails on the tables the first made. Each step is its own
	// transaction, so the loser changed nothing; once the winner is done,
	// trying again finds every step applied.
	for try := 0; err != nil && !db.postgres && try < 5; try++ {
		if perr := upstream.Sleep(ctx, 100*time.Millisecond); perr != nil {
			return fmt.Errorf("migrating the job tables: %w", perr)
		}
		_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		return fmt.Errorf("migrating the job tables: %w", err)
	}
	return nil
}

// migrateApp applies autocred's own migrations that the database lacks,
// each in its own transaction.
//
// On SQLite they run on one connection with foreign key enforcement off,
// because rebuilding a table (0014) drops it, and a dropped parent table
// would otherwise fail on, or cascade into, the rows that refer to it; the
// pragma is a no-op inside a transaction, so it is set around them
// (https://sqlite.org/lang_altertable.html#otheralter). Each migration then
// checks the foreign keys before it commits, and enforcement is turned back
// on before the connection returns to the pool (or the connection is
// discarded).
func (db *DB) migrateApp(ctx context.Context) error {
	begin := db.sql.BeginTx
	if !db.postgres {
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrating: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return fmt.Errorf("migrating: %w", err)
		}
		defer func() {
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); err != nil {
				// Never hand the pool a connection that ignores foreign keys.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}()
		begin = conn.BeginTx
	}
	if err := inTx(ctx, begin, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`)
		return err
	}); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	files, err := fs.Glob(migrations, db.migrationDir()+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its version number", f)
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		err = inTx(ctx, begin, func(tx *sql.Tx) error {
			var n int
			if err := db.in(tx).QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			if !db.postgres {
				if err := checkForeignKeys(ctx, tx); err != nil {
					return err
				}
			}
			_, err := db.in(tx).ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, db.now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", f, err)
		}
	}
	return nil
}

// checkForeignKeys fails when a row of a SQLite database refers to a row
// that does not exist, which a migration run without enforcement could
// leave behind.
func checkForeignKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fk int64
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		return fmt.Errorf("row %d of %s refers to a missing row of %s", rowid.Int64, table, parent)
	}
	return rows.Err()
}

// RiverDriver is River's driver for this database, over the same pool, so
// that jobs are inserted in the store's transactions. Both tell River's
// workers of new jobs as they commit: SQLite through a table River polls
// (riversqlite's listener), PostgreSQL through LISTEN/NOTIFY on a
// connection of its own (listenerPool). The workers' own polling is then
// only a safety net (engine.riverConfig).
func (db *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	if db.postgres {
		return riverdatabasesql.NewWithPgxListener(db.sql, db.listen)
	}
	return riversqlite.New(db.sql)
}

// Ready checks that the database answers and is migrated, for /readyz.
func (db *DB) Ready(ctx context.Context) error {
	if first := db.damage.first(); first != "" {
		return db.damaged(first)
	}
	var version int
	if err := db.pool().QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return fmt.Errorf("database not reachable or not migrated: %w", err)
	}
	files, _ := fs.Glob(migrations, db.migrationDir()+"/*.sql")
	if version < len(files) {
		return fmt.Errorf("database at schema version %d, want %d: run autocred migrate", version, len(files))
	}
	return nil
}

// AutovacuumOff tells whether the PostgreSQL server runs without
// autovacuum (its autovacuum setting is off); false on SQLite, which has
// none. Off, the rows autocred updates all the time (leases,
// rate_budgets, automations, river_job) leave dead versions that nothing
// reclaims, and the ledger's reads cannot be index-only scans: syncs slow
// down as the tables grow (docs/deploy.md, PostgreSQL settings; on
// 2026-12-01, three nodes' ledger reads took 87 ms each with it off).
func (db *DB) AutovacuumOff(ctx context.Context) (bool, error) {
	if !db.postgres {
		return false, nil
	}
	var v string
	if err := db.sql.QueryRowContext(ctx, `SELECT current_setting('autovacuum')`).Scan(&v); err != nil {
		return false, fmt.Errorf("reading PostgreSQL's autovacuum setting: %w", err)
	}
	return v == "off", nil
}

// tx runs fn in a write transaction, committing when fn returns nil. The
// store's methods open their own: no caller holds a transaction (see Jobs).
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.damage.note(inTx(ctx, db.sql.BeginTx, fn))
}

// inTx runs fn in a transaction begun by begin, committing when fn returns nil.
func inTx(ctx context.Context, begin func(context.Context, *sql.TxOptions) (*sql.Tx, error), fn func(tx *sql.Tx) error) error {
	tx, err := begin(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// sqlList writes statuses as an SQL list of literals, ('a', 'b'), so that
// queries name the domain's status constants rather than their spelling.
// The values are constants, never user input, and a literal leaves a
// query's placeholders where they are.
func sqlList[S ~string](values ...S) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + strings.ReplaceAll(string(v), "'", "''") + "'"
	}
	return "(" + strings.Join(quoted, ", ") + ")"
}

// Status lists the queries use.
var (
	sqlWatching   = sqlList(autocred.AutomationBaselining, autocred.AutomationActive) // as autocred.AutomationStatus.Watching
	sqlBaselining = sqlList(autocred.AutomationBaselining)
	sqlPending    = sqlList(autocred.RunPending)
	sqlFailed     = sqlList(autocred.RunFailed)
	sqlRetryable  = sqlList(autocred.RunFailed, autocred.RunSkipped) // as autocred.RunStatus.Retryable
	sqlACApp      = sqlList(autocred.AppActiveCampaign)
)

// pool runs queries on the pool, with placeholders for this database.
func (db *DB) pool() querier { return rebinder{db.sql, db.postgres, db.damage} }

// in runs queries in tx, with placeholders for this database; with a nil
// tx, on the pool.
func (db *DB) in(tx *sql.Tx) querier {
	if tx == nil {
		return db.pool()
	}
	return rebinder{tx, db.postgres, db.damage}
}

// rebinder rewrites the ? placeholders the queries are written with into
// PostgreSQL's $1, $2… when the database is PostgreSQL. It notes the
// errors that say the file is damaged, for Ready.
type rebinder struct {
	q        sqlQuerier
	postgres bool
	damage   *damage
}

func (r rebinder) bind(query string) string {
	if !r.postgres {
		return query
	}
	return rebind(query)
}

func (r rebinder) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := r.q.ExecContext(ctx, r.bind(query), args...)
	return res, r.damage.note(err)
}

func (r rebinder) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := r.q.QueryContext(ctx, r.bind(query), args...)
	return rows, r.damage.note(err)
}

func (r rebinder) QueryRowContext(ctx context.Context, query string, args ...any) rowScanner {
	return notedRow{r.q.QueryRowContext(ctx, r.bind(query), args...), r.damage}
}

// notedRow is a *sql.Row whose Scan notes a damaged file.
type notedRow struct {
	row    *sql.Row
	damage *damage
}

func (r notedRow) Scan(dest ...any) error { return r.damage.note(r.row.Scan(dest...)) }

// rebind numbers the ? placeholders of a query outside quoted strings.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// sqlQuerier is what both *sql.DB and *sql.Tx offer.
type sqlQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// querier is what the store's queries run on: a rebinder.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) rowScanner
}

// ms stores a time as Unix milliseconds; the zero time as 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS reads a time stored by ms.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// rowScanner is what *sql.Row and *sql.Rows offer.
type rowScanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(rowScanner) (T, error), query string, args ...any) (out []T, err error) {
	if r, ok := q.(rebinder); ok {
		defer func() { r.damage.note(err) }()
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanID reads a single integer column.
func scanID(row rowScanner) (int64, error) {
	var id int64
	err := row.Scan(&id)
	return id, err
}

// scanContactID reads a single contact_id column.
func scanContactID(row rowScanner) (autocred.ContactID, error) {
	id, err := scanID(row)
	return autocred.ContactID(id), err
}
