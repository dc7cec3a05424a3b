package activecampaign

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeAnswers feeds arbitrary bodies to the decoding of the answers
// the client relies on: error bodies, segment-match pages and contact pages.
// Nothing may panic, and an error body always gives a message.
func FuzzDecodeAnswers(f *testing.F) {
	for _, seed := range []string{
		`{"errors":[{"title":"Unauthorized","detail":"bad key","status":401}]}`,
		`{"message":"No Result found for Subscriber with id 4"}`,
		`{"data":[{"id":"r","type":"matchAll","attributes":{"run_id":"r","is_ready":true,"matches":[1,2],"page":{"current_page":1,"last_page":1,"per_page":10000,"total":2}}}]}`,
		`{"data":{"attributes":{"run_id":"r","is_ready":false,"run_id_end":"2026-01-01"}}}`,
		`{"contacts":[{"id":"42","email":"a@example.com"}],"meta":{"total":"1","page_input":{"cacheid":7}}}`,
		`<html>proxy error</html>`, ``, `null`, `{"data":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := decodeError(500, body); err == nil || err.Error() == "" {
			t.Fatal("an error body gave no error message")
		}
		var resp struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(body, &resp) == nil {
			var items []struct {
				Attributes matchRun `json:"attributes"`
			}
			if decodeOneOrMany(resp.Data, &items) == nil {
				for _, it := range items {
					_ = it.Attributes.failed()
				}
			}
		}
		var page contactsPage
		_ = json.Unmarshal(body, &page)
	})
}
