package activecampaign

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ContactInput is one contact of a bulk import.
type ContactInput struct {
	Email     string            `json:"email"`
	FirstName string            `json:"firstName,omitempty"`
	LastName  string            `json:"lastName,omitempty"`
	Phone     string            `json:"phone,omitempty"`
	Tags      []string          `json:"tags,omitempty"`   // tag names, created if missing
	Fields    map[string]string `json:"fields,omitempty"` // perstag → value, field created if missing
	Lists     []string          `json:"lists,omitempty"`  // list names, subscribed; created if missing
	CDate     time.Time         `json:"cdate,omitzero"`   // creation date; default now
}

// Import adds contacts in bulk, as the app's CSV import does: a contact
// whose valid email already exists is updated (tags, fields and lists are
// added to it) instead of duplicated, and NO webhook fires (spec §4: mass
// operations such as imports do not fire webhooks). Contacts without a
// valid email are imported as they are, which is how real accounts come to
// hold them. It returns the contact ids in input order.
func (s *Server) Import(account string, contacts []ContactInput) ([]int64, error) {
	a, err := s.mustAccount(account)
	if err != nil {
		return nil, err
	}
	for i, in := range contacts {
		for _, t := range in.Tags {
			if strings.TrimSpace(t) == "" {
				return nil, fmt.Errorf("import: contact %d (%s): empty tag name", i+1, in.Email)
			}
		}
		for _, l := range in.Lists {
			if strings.TrimSpace(l) == "" {
				return nil, fmt.Errorf("import: contact %d (%s): empty list name", i+1, in.Email)
			}
		}
		for k := range in.Fields {
			if strings.TrimSpace(k) == "" {
				return nil, fmt.Errorf("import: contact %d (%s): empty field perstag", i+1, in.Email)
			}
		}
	}
	now := s.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.contacts = slices.Grow(a.contacts, len(contacts))
	ids := make([]int64, len(contacts))
	for i, in := range contacts {
		id := int64(0)
		if validEmail(in.Email) {
			id = a.emailOwner(in.Email)
		}
		if id == 0 {
			cdate := in.CDate
			if cdate.IsZero() {
				cdate = now
			}
			id = a.addContact(in.Email, strings.TrimSpace(in.FirstName), strings.TrimSpace(in.LastName), strings.TrimSpace(in.Phone), cdate)
			c := a.contact(id)
			// Exact capacities: no append slack on a million contacts.
			c.tags = make([]tagLink, 0, len(in.Tags))
			c.fields = make([]fieldValue, 0, len(in.Fields))
			c.lists = make([]listLink, 0, len(in.Lists))
		} else {
			c := a.contact(id)
			fill := func(dst *string, v string) {
				if v = strings.TrimSpace(v); v != "" {
					*dst = v
				}
			}
			fill(&c.firstName, in.FirstName)
			fill(&c.lastName, in.LastName)
			fill(&c.phone, in.Phone)
			c.udate = now.UnixNano()
		}
		c := a.contact(id)
		for _, t := range in.Tags {
			a.addTag(id, c, a.ensureTag(t, now), now)
		}
		for perstag, v := range in.Fields {
			a.setField(id, c, a.ensureField(perstag, "", now), v, now)
		}
		for _, l := range in.Lists {
			a.setListStatus(c, a.ensureList(l, now), 1, now)
		}
		ids[i] = id
	}
	return ids, nil
}
