package autocred

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestContactIDJSON(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want ContactID
		bad  bool
	}{
		{in: `42`, want: 42},
		{in: `"42"`, want: 42}, // as ActiveCampaign writes it
		{in: `null`, want: 0},
		{in: `""`, want: 0},
		{in: `"4x"`, bad: true},
		{in: `4.5`, bad: true},
		{in: `true`, bad: true},
	} {
		var got ContactID
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d (error: %v)", tt.in, got, err, tt.want, tt.bad)
		}
	}
	if b, _ := json.Marshal(Run{ContactID: 42}); !strings.Contains(string(b), `"contact_id":42,`) {
		t.Errorf("a run's contact_id is written %s; the API has it a number", b)
	}
}

// A run recorded before ContactID stored its contact with the id as a
// string; it must still read.
func TestContactReadsOldStoredID(t *testing.T) {
	var c Contact
	if err := json.Unmarshal([]byte(`{"ID":"42","Email":"ana@example.com","FirstName":"Ana","LastName":"","Phone":"","Fields":null}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.ID != 42 || c.Email != "ana@example.com" {
		t.Errorf("read %+v", c)
	}
	b, _ := json.Marshal(c)
	var again Contact
	if err := json.Unmarshal(b, &again); err != nil || again.ID != 42 {
		t.Errorf("round trip of %s = %+v, %v", b, again, err)
	}
}
