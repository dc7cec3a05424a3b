package engine

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
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
// (enter), the fields the entering automations' mappings use are read the
// cheaper of two ways, all of them the same way (scanFields: one read of a
// contact gives every field, so a scan beside reads of the contacts is
// wasted):
//
//   - for each contact: N calls, made by each run's issue job as before;
//   - by a scan of each field's values: ceil(total/100) calls a field,
//     total being meta.total of its first page, made by the sync before
//     it records the batch.
//
// A first page costs a call either way, so it is read only when the scans
// may be the cheaper, and the rest only when they are (scansCheaper).
// The scans' cost counts, besides their pages, the entrants they will
// not list, each read on its own after them (one call): an optional
// field that most contacts leave empty lists few of them. How many is
// known only from the share of the segment's entrants the field's last
// scan did not list (fieldPages; counted for batches up to ten times
// that scan's, maxShareScale): the first batch counts the pages alone;
// after a field's scan whose pages and reads cost more than reading each
// entrant, a batch of its size or smaller reads each entrant (several
// fields are counted as scansCost says).
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

// scansCheaper tells whether scanning every one of fields may still cost
// fewer calls than reading each of n entrants on their own (scansCost):
// before a field's first page is read, at its last scan's size (unknown:
// it may be); after, at its pages not read yet; and, either way, with
// the entrants the scans are expected not to list, read on their own.
// Below minScanEntrants, never: one entrant costs one call on its own.
func scansCheaper(n int, fields []*plannedField) bool {
	if n < minScanEntrants {
		return false
	}
	pages, unlisted, ok := scansCost(fields)
	return ok && pages+unlisted < n
}

// scansCost is what scanning every one of fields still costs: the pages
// not read yet (rest), and how many of the entrants are expected to be
// read on their own after the scans (unlisted). ok is false when a scan
// is never to be chosen.
//
// An entrant is read on its own when any of its fields' scans does not
// list it, and one read gives all its fields. Each field remembers only
// the share of its entrants its last scan did not list (fieldPages), not
// which ones, so how the fields' misses overlap is unknown: the largest
// share would assume they always fall on the same entrants, their sum
// that they never do (counting twice an entrant one call reads). Counted
// here is the expectation when nothing is known of it, the misses of
// different fields independent: an entrant is missed with the chance
// 1 − Π(1 − share) over the fields it needs, which lies between the two
// and is never more than one call. A field whose share is not known
// counts as listing everyone (as before any scan was remembered).
func scansCost(fields []*plannedField) (pages, unlisted int, ok bool) {
	for _, p := range fields {
		c, ok := p.rest()
		if !ok {
			return 0, 0, false
		}
		pages += c
	}
	listed := map[autocred.ContactID]float64{} // entrant → chance every scan lists it
	var runs map[autocred.ContactID]int
	for _, p := range fields {
		if runs == nil {
			runs = p.runs
		}
		if !p.missedKnown || p.missed <= 0 {
			continue
		}
		for id := range p.who {
			l, ok := listed[id]
			if !ok {
				l = 1
			}
			listed[id] = l * (1 - p.missed)
		}
	}
	expected := 0.0
	for id, l := range listed {
		// An entrant the scans miss is read by each of its runs whose
		// mapping uses a field (one per automation), not once.
		expected += float64(max(runs[id], 1)) * (1 - l)
	}
	return pages, int(math.Round(expected)), true
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
// last scan announced, and, per segment too, what share of the field's
// entrants into the segment its last finished scan did not list (pages
// are the account's; whom a scan misses depends on who enters), for
// scansCheaper. It is only a guess at a cost: nothing read from it is
// ever issued.
type fieldPages struct {
	pages  recent[fieldKey, int]
	missed recent[missedKey, missedShare]
}

type fieldKey struct {
	conn  int64
	field activecampaign.ID
}

type missedKey struct {
	fieldKey
	segment string
}

// fieldPagesTTL is how long a scan's size, and the share of its entrants
// it did not list, are trusted: values come and go.
const fieldPagesTTL = time.Hour

// recent is a map whose values are trusted for fieldPagesTTL after they
// were put; safe for concurrent use. The zero value is empty.
type recent[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]seen[V]
}

type seen[V any] struct {
	v  V
	at time.Time
}

func (r *recent[K, V]) get(k K) (V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.m[k]
	if !ok || time.Since(s.at) > fieldPagesTTL {
		var zero V
		return zero, false
	}
	return s.v, true
}

func (r *recent[K, V]) put(k K, v V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[K]seen[V]{}
	}
	r.m[k] = seen[V]{v, time.Now()}
}

// missedShare is the share of its entrants a finished scan did not list,
// and how many entrants it had.
type missedShare struct {
	share float64
	of    int
}

// maxShareScale bounds the batches a remembered share is counted for: up
// to maxShareScale times the entrants it was measured on. A share seen on
// a handful of entrants (all without a value, by chance) would otherwise
// have every batch of the hour, however large, read each entrant, and
// never be measured again; a larger batch plans as the first does and
// measures its own.
const maxShareScale = 10

// fits tells whether the share may be counted for a field of entrants
// entrants.
func (m missedShare) fits(entrants int) bool {
	return entrants <= maxShareScale*m.of
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

// readBatchFields decides how a batch of entrants reads the custom fields
// their automations' mappings use (scanFields), and makes the scans when
// they are the cheaper. A failed scan is no failure of the sync: its runs read
// their contacts on their own (what it read before failing stays good).
// Only the end of ctx is returned.
func (e *Engine) readBatchFields(ctx context.Context, ac *activecampaign.Client, autos []autocred.Automation, entered map[int64][]autocred.ContactID) (batchFields, error) {
	b := batchFields{names: map[int64][]string{}, scans: map[string]*scannedField{}}
	needs := map[string]map[autocred.ContactID]bool{} // field name → entrants whose mapping uses it
	runs := map[autocred.ContactID]int{}              // entrant → its runs whose mapping uses a field
	for _, a := range autos {
		if len(entered[a.ID]) == 0 {
			continue
		}
		m, err := autocred.ParseMapping(a.Action)
		if err != nil {
			continue // the issue job says so on each run
		}
		if len(m.Fields()) > 0 {
			for _, id := range entered[a.ID] {
				runs[id]++
			}
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
	// The segment the entrants entered, for what the last scans did not
	// list of its entrants; none when several (one contact's hint, never
	// scanned).
	segment := autos[0].Trigger.SegmentID
	for _, a := range autos {
		if a.Trigger.SegmentID != segment {
			segment = ""
		}
	}
	scans, err := e.scanFields(ctx, ac, autos[0].Trigger.ConnectionID, segment, needs, runs)
	if ctx.Err() != nil {
		return b, ctx.Err()
	}
	if err != nil {
		e.log.Warn("scanning the custom fields' values failed: their entrants are read one by one", "err", err)
	}
	for name, sf := range scans {
		b.scans[name] = sf
	}
	return b, nil
}

// plannedField is one field of a batch's plan: the names the mappings
// give it, the entrants who need it, and its scan once probed.
type plannedField struct {
	field       activecampaign.Field
	names       []string
	who         map[autocred.ContactID]bool
	runs        map[autocred.ContactID]int // the batch's runs of each entrant whose mapping uses a field (nil: one each)
	last        int                        // pages its last scan announced (known: recently)
	known       bool
	missed      float64 // share of its entrants into the segment its last scan did not list (missedKnown: recently, on enough entrants)
	missedKnown bool
	scan        *activecampaign.FieldScan
	unscannable bool // its probe says a scan is not to be chosen
}

// rest is what the field's scan still costs: its pages not read yet. A
// field not probed is counted at its last scan's size less the first page
// (0 when unknown); ok is false for a scan never to be chosen (no total,
// or over maxScanPages).
func (p *plannedField) rest() (calls int, ok bool) {
	switch {
	case p.scan == nil && !p.known:
		return 0, true
	case p.scan == nil:
		return p.last - 1, p.last > 0 && p.last <= maxScanPages
	case p.scan.Done():
		return 0, true
	case p.unscannable:
		return 0, false
	}
	return p.scan.Pages() - p.scan.Read(), true
}

// scanFields reads the values of the custom fields a batch's entrants
// need by scanning them, when that is the cheaper way; none (nil) when the
// entrants are read one by one.
//
// The fields are planned together, not one by one: one read of a contact
// (GET /contacts/{id}/fieldValues) gives all of its values, so a scan pays
// only when every field the entrants need is scanned and the scans
// together, with the reads of the entrants they are expected not to list
// (scansCost), cost fewer calls than reading each entrant (a field read
// for each contact makes the scans of the others wasted calls). A field the
// account does not know by that name, or that several fields answer to,
// is read for each contact, and so are the others. First pages are read
// one field at a time, as long as the scans may still be the cheaper
// (scansCheaper).
func (e *Engine) scanFields(ctx context.Context, ac *activecampaign.Client, connID int64, segment string,
	needs map[string]map[autocred.ContactID]bool, runs map[autocred.ContactID]int) (map[string]*scannedField, error) {
	all := map[autocred.ContactID]bool{}
	for _, who := range needs {
		for id := range who {
			all[id] = true
		}
	}
	// n is what reading each entrant costs: a call per run, since each
	// run's first attempt reads its contact's values on its own (two
	// automations on one segment read each entrant twice).
	n := 0
	for id := range all {
		n += max(runs[id], 1)
	}
	if n < minScanEntrants {
		return nil, nil
	}
	names := slices.Sorted(maps.Keys(needs))
	// resolve plans the fields the names stand for, as lookup finds
	// them; nil when a name has no one field.
	resolve := func(lookup func(context.Context, string) (activecampaign.Field, bool, error)) ([]*plannedField, error) {
		byField := map[activecampaign.ID]*plannedField{}
		var fields []*plannedField
		for _, name := range names {
			f, ok, err := lookup(ctx, name)
			if err != nil {
				return nil, err
			}
			if !ok {
				e.log.Info("custom fields read for each entrant: no one field of the account has this name", "field", name, "entrants", n)
				return nil, nil
			}
			if p := byField[f.ID]; p != nil { // two names of one field: scanned once
				p.names = append(p.names, name)
				maps.Copy(p.who, needs[name])
				continue
			}
			p := &plannedField{field: f, names: []string{name}, who: maps.Clone(needs[name]), runs: runs}
			p.last, p.known = e.fieldPages.pages.get(fieldKey{connID, f.ID})
			byField[f.ID] = p
			fields = append(fields, p)
		}
		for _, p := range fields {
			if m, ok := e.fieldPages.missed.get(missedKey{fieldKey{connID, p.field.ID}, segment}); ok && m.fits(len(p.who)) {
				p.missed, p.missedKnown = m.share, true
			}
		}
		return fields, nil
	}
	// Planned from the cached definitions first: a plan that reads each
	// entrant (what the last scans' sizes say for most small batches)
	// needs no GET /fields, which would add a call to every batch. Only
	// when a scan may be chosen are the names looked up in /fields as read
	// at most fieldRefreshAfter ago (FieldNamed), so that the scan reads
	// the field a read of the contact would.
	fields, err := resolve(ac.FieldNamedCached)
	if err != nil || fields == nil {
		return nil, err
	}
	if scansCheaper(n, fields) {
		if fields, err = resolve(ac.FieldNamed); err != nil || fields == nil {
			return nil, err
		}
	}
	perContact := func() {
		var titles []string
		pages := 0 // the scans' size: as their first pages or last scans announced
		for _, p := range fields {
			titles = append(titles, p.field.Title)
			if p.scan != nil {
				pages += p.scan.Pages()
			} else {
				pages += p.last
			}
		}
		// unlisted: entrants expected to be read on their own after the
		// scans, from the fields' last scans.
		_, unlisted, ok := scansCost(fields)
		if !ok {
			e.log.Info("custom fields read for each entrant: scanning their values would take too long, or its cost is unknown", "fields", titles, "entrants", n)
			return
		}
		e.log.Info("custom fields read for each entrant: scanning their values would cost more", "fields", titles, "entrants", n, "pages", pages, "unlisted", unlisted)
	}
	for _, p := range fields {
		if !scansCheaper(n, fields) {
			perContact()
			return nil, nil
		}
		scan, err := ac.ScanField(ctx, p.field.ID, func(id autocred.ContactID) bool { return p.who[id] })
		if err != nil {
			return nil, err
		}
		p.scan = scan
		// Never chosen: a scan of unknown cost, or over maxScanPages. A
		// scan that merely costs more than the reads is left to
		// scansCheaper, which counts its pages (and logs them).
		p.unscannable = !scanCheaper(maxScanPages+1, scan.Pages(), scan.Done())
		e.fieldPages.pages.put(fieldKey{connID, p.field.ID}, scan.Pages())
	}
	if !scansCheaper(n, fields) {
		perContact()
		return nil, nil
	}
	scans := map[string]*scannedField{}
	var failed error
	for _, p := range fields {
		// What a scan read before failing stays good: its entrants are
		// issued with it, the others read on their own. How many a
		// finished scan did not list is remembered for the next batches'
		// plans: when they and the pages cost more than reading each
		// entrant, nothing is left to save in this batch, but the next
		// of its size or smaller reads each entrant.
		err := p.scan.Finish(ctx)
		unlisted := 0
		for id := range p.who {
			if _, ok := p.scan.Value(id); !ok {
				unlisted++
			}
		}
		if err == nil && len(p.who) > 0 {
			e.fieldPages.missed.put(missedKey{fieldKey{connID, p.field.ID}, segment}, missedShare{float64(unlisted) / float64(len(p.who)), len(p.who)})
		}
		e.log.Info("custom field read by scanning its values", "field", p.field.Title, "entrants", len(p.who), "pages", p.scan.Read(), "unlisted", unlisted, "err", err)
		for _, name := range p.names {
			scans[name] = &scannedField{field: p.field, scan: p.scan}
		}
		if ctx.Err() != nil {
			return scans, ctx.Err()
		}
		failed = cmp.Or(failed, err)
	}
	return scans, failed
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
