package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// A token is made, listed without its value, and revoked from the command
// line; once revoked, the API refuses it.
func TestTokenCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "autocred.db")
	token := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := runToken(ctx, append(args, "--database", db), &out, &errOut)
		return out.String() + errOut.String(), err
	}

	out, err := token("create", "--name", "zapier")
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	if !strings.HasPrefix(secret, "acr_") {
		t.Fatalf("token create printed %q, want the token on its last line", out)
	}

	out, err = token("list")
	if err != nil || !strings.Contains(out, "zapier") || !strings.Contains(out, "never") || strings.Contains(out, secret) {
		t.Errorf("token list: %v\n%s\nwant the name, never used, and not the token", err, out)
	}

	st, err := openStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CheckToken(ctx, secret); err != nil {
		t.Fatalf("the new token is refused: %v", err)
	}
	if out, _ = token("list"); strings.Contains(out, "never") {
		t.Errorf("token list after a use still says never:\n%s", out)
	}

	if out, err = token("revoke", "--id", "1"); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("token revoke: %v\n%s", err, out)
	}
	if _, err := st.CheckToken(ctx, secret); autocred.ErrorCode(err) != autocred.EUNAUTHORIZED {
		t.Errorf("a revoked token: %v, want it refused", err)
	}
	if out, _ = token("list"); !strings.Contains(out, "no API tokens") {
		t.Errorf("token list after revoking the only token:\n%s", out)
	}

	// Mistakes say what to do.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"revoke", "--id", "1"}, "token list"},
		{[]string{"revoke"}, "--id is required"},
		{[]string{"delete"}, "usage: autocred token"},
		{[]string{"create"}, "name"},
	} {
		out, err := token(c.args...)
		if err == nil || !strings.Contains(out+describe(err), c.want) {
			t.Errorf("token %s: %v\n%s\nwant an error that mentions %q", strings.Join(c.args, " "), err, out, c.want)
		}
	}
	if _, err := token("revoke"); !errors.Is(err, errUsage) {
		t.Errorf("revoke without --id: %v, want a usage error", err)
	}
}
