package activecampaign

import (
	"testing"

	"github.com/autocred/autocred"
)

func TestContactPage(t *testing.T) {
	tests := []struct {
		apiURL string
		id     int64
		want   string
	}{
		{"https://acme.api-us1.com", 42, "https://acme.activehosted.com/app/contacts/42"},
		{"https://Acme-Learning.api-us1.com/api/3", 7, "https://acme-learning.activehosted.com/app/contacts/7"},
		{"https://acme.activehosted.com", 42, "https://acme.activehosted.com/app/contacts/42"},
		// No sure account name: no link rather than a wrong one.
		{"http://127.0.0.1:8081/acme", 42, ""},    // a sandbox
		{"https://acme.api-eu1.com", 42, ""},      // a host form ActiveCampaign does not document
		{"https://a.b.api-us1.com", 42, ""},       // more than one label
		{"https://acme.api-us1.com:8443", 42, ""}, // a port
		{"http://acme.api-us1.com", 42, ""},       // not https
		{"https://acme.api-us1.com.evil.io", 42, ""},
		{"https://acme.api-us1.com", 0, ""},
		{"", 42, ""},
	}
	for _, tc := range tests {
		if got := ContactPage(tc.apiURL, autocred.ContactID(tc.id)); got != tc.want {
			t.Errorf("ContactPage(%q, %d) = %q, want %q", tc.apiURL, tc.id, got, tc.want)
		}
	}
}
