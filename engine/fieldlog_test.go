package engine_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/engine"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/internal/testlog"
)

// A field whose scan has more pages than the batch has entrants is read
// for each entrant, and the log says why: the scan would cost more (with
// its pages), not that it "would take too long, or its cost is unknown",
// which an operator reads as a field over the scan's limit or an answer
// without a total.
func TestFieldReadPerEntrantBecauseDearerSaysSo(t *testing.T) {
	const others, entrants = 650, 5
	logs := &testlog.Buffer{}
	h := newHarness(t, testenv.Options{Database: testdb.Kinds[0], Engine: func(c *engine.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}})
	ids := h.importContacts(courseContacts(entrants + others)...)
	a := h.automation(h.segment("Graduates", "graduated"), courseMapping)
	h.tag("graduated", ids[:entrants]...)
	h.waitFor("every run issued", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == entrants })
	log := logs.String()
	want := `msg="custom fields read for each entrant: scanning their values would cost more" fields=[COURSE] entrants=5 pages=7 unlisted=0`
	if !strings.Contains(log, want) {
		t.Errorf("the log does not say %s; it says:\n%s", want, grepLines(log, "custom"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
