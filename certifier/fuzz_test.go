package certifier

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeAnswers feeds arbitrary bodies to the decoding of Certifier's
// answers: an error body always gives a message, and nothing panics.
func FuzzDecodeAnswers(f *testing.F) {
	for _, seed := range []string{
		`{"error":{"code":"validation_error","message":"issueDate must be YYYY-MM-DD"}}`,
		`{"data":[{"id":"01h","publicId":"u","status":"issued","recipient":{"name":"A","email":"a@b.co"},"expiryDate":null}],"pagination":{"next":null}}`,
		`[{"tag":"custom.x","name":"X","isDefault":false}]`,
		`<html>502</html>`, ``, `{"error":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{400, 429, 500} {
			if e := decodeError("GET /x", status, body); e.Message == "" {
				t.Fatal("an error body gave no message")
			}
		}
		var list struct {
			Data       []Credential `json:"data"`
			Pagination pagination   `json:"pagination"`
		}
		_ = json.Unmarshal(body, &list)
		var attrs []Attribute
		_ = json.Unmarshal(body, &attrs)
	})
}
