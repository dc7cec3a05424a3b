package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
)

// Custom fields at batch speed.
//
// A mapping that uses a custom field needs each entrant's value, and
// ActiveCampaign has no bulk read of a contact's values: one
// GET /contacts/{id}/fieldValues per contact, so a batch of 20,000 costs
// 20,000 calls (over an hour at the account's 5 a second). It does list
// every value of one field, 100 a call (GET /fieldValues?filters[fieldid]=,
// spec §3 "Every value of one field"). So, for each batch a sync records
// (enter), each field the entering automations' mappings use is read the
// cheaper of two ways:
//
//   - for each contact: N calls, made by each run's issue job as before;
//   - by a scan of the field's values: ceil(total/100) calls, total being
//     meta.total of its first page, made by the sync before it records the
//     batch.
//
// The first page costs a call either way, so it is read only when a scan
// may be the cheaper (scanWorthProbing), and the rest only when it is
// (scanCheaper).
//
// Where the values live: with the run. A scanned value is put on the
// run's contact (Contact.Fields, marked in Contact.Scanned) in the same
// transaction that records the entry, so every node, and a process
// started after a crash, has it; no cache is involved, and nothing
// depends on one. A run whose contact the scan did not list (no value of
// the field, a value added or moved during the scan, two values, a field
// name that several fields answer to) has no mark, and its first attempt
// reads the contact's values on its own: never an empty value for a
// contact that has one.
//
// Freshness: the scan starts after the segment read that found the
// entries, and every entry happened before that read; so a scanned value
// is the contact's value at their entry or later, never older: the same
// rule as the contact's name and email, read in bulk at entry
// (entryRead). Like them, it serves only the entry's first attempt; any
// later attempt, and a retry by the user, reads the contact again.

// minScanEntrants is the smallest batch for which the first page of a
// field's values is worth reading: one entrant costs one call on its own.
const minScanEntrants = 2

// scanWorthProbing tells whether to read the first page of a field's
// values for n entrants. lastPages is what a scan of the field took
// lately (known false: never scanned, or long ago): a batch it would
// not pay for skips even the first page.
func scanWorthProbing(n, lastPages int, known bool) bool {
	if n < minScanEntrants {
		return false
	}
	return !known || scanCheaper(n, lastPages, false)
}

// maxScanPages bounds a scan (500,000 values, about 21 minutes at
// autocred's default 4 calls a second): the sync makes it before it
// records any of the batch, holding the segment, and must end well within
// its job's timeout (2 hours). A larger field is read for each contact,
// by the issue jobs.
const maxScanPages = 5000

// scanCheaper tells, once the first page is read, whether reading the
// rest of a scan of pages pages costs fewer calls than reading n
// contacts on their own. A scan that is done (its one page was all) is
// free to use; one whose cost is unknown (no total) or over maxScanPages
// is not chosen. On a tie, the reads per contact win: their credentials
// need not wait for the whole scan.
func scanCheaper(n, pages int, done bool) bool {
	switch {
	case done:
		return true
	case pages <= 0 || pages > maxScanPages:
		return false
	}
	return pages-1 < n
}

// fieldPages remembers, per connection and field, how many pages its
// last scan announced, for scanWorthProbing. It is only a guess at a
// cost: nothing read from it is ever issued.
type fieldPages struct {
	mu sync.Mutex
	m  map[fieldKey]pagesSeen
}

type fieldKey struct {
	conn  int64
	field activecampaign.ID
}

type pagesSeen struct {
	pages int
	at    time.Time
}

// fieldPagesTTL is how long a scan's size is trusted: values come and go.
const fieldPagesTTL = time.Hour

func (f *fieldPages) get(k fieldKey) (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.m[k]
	if !ok || time.Since(s.at) > fieldPagesTTL {
		return 0, false
	}
	return s.pages, true
}

func (f *fieldPages) put(k fieldKey, pages int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[fieldKey]pagesSeen{}
	}
	f.m[k] = pagesSeen{pages: pages, at: time.Now()}
}

// batchFields is what enter knows of a batch's custom fields: the names
// each automation's mapping uses (lower-cased, as Contact.Fields keys
// them) and the scan that read each, if one did.
type batchFields struct {
	names map[int64][]string
	scans map[string]*scannedField
}

type scannedField struct {
	field activecampaign.Field
	scan  *activecampaign.FieldScan
}

// fill puts the scanned values on the would-be runs of a chunk.
func (b batchFields) fill(runs []autocred.Run) {
	for i := range runs {
		r := &runs[i]
		for _, name := range b.names[r.AutomationID] {
			sf := b.scans[name]
			if sf == nil {
				continue
			}
			v, ok := sf.scan.Value(r.ContactID)
			if !ok {
				continue
			}
			if r.Contact.Fields == nil {
				r.Contact.Fields, r.Contact.FieldTypes, r.Contact.Scanned = map[string]string{}, map[string]string{}, map[string]int{}
			}
			r.Contact.Fields[name] = v
			if sf.field.Type != "" {
				r.Contact.FieldTypes[name] = sf.field.Type
			}
			r.Contact.Scanned[name] = sf.scan.Read()
		}
	}
}

// readBatchFields decides, field by field, how a batch of entrants reads
// the custom fields their automations' mappings use, and makes the scans
// that are cheaper. A failed scan is no failure of the sync: its runs read
// their contacts on their own (what it read before failing stays good).
// Only the end of ctx is returned.
func (e *Engine) readBatchFields(ctx context.Context, ac *activecampaign.Client, autos []autocred.Automation, entered map[int64][]autocred.ContactID) (batchFields, error) {
	b := batchFields{names: map[int64][]string{}, scans: map[string]*scannedField{}}
	needs := map[string]map[autocred.ContactID]bool{} // field name → entrants whose mapping uses it
	for _, a := range autos {
		if len(entered[a.ID]) == 0 {
			continue
		}
		m, err := autocred.ParseMapping(a.Action)
		if err != nil {
			continue // the issue job says so on each run
		}
		for _, name := range m.Fields() {
			key := strings.ToLower(name)
			if needs[key] == nil {
				needs[key] = map[autocred.ContactID]bool{}
			}
			if !slices.Contains(b.names[a.ID], key) {
				b.names[a.ID] = append(b.names[a.ID], key)
			}
			for _, id := range entered[a.ID] {
				needs[key][id] = true
			}
		}
	}
	byField := map[activecampaign.ID]*scannedField{}
	for name, who := range needs {
		sf, err := e.scanField(ctx, ac, autos[0].Trigger.ConnectionID, name, who, byField)
		if ctx.Err() != nil {
			return b, ctx.Err()
		}
		if err != nil {
			e.log.Warn("scanning a custom field's values failed: its entrants are read one by one", "field", name, "err", err)
		}
		if sf != nil {
			b.scans[name] = sf
		}
	}
	return b, nil
}

// scanField reads one field's values for the entrants who need it, when a
// scan is the cheaper way; nil when they are read one by one. A field two
// names stand for is scanned once (byField).
func (e *Engine) scanField(ctx context.Context, ac *activecampaign.Client, connID int64, name string, who map[autocred.ContactID]bool,
	byField map[activecampaign.ID]*scannedField) (*scannedField, error) {
	n := len(who)
	if n < minScanEntrants {
		return nil, nil
	}
	f, ok, err := ac.FieldNamed(ctx, name)
	if err != nil || !ok {
		return nil, err // unknown or ambiguous: only a contact's own values tell
	}
	if sf, decided := byField[f.ID]; decided {
		return sf, nil
	}
	byField[f.ID] = nil // read for each entrant, unless a scan is made below
	key := fieldKey{connID, f.ID}
	last, known := e.fieldPages.get(key)
	if !scanWorthProbing(n, last, known) {
		e.log.Info("custom field read for each entrant", "field", f.Title, "entrants", n, "scan_pages_last_seen", last)
		return nil, nil
	}
	scan, err := ac.ScanField(ctx, f.ID, func(id autocred.ContactID) bool { return who[id] })
	if err != nil {
		return nil, err
	}
	e.fieldPages.put(key, scan.Pages())
	if !scanCheaper(n, scan.Pages(), scan.Done()) {
		e.log.Info("custom field read for each entrant: scanning its values would cost more", "field", f.Title, "entrants", n, "scan_pages", scan.Pages())
		return nil, nil
	}
	sf := &scannedField{field: f, scan: scan}
	byField[f.ID] = sf
	err = scan.Finish(ctx)
	e.log.Info("custom field read by scanning its values", "field", f.Title, "entrants", n, "pages", scan.Read(), "err", err)
	return sf, err
}

// fieldsReadAtEntry tells whether every field a mapping uses was read at
// entry by a scan (Contact.Scanned), so that the entry's first attempt
// needs no read of its own.
func fieldsReadAtEntry(c autocred.Contact, m autocred.Mapping) bool {
	names := m.Fields()
	for _, name := range names {
		if c.Scanned[strings.ToLower(name)] <= 0 {
			return false
		}
	}
	return len(names) > 0
}

// fieldsReadNote is the run's log line that says how its custom fields
// were read: by the batch's scan (scanned, from Contact.Scanned) or for
// this contact alone.
func fieldsReadNote(m autocred.Mapping, scanned map[string]int) string {
	var seen []string
	var parts []string
	for _, name := range m.Fields() {
		key := strings.ToLower(name)
		if slices.Contains(seen, key) {
			continue
		}
		seen = append(seen, key)
		how := "read for this contact"
		if p := scanned[key]; p > 0 {
			how = fmt.Sprintf("read by scanning %d %s of its values, with this batch's other entrants", p, plural(p, "page", "pages"))
		}
		parts = append(parts, fmt.Sprintf("Custom field %q %s.", name, how))
	}
	return strings.Join(parts, " ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
