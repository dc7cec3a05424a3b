package activecampaign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// ID is an ActiveCampaign numeric id. The API sends ids as strings ("42")
// in most places and as numbers in a few (segment-match results); ID reads
// both and writes a string, as the API expects.
type ID int64

// UnmarshalJSON accepts "42", 42 and null (as 0).
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*id = 0
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*id = 0
			return nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("id %s is not a number", b)
	}
	*id = ID(n)
	return nil
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
