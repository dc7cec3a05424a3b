// Command autocred issues Certifier credentials when ActiveCampaign contacts
// newly enter a segment. Run "autocred help" for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/autocred/autocred"
)

// command is one subcommand: its flags are parsed from args, and it runs
// until ctx is cancelled (Ctrl-C) or its work is done.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "the sandboxes, autocred on them, and a story that plays and checks rules R1–R9", runDemo},
		{"serve", "run autocred: the engine, the REST API, health and metrics", runServe},
		{"migrate", "create or upgrade the database, then exit", runMigrate},
		{"token", "token create --name NAME, list, revoke --id ID: the REST API's tokens", runToken},
		{"admin", "admin create --email EMAIL: make a user of the web UI", runAdmin},
		{"secret-key", "secret-key replace: make a new key the database's, after the old one was lost", runSecretKey},
		{"sim", "run the ActiveCampaign and Certifier sandboxes on localhost", runSim},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(stderr, "autocred %s: %s\n", c.name, describe(err))
			return 1
		}
	}
	fmt.Fprintf(stderr, "autocred: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// errUsage reports bad flags; the flag package has already said what is wrong.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: autocred <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "autocred <command> -h" for a command's flags.`)
}

// newFlagSet returns a flag set that reports errors to stderr and leaves
// exiting to run.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("autocred "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags takes each flag's default from its AUTOCRED_* environment
// variable (--poll-interval from AUTOCRED_POLL_INTERVAL), then parses args,
// which win over the environment. A parse failure becomes errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		if v, ok := os.LookupEnv(name); ok && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("environment variable %s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		fmt.Fprintln(fs.Output(), envErr)
		return errUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	return nil
}

// envName is the environment variable that sets a flag.
func envName(flagName string) string {
	return "AUTOCRED_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// describe says what went wrong in a user's terms: the message of an
// *autocred.Error (with its field), otherwise the error itself.
func describe(err error) string {
	var e *autocred.Error
	if errors.As(err, &e) {
		if e.Field != "" {
			return "--" + e.Field + " " + e.Message
		}
		return e.Message
	}
	return err.Error()
}

// databaseFlag defines --database: a SQLite file (the default, created if
// missing) or a postgres:// URL.
func databaseFlag(fs *flag.FlagSet) *string {
	return fs.String("database", defaultDatabase(), databaseUsage)
}

const databaseUsage = "SQLite database `file` (created if missing), or a postgres:// URL"

// defaultDatabase is AUTOCRED_DATABASE_URL, the name platforms that provide
// PostgreSQL use, or autocred.db. (AUTOCRED_DATABASE, like every flag's
// variable, wins over both.)
func defaultDatabase() string {
	if v := os.Getenv("AUTOCRED_DATABASE_URL"); v != "" {
		return v
	}
	return "autocred.db"
}
