package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
)

// The SQLite driver (modernc.org/sqlite) prepares every statement it is
// given as text again, each time: parsing and planning the SQL cost more
// than running it. Measured with the engine at full speed
// (docs/benchmarks.md, "Where the time goes"), sqlite3Prepare took 45% of
// autocred's CPU, River's own queries included. So each SQLite connection
// keeps its prepared statements, by their text, and runs them again with
// new arguments: the driver's prepared statement resets itself after each
// use (see modernc.org/sqlite's stmt: "the cached SQLite statement
// handle"). PostgreSQL needs none of this: pgx caches prepared statements
// per connection itself.

// stmtCacheSize is how many statements a connection keeps. The store and
// River run a few dozen distinct statements; River's batch inserts vary
// with the batch, and the least recently used are closed.
const stmtCacheSize = 256

// sqliteConnector opens modernc.org/sqlite connections that keep their
// prepared statements.
type sqliteConnector struct {
	dsn   string
	count *statementCounts
}

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := (&sqlite.Driver{}).Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn, c.count)
}

func (c sqliteConnector) Driver() driver.Driver { return &sqlite.Driver{} }

// statementCounts counts what the store and River ask of SQLite, for
// measuring the writes per credential (DB.StatementCounts).
type statementCounts struct {
	statements   atomic.Int64 // every statement run
	writes       atomic.Int64 // statements that are not a SELECT or PRAGMA
	transactions atomic.Int64 // transactions begun explicitly
	alone        atomic.Int64 // writes outside a transaction: each its own
}

// StatementCounts are the statements and transactions a database has run
// since it was opened: on SQLite, every one, the job queue's included; on
// PostgreSQL, zero (its own statistics, pg_stat_database, count them).
// Commits are the transactions begun plus the writes made outside one
// (each of which SQLite commits on its own): what the log is appended to.
// Waits and Waited are how often, and how long in all, the store and the
// job queue waited for SQLite's one connection while another held it.
type StatementCounts struct {
	Statements, Writes, Transactions, Commits int64
	Waits                                     int64
	Waited                                    time.Duration
}

// StatementCounts reports the statements and transactions run so far.
func (db *DB) StatementCounts() StatementCounts {
	if db.counts == nil {
		return StatementCounts{}
	}
	c := db.counts
	pool := db.sql.Stats()
	return StatementCounts{c.statements.Load(), c.writes.Load(), c.transactions.Load(), c.transactions.Load() + c.alone.Load(),
		pool.WaitCount, pool.WaitDuration}
}

// The driver's connection as database/sql uses it.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// sqliteStmt is the driver's prepared statement as the cache uses it.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// cachingConn is a SQLite connection that keeps its prepared statements.
// database/sql uses a connection from one goroutine at a time (it holds
// the connection's lock across every call into it, rows' Close included),
// but the lock here keeps the cache sound without relying on that.
type cachingConn struct {
	sqliteConn
	count *statementCounts

	mu    sync.Mutex
	lru   *list.List               // of *cachedStmt, most recently used first
	bySQL map[string]*list.Element // the same, by text
	inTx  bool                     // a transaction is open (for the counts)
}

// cachedStmt is one kept statement; busy while rows read from it are open
// (a second query of the same text meanwhile, in the same transaction,
// prepares a statement of its own).
type cachedStmt struct {
	query string
	stmt  sqliteStmt
	busy  bool
}

func newCachingConn(conn driver.Conn, count *statementCounts) (driver.Conn, error) {
	c, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errors.New("the SQLite driver's connection lacks a method the store needs (" + reflect.TypeOf(conn).String() + ")")
	}
	return &cachingConn{sqliteConn: c, count: count, lru: list.New(), bySQL: map[string]*list.Element{}}, nil
}

// take returns the kept statement for query, prepared now if it is not
// kept, or nil if it is in use; the caller gives it back with put. A
// script of several statements (a migration) is kept too: the driver's
// statement then prepares each of them in turn at each use, as it does
// for a script given as text.
func (c *cachingConn) take(ctx context.Context, query string) (*cachedStmt, error) {
	c.mu.Lock()
	if el, ok := c.bySQL[query]; ok {
		cs := el.Value.(*cachedStmt)
		if cs.busy {
			c.mu.Unlock()
			return nil, nil
		}
		cs.busy = true
		c.lru.MoveToFront(el)
		c.mu.Unlock()
		return cs, nil
	}
	c.mu.Unlock()
	s, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	stmt, ok := s.(sqliteStmt)
	if !ok {
		s.Close()
		return nil, nil
	}
	cs := &cachedStmt{query: query, stmt: stmt, busy: true}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bySQL[query] = c.lru.PushFront(cs)
	for c.lru.Len() > stmtCacheSize {
		last := c.lru.Back()
		old := last.Value.(*cachedStmt)
		if old.busy {
			break // in use: closed when a later take finds the cache over size
		}
		c.lru.Remove(last)
		delete(c.bySQL, old.query)
		old.stmt.Close()
	}
	return cs, nil
}

// put gives a statement back for the next use.
func (c *cachingConn) put(cs *cachedStmt) {
	c.mu.Lock()
	cs.busy = false
	c.mu.Unlock()
}

// counted counts one statement.
func (c *cachingConn) counted(query string) {
	if c.count == nil {
		return
	}
	c.count.statements.Add(1)
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) < 6 || !strings.EqualFold(q[:6], "select") && !strings.EqualFold(q[:6], "pragma") {
		c.count.writes.Add(1)
		if !c.inTx {
			c.count.alone.Add(1)
		}
	}
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.counted(query)
	cs, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	defer c.put(cs)
	return cs.stmt.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.counted(query)
	cs, err := c.take(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		c.put(cs)
		return nil, err
	}
	return &cachedRows{Rows: rows, done: func() { c.put(cs) }}, nil
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.sqliteConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if c.count != nil {
		c.count.transactions.Add(1)
	}
	c.inTx = true
	return countedTx{tx, c}, nil
}

// countedTx notes the end of its transaction on its connection.
type countedTx struct {
	driver.Tx
	c *cachingConn
}

func (t countedTx) Commit() error {
	t.c.inTx = false
	return t.Tx.Commit()
}

func (t countedTx) Rollback() error {
	t.c.inTx = false
	return t.Tx.Rollback()
}

// Close closes the kept statements, then the connection: SQLite keeps a
// connection with unfinalized statements open.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	for el := c.lru.Front(); el != nil; el = el.Next() {
		el.Value.(*cachedStmt).stmt.Close()
	}
	c.lru.Init()
	clear(c.bySQL)
	c.mu.Unlock()
	return c.sqliteConn.Close()
}

// cachedRows gives its statement back to the cache when closed (the
// driver resets the statement then).
type cachedRows struct {
	driver.Rows
	done func()
	once sync.Once
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(r.done)
	return err
}
