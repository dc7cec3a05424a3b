package autocred

import "testing"

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		email string
		ok    bool
	}{
		{"ana@example.com", true},
		{"ana.lee+course@mail.example.co.uk", true},
		{"o'brien@example.ie", true},
		{"", false},
		{"   ", false},
		{"ana", false},
		{"ana@", false},
		{"@example.com", false},
		{"ana@localhost", false},
		{"ana@example", false},
		{"ana@example..com", false},
		{"ana@.example.com", false},
		{"Ana Lee <ana@example.com>", false},
		{"ana lee@example.com", false},
		{"ana@@example.com", false},
		{"ana@example.com ", false},
		{"ana@example.com\u200b", false},
		{"\ufeffana@example.com", false},
		{"ana\u00a0@example.com", false},
		{"ana\u202e@example.com", false},
		{"ana@example.com\x00", false},
		{string(make([]byte, 250)) + "@example.com", false},
	}
	for _, tt := range tests {
		err := CheckEmail(tt.email)
		if (err == nil) != tt.ok {
			t.Errorf("CheckEmail(%q) = %v, want ok=%v", tt.email, err, tt.ok)
		}
	}
}
