package activecampaign

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

// TestFindContacts: a user picks a contact by email (exact) or by a part
// of the name or email.
func TestFindContacts(t *testing.T) {
	s := newSandbox(t, simac.Options{}, Config{})
	if _, err := s.sim.Import("acme", []ContactInputForTest{
		{Email: "ana.lee@example.com", FirstName: "Ana", LastName: "Lee"},
		{Email: "anatole@example.com", FirstName: "Anatole", LastName: "France"},
		{Email: "bo@example.com", FirstName: "Bo", LastName: "Kim"},
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []string
	}{
		{"ana.lee@example.com", []string{"ana.lee@example.com"}},
		{"ANA.LEE@example.com", []string{"ana.lee@example.com"}},
		{"ana", []string{"ana.lee@example.com", "anatole@example.com"}},
		{"Ana Lee", []string{"ana.lee@example.com"}},
		{"kim", []string{"bo@example.com"}},
		{"nobody", nil},
		{"  ", nil},
	}
	for _, tt := range tests {
		found, err := s.client.FindContacts(context.Background(), tt.text)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range found {
			got = append(got, c.Email)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("FindContacts(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// TestFindContactsIgnoredFilter: an API that ignores the search parameter
// and answers with the account's first contacts gives no match, not those.
func TestFindContactsIgnoredFilter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"contacts": []map[string]string{{"id": "1", "email": "first@example.com", "firstName": "First"}}, "meta": map[string]string{"total": "1"}})
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, Key: "k", PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	found, err := c.FindContacts(context.Background(), "ana")
	if err != nil || len(found) != 0 {
		t.Errorf("FindContacts = %v, %v; want no match", found, err)
	}
}
