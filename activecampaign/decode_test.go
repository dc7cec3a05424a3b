package activecampaign

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodeError: ActiveCampaign's own error shapes keep their message,
// cleaned; any other body is described by status and kind, and none of
// its bytes reach the error.
func TestDecodeError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string // the whole Error()
	}{
		{"errors[] with title and detail", 404, `{"errors":[{"title":"Not Found","detail":"Contact not found","status":404}]}`,
			"ActiveCampaign answered 404 Not Found: Not Found: Contact not found"},
		{"errors[] with a code", 422, `{"errors":[{"title":"Missing attribute","code":"field_missing","source":{"pointer":"/data/attributes/contact"}}]}`,
			"ActiveCampaign answered 422 Unprocessable Entity: Missing attribute (field_missing)"},
		{"older message", 404, `{"message":"No Result found for Subscriber with id 7"}`,
			"ActiveCampaign answered 404 Not Found: No Result found for Subscriber with id 7"},
		{"message with control characters", 403, "{\"message\":\"You do not have\\npermission\\u001b[2J to view lists\"}",
			"ActiveCampaign answered 403 Forbidden: You do not have permission [2J to view lists"},
		{"very long message", 400, `{"message":"` + strings.Repeat("x", 5000) + `"}`,
			"ActiveCampaign answered 400 Bad Request: " + strings.Repeat("x", 300) + "…"},
		{"a proxy's HTML page", 502, "<html><head><title>502 Bad Gateway</title></head><body>nginx; upstream acme.api-us1.com:443 Api-Token=abc</body></html>",
			"ActiveCampaign answered 502 Bad Gateway (a non-JSON page, not an API answer)"},
		{"plain text", 500, "Internal error: stack trace at /var/www/api.php line 12",
			"ActiveCampaign answered 500 Internal Server Error (a non-JSON page, not an API answer)"},
		{"empty", 503, "", "ActiveCampaign answered 503 Service Unavailable (an empty answer)"},
		{"JSON of another shape", 400, `{"result_code":0,"result_message":"Failed"}`,
			"ActiveCampaign answered 400 Bad Request (a JSON answer with no error message in it)"},
		{"empty errors[]", 422, `{"errors":[]}`,
			"ActiveCampaign answered 422 Unprocessable Entity (a JSON answer with no error message in it)"},
		{"truncated JSON", 500, `{"errors":[{"title":"Serv`,
			"ActiveCampaign answered 500 Internal Server Error (a non-JSON page, not an API answer)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := decodeError(tt.status, []byte(tt.body))
			if got := err.Error(); got != tt.want {
				t.Errorf("decodeError = %q\nwant           %q", got, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Status != tt.status {
				t.Errorf("decodeError gave %#v, want an *Error with status %d", err, tt.status)
			}
		})
	}
}
