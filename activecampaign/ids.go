package activecampaign

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/autocred/autocred"
)

// ID is the numeric id of an ActiveCampaign object other than a contact or
// a webhook (a field, a legacy segment); a contact's is an
// autocred.ContactID, a webhook's an autocred.WebhookID. The API sends ids
// as strings ("42") in most places and as numbers in a few (segment-match
// results); all three types read both, and ID writes a string, as the API
// expects.
type ID int64

// UnmarshalJSON accepts "42", 42 and null (as 0), as autocred.ContactID
// does: ActiveCampaign writes every id alike.
func (id *ID) UnmarshalJSON(b []byte) error {
	var n autocred.ContactID
	err := n.UnmarshalJSON(b)
	*id = ID(n)
	return err
}

// MarshalJSON writes the id as a string.
func (id ID) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatInt(int64(id), 10))
}

// String formats the id in decimal.
func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }

// count reads a total sent as "6" or 6.
type count int

func (n *count) UnmarshalJSON(b []byte) error {
	var id ID
	if err := id.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	*n = count(id)
	return nil
}
