package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/secret"
	"github.com/autocred/autocred/store"
)

// loadSecretKey reads the key that seals the connections' account keys:
// AUTOCRED_SECRET_KEY, or (SQLite only) the key file beside the database.
// A missing key file is created with a new key only where that key can
// serve: when newKey is set ("secret-key replace"), or when the database
// has no key yet (no key recorded, no connection stored). Otherwise it is
// refused before anything is written, so that the next start, after the
// file was restored from a backup, does not find a wrong key in its place.
func loadSecretKey(ctx context.Context, st *store.DB, database string, newKey bool) (*secret.Box, error) {
	envKey := os.Getenv("AUTOCRED_SECRET_KEY")
	if envKey == "" && st.IsPostgres() {
		return nil, errors.New("with PostgreSQL, give the secret key in AUTOCRED_SECRET_KEY, the same on every node (make one with: head -c 32 /dev/urandom | base64)")
	}
	path := database + ".key"
	key, err := secret.ReadKey(envKey, path)
	if errors.Is(err, fs.ErrNotExist) {
		if !newKey {
			if err := checkNoKeyYet(ctx, st, path); err != nil {
				return nil, err
			}
		}
		key, err = secret.CreateKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	return secret.NewBox(key)
}

// checkNoKeyYet refuses to make a new key file for a database that already
// has a key: one recorded by an earlier start, or connections whose
// account keys were sealed with it.
func checkNoKeyYet(ctx context.Context, st *store.DB, path string) error {
	stored, err := st.Setting(ctx, keyCheckSetting)
	if err != nil {
		return err
	}
	conns, err := st.Connections(ctx)
	if err != nil {
		return err
	}
	if stored == "" && len(conns) == 0 {
		return nil
	}
	return fmt.Errorf("the key file %s is missing, and this database's connections were stored with the key it held: "+
		"restore the key file from your backup (mode 0600), or give the key in AUTOCRED_SECRET_KEY. "+
		"If the key is lost, run `autocred secret-key replace` once to make a new one; every connection must then be reconnected", path)
}

// keyCheckSetting names the setting that holds a value derived from the
// database's secret key (secret.Box.Token: nothing about the key can be
// learnt from it).
const (
	keyCheckSetting = "secret_key_check"
	keyCheckPurpose = "secret key check"
)

var errKeyMismatch = errors.New("this secret key is not the one the connections in this database were stored with: " +
	"give this process the same AUTOCRED_SECRET_KEY (or key file) as the processes that stored them. " +
	"If that key is lost, run `autocred secret-key replace` once with the new key; every connection must then be reconnected")

// checkSecretKey refuses a key other than the database's. Without the
// check, a node started with another key would look healthy and fail every
// job that needs an account. The first process on a database records its
// key; on a database from before the check, the key must open the account
// keys already stored.
func checkSecretKey(ctx context.Context, st *store.DB, box *secret.Box) error {
	check := box.Token(keyCheckPurpose)
	stored, err := st.Setting(ctx, keyCheckSetting)
	if err != nil {
		return err
	}
	if stored == "" {
		unreadable, total, err := unreadableConnections(ctx, st, box)
		if err != nil {
			return err
		}
		if total > 0 && len(unreadable) == total {
			return errKeyMismatch
		}
		if stored, err = st.InitSetting(ctx, keyCheckSetting, check); err != nil {
			return err
		}
	}
	if stored != check {
		return errKeyMismatch
	}
	return nil
}

// unreadableConnections lists the connections whose account key this key
// cannot open, out of total.
func unreadableConnections(ctx context.Context, st *store.DB, box *secret.Box) (unreadable []autocred.Connection, total int, err error) {
	conns, err := st.Connections(ctx)
	if err != nil {
		return nil, 0, err
	}
	for _, c := range conns {
		sealed, err := st.ConnectionSecret(ctx, c.ID)
		if err != nil {
			return nil, 0, err
		}
		if _, err := box.Open(sealed); err != nil {
			unreadable = append(unreadable, c)
		}
	}
	return unreadable, len(conns), nil
}

// runSecretKey is "autocred secret-key replace": it makes the current key
// the database's key after the old one was lost. The connections whose
// account key was sealed with the old key are marked broken, which stops
// their automations until they are reconnected.
func runSecretKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "replace" {
		fmt.Fprintln(stderr, "usage: autocred secret-key replace [--database FILE]  (with the new key in AUTOCRED_SECRET_KEY or the key file)")
		return errUsage
	}
	fs := newFlagSet("secret-key replace", stderr)
	database := databaseFlag(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	st, err := openStore(ctx, *database)
	if err != nil {
		return err
	}
	defer st.Close()
	box, err := loadSecretKey(ctx, st, *database, true)
	if err != nil {
		return err
	}
	check := box.Token(keyCheckPurpose)
	if stored, err := st.Setting(ctx, keyCheckSetting); err != nil {
		return err
	} else if stored == check {
		fmt.Fprintln(stdout, "this key is already the database's secret key; nothing changed")
		return nil
	}
	unreadable, _, err := unreadableConnections(ctx, st, box)
	if err != nil {
		return err
	}
	var names []string
	for _, c := range unreadable {
		reason := "the secret key was replaced, and this connection's key was stored with the old one: reconnect it with the account's key"
		if err := st.SetConnectionStatus(ctx, c.ID, autocred.ConnectionBroken, reason); err != nil {
			return err
		}
		names = append(names, fmt.Sprintf("%s (%d)", c.Name, c.ID))
	}
	if err := st.SetSetting(ctx, keyCheckSetting, check); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "The database's secret key is now this key; start every node with it.")
	if len(names) > 0 {
		fmt.Fprintf(stdout, "%d connections must be reconnected (their automations are stopped until then): %s\n",
			len(names), strings.Join(names, ", "))
	}
	return nil
}
