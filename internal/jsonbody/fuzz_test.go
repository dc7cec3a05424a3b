package jsonbody

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// FuzzDecode sends arbitrary bodies through the REST API's request decoding
// into the two bodies users write by hand (autocred.AutomationInput and
// NewConnection, which package service and so api use): nothing panics, and
// every failure is an error a client can act on (invalid input or too
// large), never an internal one.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"name":"x","trigger":{"connection_id":1,"segment_id":"s"},"action":{"connection_id":2,"group_id":"g","recipient_name":"{{contact.firstName}}","recipient_email":"{{contact.email}}","issue":true,"send":true}}`,
		`{"app":"activecampaign","name":"AC","api_url":"https://a.api-us1.com","api_key":"k"}`,
		`{"name":1}`, `{"nope":true}`, `{} {}`, `[`, ``, `null`, `{"action":{"custom_attributes":{"custom.x":5}}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, dst := range []any{&autocred.AutomationInput{}, &autocred.NewConnection{}} {
			r := httptest.NewRequest("POST", "/api/v1/automations", strings.NewReader(body))
			err := Decode(httptest.NewRecorder(), r, dst, false, "/api/v1/openapi.json")
			if err == nil {
				continue
			}
			if code := autocred.ErrorCode(err); code != autocred.EINVALID && code != autocred.ETOOLARGE {
				t.Fatalf("body %q: %v (code %s), want an invalid-input error", body, err, code)
			}
			if autocred.ErrorMessage(err) == "" {
				t.Fatalf("body %q: empty message", body)
			}
		}
	})
}
