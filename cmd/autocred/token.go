package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

const tokenUsage = "usage: autocred token create --name NAME | list | revoke --id ID  [--database FILE]"

// runToken makes, lists and revokes the REST API's tokens. The token itself
// is shown once, at creation; only its hash is stored.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, tokenUsage)
		return errUsage
	}
	fs := newFlagSet("token "+args[0], stderr)
	database := databaseFlag(fs)
	var name *string
	var id *int64
	switch args[0] {
	case "create":
		name = fs.String("name", "", "who or what uses the token (required)")
	case "list":
	case "revoke":
		id = fs.Int64("id", 0, "the token's number, as `autocred token list` shows it (required)")
	default:
		fmt.Fprintln(stderr, tokenUsage)
		return errUsage
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if id != nil && *id <= 0 {
		fmt.Fprintln(stderr, "autocred token revoke: --id is required: the number `autocred token list` shows")
		return errUsage
	}
	st, err := openStore(ctx, *database)
	if err != nil {
		return err
	}
	defer st.Close()

	switch args[0] {
	case "create":
		token, err := st.CreateToken(ctx, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "New API token (shown once; send it as Authorization: Bearer <token>):")
		fmt.Fprintln(stdout, token)
	case "list":
		tokens, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		if len(tokens) == 0 {
			fmt.Fprintln(stdout, "no API tokens; make one with: autocred token create --name NAME")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED\tLAST USED")
		for _, t := range tokens {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", t.ID, t.Name, when(t.CreatedAt), when(t.LastUsedAt))
		}
		return tw.Flush()
	case "revoke":
		if err := st.RevokeToken(ctx, *id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %d revoked: requests with it are refused from now on\n", *id)
	}
	return nil
}

// when shows a stored time for a table, or "never".
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
