package engine

import "testing"

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"recipient.name is too long":  "recipient.name is too long.",
		"recipient.name is too long.": "recipient.name is too long.",
		"Is it? ":                     "Is it?",
		"":                            "",
	} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}
