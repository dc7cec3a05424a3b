package engine_test

import (
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testenv"
)

// A mapping with a custom field whose scan costs more than reading each
// entrant (650 values: 7 pages) is read per entrant for small batches. Each
// such batch must not also cost a GET /fields: the definitions are cached
// (fieldCacheTTL), and a batch of two entrants costs two reads of their
// values, so one more call per batch to decide how to read them is half
// as much again.
func TestSmallBatchesDoNotReadTheFieldDefinitionsEachTime(t *testing.T) {
	kind := testdb.Kinds[0]
	const others, batches = 650, 4
	h := newHarness(t, testenv.Options{Database: kind})
	ids := h.importContacts(courseContacts(others + 2*batches)...)
	a := h.automation(h.segment("Graduates", "graduated"), courseMapping)
	// A first batch: /fields read, the field probed (7 pages, so read per entrant).
	h.tag("graduated", ids[0], ids[1])
	h.waitFor("the first batch issued", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == 2 })
	h.ac.Gate().Reset()
	for b := 1; b < batches; b++ {
		time.Sleep(6 * time.Second) // batches a poll interval apart, more than fieldRefreshAfter
		h.tag("graduated", ids[2*b], ids[2*b+1])
		h.waitFor("the batch issued", func() bool { return len(h.runs(a.ID)[autocred.RunIssued]) == 2*(b+1) })
	}
	st := h.ac.Gate().Stats()
	defs, singles := st.ByEndpoint["GET /api/3/fields"], st.ByEndpoint["GET /api/3/contacts/{id}/fieldValues"]
	t.Logf("%d batches of 2: %d GET /fields, %d GET /contacts/{id}/fieldValues, %d GET /fieldValues", batches-1, defs, singles, st.ByEndpoint["GET /api/3/fieldValues"])
	if defs > 0 {
		t.Errorf("%d batches of two entrants read per entrant (%d reads) also read GET /fields %d times, within the definitions' cache life", batches-1, singles, defs)
	}
}
