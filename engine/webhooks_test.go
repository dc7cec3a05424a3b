package engine_test

import (
	"strings"
	"testing"

	"github.com/autocred/autocred/internal/testenv"
)

// CheckWebhookToken, which the hooks receiver asks about every delivery,
// accepts a connection's own token and nothing else: not another
// connection's, not a near miss, not a part of the right one. (That it
// compares in constant time is in its code, not observable here.)
func TestWebhookTokenCheck(t *testing.T) {
	h := newHarness(t, testenv.Options{})
	conn, other := h.acConn, h.crtConn
	right := h.engine.WebhookToken(conn)
	if len(right) < 16 || right == h.engine.WebhookToken(other) {
		t.Fatalf("tokens %q and %q: want two long, different ones", right, h.engine.WebhookToken(other))
	}
	lastWrong := right[:len(right)-1] + "A"
	if strings.HasSuffix(right, "A") {
		lastWrong = right[:len(right)-1] + "B"
	}
	for _, tt := range []struct {
		name  string
		token string
		want  bool
	}{
		{"the right token", right, true},
		{"another connection's token", h.engine.WebhookToken(other), false},
		{"a wrong token of the same length", strings.Repeat("x", len(right)), false},
		{"the right token but its last character", lastWrong, false},
		{"empty", "", false},
		{"the right token but its last character missing", right[:len(right)-1], false},
		{"the first half of the right token", right[:len(right)/2], false},
		{"its first character", right[:1], false},
		{"the right token and one more character", right + "x", false},
		{"the right token twice", right + right, false},
	} {
		if got := h.engine.CheckWebhookToken(conn, tt.token); got != tt.want {
			t.Errorf("%s (%q): accepted %v, want %v", tt.name, tt.token, got, tt.want)
		}
	}
	if !h.engine.CheckWebhookToken(other, h.engine.WebhookToken(other)) {
		t.Error("the other connection's token is refused on its own connection")
	}
}
