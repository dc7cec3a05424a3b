package upstream

import (
	"strings"
	"testing"
)

func TestCleanMessage(t *testing.T) {
	long := strings.Repeat("é", MaxMessage+50)
	tests := []struct{ in, want string }{
		{"No Result found for Subscriber with id 7", "No Result found for Subscriber with id 7"},
		{"  line one\nline two\t\x00end\x1b[31m  ", "line one line two end [31m"},
		{"bad \xff\xfe bytes", "bad bytes"},
		{"\u2028split\u0085here", "split here"},
		{long, strings.Repeat("é", MaxMessage) + "…"},
		{"evil\u202egpj.exe\u200b", "evilgpj.exe"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CleanMessage(tt.in); got != tt.want {
			t.Errorf("CleanMessage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnrecognised(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   string
	}{
		{502, "<html><body><h1>502 Bad Gateway</h1>cf-ray: abc</body></html>", "ActiveCampaign answered 502 Bad Gateway (a non-JSON page, not an API answer)"},
		{500, "", "ActiveCampaign answered 500 Internal Server Error (an empty answer)"},
		{400, `{"ok":false}`, "ActiveCampaign answered 400 Bad Request (a JSON answer with no error message in it)"},
		{599, "Api-Token: secret", "ActiveCampaign answered 599 (a non-JSON page, not an API answer)"},
	}
	for _, tt := range tests {
		if got := Unrecognised("ActiveCampaign", tt.status, []byte(tt.body)); got != tt.want {
			t.Errorf("Unrecognised(%d, %q) = %q, want %q", tt.status, tt.body, got, tt.want)
		}
	}
}
