package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// atParam is the time seeOther adds to a ?done= redirect.
var atParam = regexp.MustCompile(`&at=[0-9]+`)

// withoutAt is a redirect's address without its &at=, for tests that
// compare addresses.
func withoutAt(location string) string { return atParam.ReplaceAllString(location, "") }

// A confirmation is news for its moment only: "Retry queued." after a
// retry, but not on a reload a minute later, from history or a bookmark,
// when the run may have been skipped again since (tester 4, finding 9).
// Every ?done= confirmation goes through flashFor.
func TestAConfirmationDoesNotOutliveItsMoment(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	for done, msg := range flashes {
		for _, tc := range []struct {
			name  string
			query url.Values
			want  string
		}{
			{"just now", url.Values{"done": {done}, "at": {at(-2 * time.Second)}}, msg},
			{"a reload two minutes later", url.Values{"done": {done}, "at": {at(-2 * time.Minute)}}, ""},
			{"no time (an old bookmark)", url.Values{"done": {done}}, ""},
			{"a time from the future", url.Values{"done": {done}, "at": {at(time.Hour)}}, ""},
		} {
			if got := flashFor(tc.query, now); got != tc.want {
				t.Errorf("done=%s, %s: %q, want %q", done, tc.name, got, tc.want)
			}
		}
	}

	u := newUITest(t)
	u.signIn()
	f := u.fixture()
	p := u.do("POST", "/runs/"+itoa(f.run)+"/retry", url.Values{})
	if p.status != http.StatusSeeOther || !atParam.MatchString(p.location) {
		t.Fatalf("retry: %d to %q, want a redirect with the time of its confirmation", p.status, p.location)
	}
	if page := u.do("GET", p.location, nil); !strings.Contains(page.body, "Retry queued.") {
		t.Errorf("right after the retry, the page does not say Retry queued.")
	}
	stale := atParam.ReplaceAllString(p.location, "&at="+strconv.FormatInt(time.Now().Add(-5*time.Minute).Unix(), 10))
	if page := u.do("GET", stale, nil); strings.Contains(page.body, "Retry queued.") {
		t.Errorf("reloaded five minutes later, the page still says Retry queued.")
	}
}
