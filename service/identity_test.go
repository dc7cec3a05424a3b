package service

import (
	"testing"

	"github.com/autocred/autocred"
)

// Two spellings of one account's address compare equal; two accounts'
// addresses do not.
func TestAccountAddress(t *testing.T) {
	ac, cert := autocred.AppActiveCampaign, autocred.AppCertifier
	tests := []struct {
		app  autocred.App
		a, b string
		same bool
	}{
		{ac, "http://127.0.0.1:8081/acme", "http://localhost:8081/acme", true},
		{ac, "http://127.0.0.1:8081/acme", "http://[::1]:8081/acme/", true},
		{ac, "http://127.0.0.1:8081/acme", "HTTP://LocalHost:8081/acme/api/3", true},
		{ac, "https://acme.api-us1.com", "https://ACME.api-us1.com:443/", true},
		{ac, "https://acme.api-us1.com", "https://acme.activehosted.com", true},
		{ac, "https://acme.api-us1.com", "http://acme.api-us1.com", true},
		{ac, "https://acme.api-us1.com.", "https://acme.api-us1.com", true},
		{ac, "http://127.0.0.1:8081/acme", "http://127.0.0.1:8082/acme", false},
		{ac, "http://127.0.0.1:8081/acme", "http://127.0.0.1:8081/globex", false},
		{ac, "https://acme.api-us1.com", "https://globex.api-us1.com", false},
		{ac, "https://acme.api-us1.com", "https://acme.api-us1.com:8443", false},
		{ac, "https://acme.example.com", "https://acme.api-us1.com", false},
		{cert, "https://api.certifier.io/v1", "https://API.certifier.io/v1/", true},
		{cert, "http://127.0.0.1:9000/v1", "http://localhost:9000/v1", true},
		{cert, "https://api.certifier.io/v1", "https://api.certifier.io/v2", false},
	}
	for _, tc := range tests {
		a, b := accountAddress(tc.app, tc.a), accountAddress(tc.app, tc.b)
		if (a == b) != tc.same {
			t.Errorf("%s and %s: %q and %q; want the same account: %v", tc.a, tc.b, a, b, tc.same)
		}
	}
}
