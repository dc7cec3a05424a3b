package certifier

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestDecodeError: Certifier's {"error":{code,message}} keeps its code and
// message, cleaned; any other body is described by status and kind, and
// none of its bytes reach the error.
func TestDecodeError(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		code    string
		message string
		err     string // the whole Error()
	}{
		{"documented shape", 400, `{"error":{"code":"validation_error","message":"issueDate must be YYYY-MM-DD"}}`,
			"validation_error", "issueDate must be YYYY-MM-DD", "certifier POST /x: 400 validation_error: issueDate must be YYYY-MM-DD"},
		{"code only", 401, `{"error":{"code":"unauthorized"}}`,
			"unauthorized", "Unauthorized", "certifier POST /x: 401 unauthorized: Unauthorized"},
		{"message with control characters", 422, "{\"error\":{\"code\":\"validation_error\",\"message\":\"bad\\r\\n\\u0007name\"}}",
			"validation_error", "bad name", "certifier POST /x: 422 validation_error: bad name"},
		{"very long message", 400, `{"error":{"code":"validation_error","message":"` + strings.Repeat("y", 1000) + `"}}`,
			"validation_error", strings.Repeat("y", 300) + "…", "certifier POST /x: 400 validation_error: " + strings.Repeat("y", 300) + "…"},
		{"a proxy's HTML page", 502, "<html><body><h1>502</h1>Bearer token-abc</body></html>",
			"", "Certifier answered 502 Bad Gateway (a non-JSON page, not an API answer)",
			"certifier POST /x: Certifier answered 502 Bad Gateway (a non-JSON page, not an API answer)"},
		{"empty", 504, "", "", "Certifier answered 504 Gateway Timeout (an empty answer)",
			"certifier POST /x: Certifier answered 504 Gateway Timeout (an empty answer)"},
		{"JSON of another shape", 500, `{"error":null,"detail":"x"}`, "", "Certifier answered 500 Internal Server Error (a JSON answer with no error message in it)",
			"certifier POST /x: Certifier answered 500 Internal Server Error (a JSON answer with no error message in it)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeError("POST /x", tt.status, []byte(tt.body))
			if e.Status != tt.status || e.Code != tt.code || e.Message != tt.message {
				t.Errorf("decodeError = %d %q %q, want %d %q %q", e.Status, e.Code, e.Message, tt.status, tt.code, tt.message)
			}
			if got := e.Error(); got != tt.err {
				t.Errorf("Error() = %q\nwant      %q", got, tt.err)
			}
		})
	}
}

// TestErrorKinds: each documented answer (spec §5) falls in the kind that
// decides what autocred does, and in no other: 402 and the version codes
// concern the workspace, not the credential, so they are neither ErrAuth
// (which breaks the connection) nor ErrValidation (which fails the run).
func TestErrorKinds(t *testing.T) {
	kinds := []struct {
		name string
		err  error
	}{
		{"validation", ErrValidation}, {"auth", ErrAuth}, {"plan", ErrPlan}, {"version", ErrVersion},
		{"rate limited", ErrRateLimited}, {"server", ErrServer}, {"not found", ErrNotFound}, {"conflict", ErrConflict},
	}
	tests := []struct {
		status int
		body   string
		want   string // the one kind it is
	}{
		{400, `{"error":{"code":"validation_error","message":"issueDate must be YYYY-MM-DD"}}`, "validation"},
		{400, `{"error":{"code":"invalid_json","message":"bad body"}}`, "validation"},
		{422, `{"error":{"code":"validation_error","message":"bad email"}}`, "validation"},
		{400, `{"error":{"code":"missing_version","message":"The Certifier-Version header is required"}}`, "version"},
		{400, `{"error":{"code":"invalid_version","message":"Certifier-Version \"2022-10-26\" is not a recognised version"}}`, "version"},
		{402, `{"error":{"code":"payment_required","message":"This feature requires a premium plan"}}`, "plan"},
		{402, ``, "plan"},
		{401, `{"error":{"code":"unauthorized","message":"bad token"}}`, "auth"},
		{403, `{"error":{"code":"forbidden","message":"no"}}`, "auth"},
		{404, `{"error":{"code":"not_found","message":"no such credential"}}`, "not found"},
		{409, `{"error":{"code":"conflict","message":"not a draft"}}`, "conflict"},
		{429, `{"error":{"code":"rate_limited","message":"You have exceeded the rate limit"}}`, "rate limited"},
		{500, `{"error":{"code":"internal_server_error","message":"There was a problem on Certifier's end"}}`, "server"},
		{503, `<html>down</html>`, "server"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, " ", tt.want), func(t *testing.T) {
			e := decodeError("POST /credentials/x/issue", tt.status, []byte(tt.body))
			for _, k := range kinds {
				if got := errors.Is(e, k.err); got != (k.name == tt.want) {
					t.Errorf("%v: errors.Is(%s) = %v", e, k.name, got)
				}
			}
			if tt.status < 500 && !Refused(e) {
				t.Errorf("%v: a 4xx answer must count as refused (nothing changed)", e)
			}
		})
	}
}
