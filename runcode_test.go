package autocred

import (
	"strings"
	"testing"
)

// Every run error code has a label for people: not the code, no
// underscores, and no two alike (the filter lists them by it).
func TestRunErrorCodesHaveLabels(t *testing.T) {
	seen := map[string]RunErrorCode{}
	for _, c := range RunErrorCodes {
		l := c.Label()
		if l == string(c) || strings.Contains(l, "_") || l == "" {
			t.Errorf("%s: label %q is not in words", c, l)
		}
		if other, ok := seen[l]; ok {
			t.Errorf("%s and %s share the label %q", c, other, l)
		}
		seen[l] = c
	}
	if got := RunErrorCode("made_up").Label(); got != "made_up" {
		t.Errorf("an unknown code's label is %q, want the code", got)
	}
}
