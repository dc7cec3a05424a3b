package web

import (
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// A new automation's time zone is the browser's (from the tz cookie the
// script sets), so that a user in Paris gets today's date in Paris; the
// server's zone stays one of the suggestions. Without the cookie it is
// the server's.
func TestNewAutomationTakesTheBrowsersZone(t *testing.T) {
	t.Parallel()
	u := newUITest(t)
	u.signIn()
	u.fixture()
	p := u.do("GET", "/automations/new", nil, "Cookie", "tz=Europe%2FParis")
	if !strings.Contains(p.body, `name="action.time_zone" value="Europe/Paris"`) {
		t.Errorf("the new automation's zone is not the browser's (Europe/Paris):\n%s", p.body)
	}
	if server := autocred.LocalTimeZone(); !strings.Contains(p.body, `<option value="`+server+`">`) {
		t.Errorf("the server's zone %s is not offered", server)
	}
	p = u.do("GET", "/automations/new", nil)
	if !strings.Contains(p.body, `name="action.time_zone" value="`+autocred.LocalTimeZone()+`"`) {
		t.Errorf("without the browser's zone, the new automation's is not the server's")
	}
}
