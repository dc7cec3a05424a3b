package activecampaign

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/autocred/autocred"
)

// FieldScan reads every value of one custom field, 100 a call, through
// GET /fieldValues?filters[fieldid]= (spec §3, "Every value of one
// field"): for a batch of entrants, a few pages instead of one call per
// contact. The first page (ScanField) tells what the whole scan costs
// (Pages), so that a caller can stop there when reading each contact on
// its own is cheaper.
//
// The documentation leaves open whether the filter matches the id exactly
// and in what order values come, and offset paging over values that
// change meanwhile may skip or repeat one. So a scan keeps only values
// whose field is the one asked for, of contacts the caller wants (keep);
// a contact listed twice with different values is dropped (Value says
// nothing of it); and a contact the scan does not list may still have a
// value: the caller reads it on its own.
type FieldScan struct {
	c     *Client
	field ID
	keep  func(autocred.ContactID) bool

	total  int // meta.total of the first page; 0: not given
	offset int
	read   int // pages read
	done   bool
	seen   map[ID]bool // field value ids, to stop at a page that brings nothing new
	values map[autocred.ContactID]string
	clash  map[autocred.ContactID]bool
}

// fieldValuesPage is an answer of GET /fieldValues.
type fieldValuesPage struct {
	FieldValues []struct {
		ID      ID                 `json:"id"`
		Contact autocred.ContactID `json:"contact"`
		Field   ID                 `json:"field"`
		Value   string             `json:"value"`
	} `json:"fieldValues"`
	Meta struct {
		Total count `json:"total"`
	} `json:"meta"`
}

// ScanField starts a scan of field's values and reads its first page (one
// call). keep says which contacts' values to hold; the others are passed
// over, so a scan holds no more than the caller asked about.
func (c *Client) ScanField(ctx context.Context, field ID, keep func(autocred.ContactID) bool) (*FieldScan, error) {
	s := &FieldScan{c: c, field: field, keep: keep, seen: map[ID]bool{},
		values: map[autocred.ContactID]string{}, clash: map[autocred.ContactID]bool{}}
	if err := s.next(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Pages is how many calls the whole scan takes, as the first page's
// meta.total says (at least the pages read). It is 0 when the answer gave
// no total and more pages may follow: the cost is unknown.
func (s *FieldScan) Pages() int {
	if s.done {
		return s.read
	}
	if s.total <= 0 {
		return 0
	}
	return max(s.read, (s.total+maxPageSize-1)/maxPageSize)
}

// Read is how many pages the scan has read.
func (s *FieldScan) Read() int { return s.read }

// Done tells whether the scan has read every page.
func (s *FieldScan) Done() bool { return s.done }

// Finish reads the remaining pages. It reads no more than the first page
// announced, with a margin: values added during the scan are not chased,
// their contacts are read on their own (with no total, up to maxPages).
// On an error, the values read so far stay valid.
func (s *FieldScan) Finish(ctx context.Context) error {
	limit := s.Pages() + s.Pages()/10 + 2
	if s.Pages() == 0 {
		limit = maxPages
	}
	for !s.done && s.read < limit {
		if err := s.next(ctx); err != nil {
			return err
		}
	}
	s.done = true
	return nil
}

// Value returns a contact's value of the field, as the scan read it; ok is
// false when the scan did not list the contact, or listed it with two
// different values.
func (s *FieldScan) Value(id autocred.ContactID) (value string, ok bool) {
	if s.clash[id] {
		return "", false
	}
	value, ok = s.values[id]
	return value, ok
}

// next reads one page.
func (s *FieldScan) next(ctx context.Context) error {
	q := url.Values{"filters[fieldid]": {s.field.String()}, "limit": {strconv.Itoa(maxPageSize)}, "offset": {strconv.Itoa(s.offset)}}
	var page fieldValuesPage
	if err := s.c.get(ctx, "GET /fieldValues", "/fieldValues", q, &page); err != nil {
		return err
	}
	s.read++
	if s.read == 1 {
		s.total = int(page.Meta.Total)
	}
	fresh := 0
	for _, fv := range page.FieldValues {
		if !s.seen[fv.ID] || fv.ID == 0 {
			s.seen[fv.ID] = true
			fresh++
		}
		// The filter may have let other fields through (spec §3).
		if fv.Field != s.field || !s.keep(fv.Contact) {
			continue
		}
		if old, had := s.values[fv.Contact]; had && old != fv.Value {
			s.clash[fv.Contact] = true
		}
		s.values[fv.Contact] = fv.Value
	}
	s.offset += len(page.FieldValues)
	total := int(page.Meta.Total)
	switch {
	case fresh == 0: // empty, or the same page again (offset ignored)
		s.done = true
	case total > 0:
		s.done = s.offset >= total
	default:
		s.done = len(page.FieldValues) < maxPageSize
	}
	return nil
}

// FieldNamed finds the custom field a mapping names (as written after
// contact.fields.): the one whose personalization tag is the name, else
// the one whose title is, without regard to case (as autocred.Contact's
// SetField and a template's lookup match them), from GET /fields as read
// at most fieldRefreshAfter ago (recentFieldDefs). ok is false when no
// field, or more than one, answers to the name: then only a contact's own
// values (ContactFields) tell which value the name stands for.
func (c *Client) FieldNamed(ctx context.Context, name string) (f Field, ok bool, err error) {
	return c.fieldNamed(ctx, name, c.recentFieldDefs)
}

// FieldNamedCached is FieldNamed from the cached definitions (read again
// only when older than fieldCacheTTL, as ContactFields uses them): for a
// plan that may read each contact, which costs no GET /fields. A scan is
// chosen from FieldNamed's answer only.
func (c *Client) FieldNamedCached(ctx context.Context, name string) (f Field, ok bool, err error) {
	return c.fieldNamed(ctx, name, c.fieldDefs)
}

func (c *Client) fieldNamed(ctx context.Context, name string, read func(context.Context) (map[ID]Field, error)) (f Field, ok bool, err error) {
	defs, err := read(ctx)
	if err != nil {
		return Field{}, false, fmt.Errorf("reading the custom fields: %w", err)
	}
	byTag, byTitle := fieldsNamed(defs, name)
	if len(byTag)+len(byTitle) == 0 {
		// Perhaps a field created since the definitions were read.
		named := func(d map[ID]Field) bool { t, n := fieldsNamed(d, name); return len(t)+len(n) > 0 }
		if defs, err = c.fieldDefsKnowing(ctx, "name:"+strings.ToLower(name), named); err != nil {
			return Field{}, false, fmt.Errorf("reading the custom fields: %w", err)
		}
		byTag, byTitle = fieldsNamed(defs, name)
	}
	switch {
	case len(byTag) == 1:
		return byTag[0], true, nil
	case len(byTag) == 0 && len(byTitle) == 1:
		return byTitle[0], true, nil
	}
	return Field{}, false, nil
}

// fieldsNamed lists the fields whose personalization tag is name, and those
// whose title is, without regard to case.
func fieldsNamed(defs map[ID]Field, name string) (byTag, byTitle []Field) {
	for _, d := range defs {
		switch {
		case d.Perstag != "" && strings.EqualFold(d.Perstag, name):
			byTag = append(byTag, d)
		case d.Title != "" && strings.EqualFold(d.Title, name):
			byTitle = append(byTitle, d)
		}
	}
	return byTag, byTitle
}
