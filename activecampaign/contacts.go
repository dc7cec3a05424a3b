package activecampaign

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autocred/autocred"
)

// Contact is the part of a contact that a credential can be made from.
type Contact struct {
	ID        autocred.ContactID `json:"id"`
	Email     string             `json:"email"`
	FirstName string             `json:"firstName"`
	LastName  string             `json:"lastName"`
	Phone     string             `json:"phone"`
	// UDate is when the contact last changed, as the API writes it
	// ("2025-02-03T11:00:00-06:00", the account's offset; spec §3). See
	// Updated.
	UDate string `json:"udate"`
}

// Updated parses UDate; ok is false when it is missing or malformed (the
// API has written dates without an offset in other objects).
func (c Contact) Updated() (t time.Time, ok bool) {
	t, err := time.Parse(time.RFC3339, c.UDate)
	return t, err == nil
}

// contactsPage is an answer of GET /contacts.
type contactsPage struct {
	Contacts []Contact `json:"contacts"`
	Meta     struct {
		Total     count `json:"total"`
		PageInput struct {
			CacheID flexString `json:"cacheid"`
		} `json:"page_input"`
	} `json:"meta"`
}

// flexString reads a JSON string, number or null as text.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*s = ""
	case string:
		*s = flexString(v)
	default:
		*s = flexString(strings.TrimSpace(string(b)))
	}
	return nil
}

// contactsPerCall is the API's page-size limit, and so the most ids one
// GET /contacts?ids[]= call can ask for.
const contactsPerCall = 100

// Contacts fetches the details of contacts in calls of 100 ids. Contacts
// that no longer exist are absent from the result.
func (c *Client) Contacts(ctx context.Context, ids []autocred.ContactID) (map[autocred.ContactID]Contact, error) {
	out := make(map[autocred.ContactID]Contact, len(ids))
	for start := 0; start < len(ids); start += contactsPerCall {
		chunk := ids[start:min(start+contactsPerCall, len(ids))]
		asked := make(map[autocred.ContactID]bool, len(chunk))
		q := url.Values{"limit": {strconv.Itoa(contactsPerCall)}}
		for _, id := range chunk {
			q.Add("ids[]", id.String())
			asked[id] = true
		}
		var page contactsPage
		if err := c.get(ctx, "GET /contacts?ids", "/contacts", q, &page); err != nil {
			return nil, err
		}
		for _, ct := range page.Contacts {
			// ActiveCampaign silently ignores parameters it does not
			// know; if the filter were dropped we would get the first
			// contacts of the account instead of these.
			if !asked[ct.ID] {
				return nil, fmt.Errorf("activecampaign GET /contacts?ids: answered contact %s, which was not asked for", ct.ID)
			}
			out[ct.ID] = ct
		}
	}
	return out, nil
}

// MaxFound bounds the contacts FindContacts returns: a user picks one.
// FindContacts returning MaxFound means that more may match.
const MaxFound = 10

// FindContacts returns up to 10 contacts that match what a user typed to
// pick one: by exact email when the text has an @ (GET /contacts?email=),
// else by the API's text search (search=, over names, email and phone;
// spec §2, "Other GET /api/3/contacts parameters"). One call.
//
// ActiveCampaign ignores a parameter it does not know; so that a dropped
// filter never passes the account's first contacts off as matches, only
// contacts whose email or name holds the text are kept.
func (c *Client) FindContacts(ctx context.Context, text string) ([]Contact, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	q := url.Values{"limit": {strconv.Itoa(MaxFound)}}
	if strings.Contains(text, "@") {
		q.Set("email", text)
	} else {
		q.Set("search", text)
	}
	var page contactsPage
	if err := c.get(ctx, "GET /contacts?search", "/contacts", q, &page); err != nil {
		return nil, err
	}
	want := strings.ToLower(text)
	var out []Contact
	for _, ct := range page.Contacts {
		hay := strings.ToLower(ct.Email + "\n" + ct.FirstName + "\n" + ct.LastName + "\n" + ct.FirstName + " " + ct.LastName)
		if strings.Contains(hay, want) {
			out = append(out, ct)
		}
	}
	return out, nil
}

// NewestContactIDs returns the ids of up to n (at most 100) of the
// account's most recently created contacts: one call, GET /contacts with
// orders[id]=DESC (spec §2, "Other GET /api/3/contacts parameters").
func (c *Client) NewestContactIDs(ctx context.Context, n int) ([]autocred.ContactID, error) {
	q := url.Values{"limit": {strconv.Itoa(min(max(n, 1), contactsPerCall))}, "orders[id]": {"DESC"}}
	var page contactsPage
	if err := c.get(ctx, "GET /contacts", "/contacts", q, &page); err != nil {
		return nil, err
	}
	ids := make([]autocred.ContactID, 0, len(page.Contacts))
	for _, ct := range page.Contacts {
		ids = append(ids, ct.ID)
	}
	return ids, nil
}

// Field is a custom field definition.
type Field struct {
	ID      ID     `json:"id"`
	Title   string `json:"title"`
	Type    string `json:"type"`
	Perstag string `json:"perstag"`
}

// FieldValue is one custom field value of a contact, with its definition.
type FieldValue struct {
	Field Field
	Value string
}

// fieldCache keeps the account's field definitions: they change rarely, and
// reading them once per contact would double the calls per credential.
type fieldCache struct {
	mu      sync.Mutex
	fields  map[ID]Field
	fetched time.Time
	// absent: what callers looked for (a field's id, a name) that the
	// definitions, read again for it, still did not have; not looked for
	// again until fieldCacheTTL after absentSince, however often the
	// definitions are read meanwhile (recentFieldDefs reads them every
	// fieldRefreshAfter while batches come).
	absent      map[string]bool
	absentSince time.Time
}

const fieldCacheTTL = 10 * time.Minute

// fieldRefreshAfter is how old the cached definitions must be before a
// field they do not know (a value of a field created since they were read,
// or a mapping's name that no field has) reads them again: a field created
// in ActiveCampaign and mapped at once must not have its values dropped
// for the rest of fieldCacheTTL. What is still unknown after that read
// (a name no field has, a value of a field /fields does not list) is not
// looked for again until the cache expires, so it costs no GET /fields
// per contact.
const fieldRefreshAfter = 5 * time.Second

// Fields lists the account's custom field definitions, every page of
// GET /fields.
func (c *Client) Fields(ctx context.Context) ([]Field, error) {
	return readAll(ctx, c, "GET /fields", "/fields", "fields", func(f Field) ID { return f.ID })
}

func (c *Client) fieldDefs(ctx context.Context) (map[ID]Field, error) {
	return c.fieldDefsKnowing(ctx, "", nil)
}

// recentFieldDefs returns the definitions as read at most
// fieldRefreshAfter ago, reading them again if they are older. A name
// found in older definitions may since have been renamed, or taken by a
// field created with it as its tag (which wins over a title): a read of a
// contact's values would see that (ContactFields reads /fields again for
// a field it does not know), and a batch's scan must pick the field the
// reads would.
func (c *Client) recentFieldDefs(ctx context.Context) (map[ID]Field, error) {
	return c.fieldDefsWithin(ctx, fieldRefreshAfter, "", nil)
}

// fieldDefsKnowing returns the cached definitions, read again when they
// are older than fieldCacheTTL, or when known (if not nil) says they lack
// what the caller looks for (key), unless they were read less than
// fieldRefreshAfter ago or were read again for key already.
func (c *Client) fieldDefsKnowing(ctx context.Context, key string, known func(map[ID]Field) bool) (map[ID]Field, error) {
	return c.fieldDefsWithin(ctx, fieldCacheTTL, key, known)
}

// fieldDefsWithin is fieldDefsKnowing with definitions older than maxAge
// read again. A failed read leaves the cached ones as they were.
func (c *Client) fieldDefsWithin(ctx context.Context, maxAge time.Duration, key string, known func(map[ID]Field) bool) (map[ID]Field, error) {
	c.fields.mu.Lock()
	defer c.fields.mu.Unlock()
	if f := c.fields.fields; f != nil && time.Since(c.fields.fetched) < maxAge {
		if known == nil || known(f) || c.fields.absent[key] || time.Since(c.fields.fetched) < fieldRefreshAfter {
			return f, nil
		}
	}
	list, err := c.Fields(ctx)
	if err != nil {
		return nil, err
	}
	defs := make(map[ID]Field, len(list))
	for _, f := range list {
		defs[f.ID] = f
	}
	c.fields.fields, c.fields.fetched = defs, time.Now()
	if c.fields.absent == nil || time.Since(c.fields.absentSince) >= fieldCacheTTL {
		c.fields.absent, c.fields.absentSince = map[string]bool{}, time.Now()
	}
	if known != nil && !known(defs) {
		c.fields.absent[key] = true
	}
	return defs, nil
}

// ContactFields returns a contact's custom field values with their
// definitions (GET /contacts/{id}/fieldValues, every page, plus the cached
// /fields). A contact that no longer exists matches ErrNotFound.
//
// The values are paged through rather than taken from those side-loaded by
// GET /contacts/{id}: that answer also side-loads the contact's lists,
// automations, deals and geo data, and whether its fieldValues are ever
// cut short is as undocumented as whether this endpoint pages (spec §7,
// "Collections page at 20"). Paging with limit=100 costs the same one call
// as before for up to 100 values, and is right under either reading.
func (c *Client) ContactFields(ctx context.Context, contactID autocred.ContactID) ([]FieldValue, error) {
	defs, err := c.fieldDefs(ctx)
	if err != nil {
		return nil, err
	}
	type fieldValue struct {
		Field ID     `json:"field"`
		Value string `json:"value"`
	}
	// One value per field and contact: the field identifies a value.
	values, err := readAll(ctx, c, "GET /contacts/{id}/fieldValues", "/contacts/"+contactID.String()+"/fieldValues", "fieldValues",
		func(fv fieldValue) ID { return fv.Field })
	if err != nil {
		return nil, err
	}
	for _, fv := range values {
		if _, ok := defs[fv.Field]; ok {
			continue
		}
		// A field created since the definitions were read: without its
		// tag and title, a mapping could not find its value.
		id := fv.Field
		if defs, err = c.fieldDefsKnowing(ctx, "id:"+id.String(), func(d map[ID]Field) bool { _, ok := d[id]; return ok }); err != nil {
			return nil, err
		}
	}
	out := make([]FieldValue, 0, len(values))
	for _, fv := range values {
		def, ok := defs[fv.Field]
		if !ok {
			def = Field{ID: fv.Field} // created since the cache was filled
		}
		out = append(out, FieldValue{Field: def, Value: fv.Value})
	}
	return out, nil
}
