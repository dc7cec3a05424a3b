package autocred

import (
	"strings"
	"testing"
)

// A limit said in characters counts characters: a French, Greek or
// Japanese name at the limit is accepted though it takes two or three
// bytes a character, and one character more is refused.
func TestLimitsCountCharactersNotBytes(t *testing.T) {
	for _, ch := range []string{"x", "é", "λ", "日", "🎓"} {
		tests := []struct {
			what  string
			limit int
			check func(string) error
		}{
			{"automation name", 200, func(s string) error {
				a := Automation{Name: s}
				_, err := a.Validate()
				return fieldError(err, "name")
			}},
			{"connection name", 100, func(s string) error {
				c := Connection{App: AppCertifier, Name: s}
				return fieldError(c.Validate(), "name")
			}},
			{"mapping value", maxTemplate, func(s string) error {
				_, err := ParseTemplate("action.recipient_name", s)
				return err
			}},
		}
		for _, tt := range tests {
			if err := tt.check(strings.Repeat(ch, tt.limit)); err != nil {
				t.Errorf("%s of %d × %q refused: %v", tt.what, tt.limit, ch, err)
			}
			if err := tt.check(strings.Repeat(ch, tt.limit+1)); err == nil {
				t.Errorf("%s of %d × %q accepted", tt.what, tt.limit+1, ch)
			}
		}
	}
}

// fieldError is err's mistake on field, if any.
func fieldError(err error, field string) error {
	for _, e := range Errors(err) {
		if e.Field == field {
			return e
		}
	}
	return nil
}
