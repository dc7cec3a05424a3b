package activecampaign

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// newUUID returns a random version 4 UUID (the id form of saved segments and
// match runs).
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// linkIndex maps the id of a contact's sub-record (a contactTag, a
// fieldValue) back to the contact that holds it. Ids are handed out in
// increasing order, so the index is an append-only sorted slice searched in
// O(log n): 16 bytes a record instead of a map entry. A removed record's
// entry stays; callers confirm the contact still holds the id.
type linkIndex struct {
	next    int64
	entries []linkEntry
}

type linkEntry struct{ id, contact int64 }

// add assigns the next id to a record of contact and returns it.
func (x *linkIndex) add(contact int64) int64 {
	x.next++
	x.entries = append(x.entries, linkEntry{x.next, contact})
	return x.next
}

// owner returns the contact that was given id, if any.
func (x *linkIndex) owner(id int64) (int64, bool) {
	i := sort.Search(len(x.entries), func(i int) bool { return x.entries[i].id >= id })
	if i < len(x.entries) && x.entries[i].id == id {
		return x.entries[i].contact, true
	}
	return 0, false
}

// flexID reads an id sent as a JSON string ("12") or number (12), as the
// real API accepts both.
type flexID int64

func (f *flexID) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("id %s is not a number", b)
	}
	*f = flexID(n)
	return nil
}

// flexString reads a value sent as a JSON string or a number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*f = ""
		return nil
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return fmt.Errorf("value %s must be a string or a number", b)
	}
	*f = flexString(s)
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// parseID reads a positive decimal id.
func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}
