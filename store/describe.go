package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DescribeError says in a sentence for a person what a database error
// means and what to do, and whether err is one: a PostgreSQL or SQLite
// error, or a connection to PostgreSQL that could not be made (a network
// error or a deadline alone is not taken for one: it may as well be
// ActiveCampaign's). The drivers' own text ("SQLSTATE 22021", "database
// disk image is malformed") is for the log only; it names no field and
// suggests nothing a user can do. It returns "", false for any other error.
//
// PostgreSQL's codes are those of its error reference
// (https://www.postgresql.org/docs/current/errcodes-appendix.html): class
// 08 connection exceptions, 53 insufficient resources (53100 disk full),
// 57014 query canceled, 57P01–57P03 shutdown, 22021 and 22P05 text that
// cannot be stored, XX001/XX002 damaged data. SQLite's are its result codes
// (https://www.sqlite.org/rescode.html): SQLITE_FULL, SQLITE_CORRUPT,
// SQLITE_NOTADB, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN,
// SQLITE_READONLY.
func DescribeError(err error) (string, bool) {
	const (
		unreachable = "autocred could not reach its database, so nothing was changed; it tries again at the next sync. Check that the database server is running and reachable from autocred."
		timeout     = "The database took too long to answer, so nothing was changed; autocred tries again at the next sync. If this keeps happening, check the database server's load and disk."
		full        = "The database's disk is full, so nothing was changed; autocred tries again at the next sync. Free disk space on the database server."
		damaged     = "The database file is damaged, so nothing was changed. Stop autocred and restore the database from its backup (for SQLite, `sqlite3 .recover` saves what is readable)."
		encoding    = "A value read from outside could not be stored (it holds a character the database cannot keep), so nothing was changed. Report this with the server's log: autocred should have cleaned it."
		readonly    = "The database cannot be written (read-only file or folder, or no permission), so nothing was changed. Give autocred write access to its database."
		other       = "The database refused a change, so nothing was changed; autocred tries again at the next sync. The server's log has the database's own message."
	)
	var pg *pgconn.PgError
	var lite *sqlite.Error
	switch {
	case errors.As(err, &pg):
		switch {
		case strings.HasPrefix(pg.Code, "08"), strings.HasPrefix(pg.Code, "57P"):
			return unreachable, true
		case pg.Code == "53100":
			return full, true
		case strings.HasPrefix(pg.Code, "53"), pg.Code == "57014", pg.Code == "55P03":
			return timeout, true
		case pg.Code == "22021", pg.Code == "22P05":
			return encoding, true
		case pg.Code == "XX001", pg.Code == "XX002":
			return damaged, true
		case pg.Code == "25006":
			return readonly, true
		}
		return other, true
	case errors.As(err, &lite):
		switch lite.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			return full, true
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return damaged, true
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return timeout, true
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
			return readonly, true
		case sqlite3.SQLITE_IOERR:
			return "The database file could not be read or written (a disk error), so nothing was changed; autocred tries again at the next sync. Check the disk of autocred's data folder.", true
		}
		return other, true
	case isConnectError(err):
		return unreachable, true
	}
	return "", false
}

// isConnectError tells whether pgx failed to connect at all (a refused or
// unreachable server, a failed authentication), which it reports as
// *pgconn.ConnectError.
func isConnectError(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}
