package certifier

import (
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
