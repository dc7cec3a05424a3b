package webhook

import (
	"net/url"
	"testing"

	"github.com/autocred/autocred"
)

func TestParse(t *testing.T) {
	tests := []struct {
		form url.Values
		id   autocred.ContactID
		ok   bool
	}{
		{url.Values{"contact[id]": {"42"}, "type": {"update"}}, 42, true},
		{url.Values{"contact[id]": {" 7 "}}, 7, true},
		{url.Values{"contact[id]": {"-1"}}, 0, false},
		{url.Values{"contact[id]": {"abc"}}, 0, false},
		{url.Values{"contact[email]": {"a@b.c"}}, 0, false},
	}
	for _, tt := range tests {
		d, err := Parse(tt.form)
		if (err == nil) != tt.ok || d.ContactID != tt.id {
			t.Errorf("Parse(%v) = %+v, %v", tt.form, d, err)
		}
	}
}
