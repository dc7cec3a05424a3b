package activecampaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	simac "github.com/autocred/autocred/sim/activecampaign"
)

// 401 alone refuses the key; a 403 is a missing permission unless it says
// "No Result found", which is a missing object like a 404 (spec §5, §7).
func TestErrorClassification(t *testing.T) {
	for _, c := range []struct {
		name      string
		status    int
		body      string
		auth      bool
		forbidden bool
		notFound  bool
		quoted    string // in PermissionDenied's text
	}{
		{"401 undocumented body", 401, `{"errors":[{"title":"Unauthorized","status":401}]}`, true, false, false, ""},
		{"401 empty", 401, ``, true, false, false, ""},
		{"403 permission", 403, `{"message":"You do not have permission to view lists"}`, false, true, false, "'You do not have permission to view lists'"},
		{"403 bare", 403, `Forbidden`, false, true, false, "without naming the permission"},
		{"403 empty", 403, ``, false, true, false, "without naming the permission"},
		{"403 html", 403, `<html><body>Access denied</body></html>`, false, true, false, "without naming the permission"},
		{"403 no result", 403, `{"message":"No Result found for FieldValue with id 10"}`, false, false, true, ""},
		{"404 no result", 404, `{"message":"No Result found for Subscriber with id 7"}`, false, false, true, ""},
		{"404 errors[]", 404, `{"errors":[{"title":"Not Found","detail":"No such resource"}]}`, false, false, true, ""},
		{"422", 422, `{"errors":[{"title":"Invalid"}]}`, false, false, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := fmt.Errorf("GET /x: %w", decodeError(c.status, []byte(c.body)))
			if got := errors.Is(err, ErrAuth); got != c.auth {
				t.Errorf("ErrAuth = %v, want %v", got, c.auth)
			}
			if got := errors.Is(err, ErrForbidden); got != c.forbidden {
				t.Errorf("ErrForbidden = %v, want %v", got, c.forbidden)
			}
			if got := errors.Is(err, ErrNotFound); got != c.notFound {
				t.Errorf("ErrNotFound = %v, want %v", got, c.notFound)
			}
			msg := PermissionDenied(err)
			if (msg != "") != c.forbidden || !strings.Contains(msg, c.quoted) {
				t.Errorf("PermissionDenied = %q, want it to contain %q", msg, c.quoted)
			}
			if c.forbidden && (!strings.Contains(msg, "Settings → Users → Groups → Permissions") || strings.Contains(msg, "Access denied")) {
				t.Errorf("PermissionDenied = %q: want where to grant it, and no raw body", msg)
			}
		})
	}
}

// Against the sandbox: a denied permission is ErrForbidden (never ErrAuth)
// on the calls that need it, a 403 "No Result found" is ErrNotFound, and a
// regenerated key is ErrAuth.
func TestSandboxAnswersClassify(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	ctx := context.Background()
	seg := s.segment(t, false)
	ids := s.importContacts(t, 2, 1)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	must(s.sim.Deny("acme", simac.PermSegments, false))
	_, err := s.client.Snapshot(ctx, seg.ID, nil, nil)
	if !errors.Is(err, ErrForbidden) || errors.Is(err, ErrAuth) || !strings.Contains(PermissionDenied(err), "'You do not have permission to view segments'") {
		t.Errorf("snapshot with segments denied: %v, %q", err, PermissionDenied(err))
	}
	if _, err := s.client.IsMember(ctx, seg.ID, autocred.ContactID(ids[0])); !errors.Is(err, ErrForbidden) {
		t.Errorf("single-contact check with segments denied: %v", err)
	}
	if _, err := s.client.CheckKey(ctx); err != nil {
		t.Errorf("the key check needs no permission: %v", err)
	}
	must(s.sim.Allow("acme", simac.PermSegments))
	if _, err := s.client.Snapshot(ctx, seg.ID, nil, nil); err != nil {
		t.Errorf("snapshot once allowed: %v", err)
	}

	must(s.sim.SetForbiddenNoResult("acme", "Subscriber"))
	if _, err := s.client.ContactFields(ctx, 424242); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrForbidden) {
		t.Errorf("fields of a missing contact answered 403 No Result: %v, want ErrNotFound", err)
	}

	must(s.sim.SetAPIKey("acme", "regenerated-key-99"))
	if _, err := s.client.CheckKey(ctx); !errors.Is(err, ErrAuth) || errors.Is(err, ErrForbidden) {
		t.Errorf("regenerated key: %v, want ErrAuth", err)
	}
}
