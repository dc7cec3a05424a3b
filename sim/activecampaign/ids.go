package activecampaign

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
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

// idCounter hands out the ids of a contact's sub-records (contactTags,
// fieldValues) in increasing order, per account.
type idCounter int64

// next returns the next id.
func (c *idCounter) next() int64 {
	*c++
	return int64(*c)
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
