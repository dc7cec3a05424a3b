package activecampaign

import (
	"errors"
	"fmt"
	"strings"
	"testing"
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
