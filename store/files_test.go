package store

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/autocred/autocred/internal/testdb"
)

// The database, its -wal and -shm hold contact emails and password hashes:
// a new database is made readable by its owner only (issue 13, point 7),
// whatever the umask, and files that others can read are reported.
func TestNewDatabaseFilesAreOwnerOnly(t *testing.T) {
	ctx := context.Background()
	path := testdb.DSN(t, "sqlite")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateToken(ctx, "ci"); err != nil { // a write, so the WAL holds pages
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s is created with mode %04o, want 0600", name, perm)
		}
	}
	if got := ExposedFiles(path); len(got) != 0 {
		t.Errorf("ExposedFiles = %v on a new database", got)
	}
	if err := os.Chmod(path+"-wal", 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ExposedFiles(path); len(got) != 1 || !strings.Contains(got[0], "-wal (mode 0644)") {
		t.Errorf("ExposedFiles = %v, want the -wal file, mode 0644", got)
	}
	if got := ExposedFiles("postgres://db/autocred"); got != nil {
		t.Errorf("ExposedFiles of a PostgreSQL URL = %v", got)
	}
}
