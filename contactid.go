package autocred

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// ContactID is an ActiveCampaign contact's id. ActiveCampaign writes ids
// as JSON strings ("42"); the activecampaign package reads them into a
// ContactID once, and the snapshot, the ledger, the runs, the hints and
// the credential's rendering all carry this one type. It is written to JSON
// as a number (the API's contact_id) and read from either.
type ContactID int64

// String formats the id in decimal, as ActiveCampaign writes it.
func (id ContactID) String() string { return strconv.FormatInt(int64(id), 10) }

// ParseContactID reads an id written in decimal.
func ParseContactID(s string) (ContactID, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("id %q is not a number", s)
	}
	return ContactID(n), nil
}

// UnmarshalJSON accepts 42 and "42" (as ActiveCampaign writes ids, and as
// runs recorded before ContactID stored their contact's), and null and ""
// as 0.
func (id *ContactID) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*id = 0
		return nil
	}
	if len(s) > 0 && s[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*id = 0
			return nil
		}
	}
	n, err := ParseContactID(s)
	if err != nil {
		return err
	}
	*id = n
	return nil
}
