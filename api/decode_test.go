package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// Bad input is refused with a message that says what is wrong, and stores
// nothing: each body below would create a connection or an automation if
// it were read leniently.
func TestBadInput(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	// Another workspace: the fixture's token is connected already, and a
	// second connection of one workspace is refused.
	const otherToken = "another-workspace-token-0001"
	if err := a.env.Certifier.AddWorkspace("another", otherToken); err != nil {
		t.Fatal(err)
	}
	a.secrets = append(a.secrets, otherToken)
	conn := fmt.Sprintf(`{"app":"certifier","name":"Another","api_url":%q,"access_token":%q}`, a.env.CertifierURL, otherToken)
	auto := string(mustJSON(t, f.automation()))
	huge := `{"app":"certifier","name":"` + strings.Repeat("x", 2<<20) + `"}`

	tests := []struct {
		name, path, body string
		status           int
		code, field      string
		says             string
	}{
		{"empty", "/connections", "", http.StatusBadRequest, autocred.EINVALID, "", "empty"},
		{"truncated", "/connections", conn[:30], http.StatusBadRequest, autocred.EINVALID, "", "not valid JSON"},
		{"malformed", "/connections", `{"app" "certifier"}`, http.StatusBadRequest, autocred.EINVALID, "", "at byte 8"},
		{"unknown field", "/connections", conn[:len(conn)-1] + `,"colour":"red"}`, http.StatusBadRequest, autocred.EINVALID, "", `"colour"`},
		{"unknown nested field", "/automations", strings.Replace(auto, `"trigger":{`, `"trigger":{"colour":"red",`, 1),
			http.StatusBadRequest, autocred.EINVALID, "", `"colour"`},
		{"second object", "/connections", conn + conn, http.StatusBadRequest, autocred.EINVALID, "", "more after"},
		{"trailing garbage", "/automations", auto + " x", http.StatusBadRequest, autocred.EINVALID, "", "more after"},
		{"wrong type", "/connections", `{"app":"certifier","name":7}`, http.StatusBadRequest, autocred.EINVALID, "name", "must be a string"},
		{"nested wrong type", "/automations", strings.Replace(auto, `"issue":true`, `"issue":"yes"`, 1),
			http.StatusBadRequest, autocred.EINVALID, "action.issue", "true or false"},
		{"an array", "/automations", "[" + auto + "]", http.StatusBadRequest, autocred.EINVALID, "", "must be an object"},
		{"a string", "/connections", `"certifier"`, http.StatusBadRequest, autocred.EINVALID, "", "must be an object"},
		// Text that cannot be stored (on PostgreSQL): refused, naming the
		// field, instead of a 500 from the database.
		{"NUL in a name", "/connections", strings.Replace(conn, `"Another"`, `"Ana\u0000Lee"`, 1),
			http.StatusBadRequest, autocred.EINVALID, "name", "null character (U+0000) at character 4"},
		{"invalid UTF-8 in a name", "/connections", strings.Replace(conn, `"Another"`, "\"Jos\xe9 \\u00e9\"", 1),
			http.StatusBadRequest, autocred.EINVALID, "name", "not UTF-8 text at character 4"},
		{"invalid UTF-8 after an escape", "/connections", strings.Replace(conn, `"Another"`, "\"\\u00e9\\n\xff\"", 1),
			http.StatusBadRequest, autocred.EINVALID, "name", "not UTF-8 text at character 3"},
		{"NUL in a nested value", "/automations", strings.Replace(auto, `{{contact.lastName}}`, `{{contact.lastName}}\u0000`, 1),
			http.StatusBadRequest, autocred.EINVALID, "action.recipient_name", "null character (U+0000) at character 43"},
		{"NUL in a key", "/automations", strings.Replace(auto, `"custom.course_name"`, `"custom.course\u0000"`, 1),
			http.StatusBadRequest, autocred.EINVALID, "action.custom_attributes", "has a key that has a null character"},
		{"NUL in an unknown field's value", "/connections", conn[:len(conn)-1] + `,"colour":"r\u0000"}`,
			http.StatusBadRequest, autocred.EINVALID, "colour", "null character"},
		{"2 MiB", "/connections", huge, http.StatusRequestEntityTooLarge, autocred.ETOOLARGE, "", "larger than 1048576 bytes"},
		{"2 MiB after an object", "/automations", auto + strings.Repeat(" ", 2<<20), http.StatusRequestEntityTooLarge, autocred.ETOOLARGE, "", "larger"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := a.call("POST", prefix+tc.path, tc.body).fails(t, tc.status, tc.code, tc.field)
			if !strings.Contains(e.Message, tc.says) {
				t.Errorf("message %q does not say %q", e.Message, tc.says)
			}
		})
	}
	if got := a.connections(); len(got) != 2 {
		t.Errorf("connections stored: %+v", got)
	}
	if got := a.automations(); len(got) != 0 {
		t.Errorf("automations stored: %+v", got)
	}
	// The bodies were refused for their form, not their content.
	a.call("POST", "/api/v1/connections", conn).ok(t, http.StatusCreated, nil)
	a.call("POST", "/api/v1/automations", auto).ok(t, http.StatusCreated, nil)
}

func TestBadIDs(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	for _, rt := range (&handler{}).routes() {
		if !strings.Contains(rt.path, "{id}") {
			continue
		}
		for _, id := range []string{"abc", "0", "-1", "1.5", "99999999999999999999"} {
			t.Run(rt.method+" "+rt.path+"/"+id, func(t *testing.T) {
				path := prefix + strings.ReplaceAll(rt.path, "{id}", id)
				a.call(rt.method, path, "{}").fails(t, http.StatusBadRequest, autocred.EINVALID, "id")
			})
		}
	}
}
