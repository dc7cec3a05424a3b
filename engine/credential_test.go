package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
)

// TestCredentialFor: the credential a run asks for, or the reason it asks
// for none, from the contact and the mapping alone.
func TestCredentialFor(t *testing.T) {
	today := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	ada := autocred.Contact{ID: 7, Email: "ada@example.org", FirstName: "Ada", LastName: "Lovelace",
		Fields: map[string]string{"course": "Engines 101", "done": "2026-11-02", "bad_date": "02/11/2026"}}
	base := autocred.Action{GroupID: "g1", RecipientName: "{{contact.firstName}} {{contact.lastName}}", RecipientEmail: "{{contact.email}}"}
	with := func(f func(a *autocred.Action)) autocred.Action {
		a := base
		a.CustomAttributes = maps.Clone(base.CustomAttributes)
		f(&a)
		return a
	}
	tests := []struct {
		name        string
		contact     autocred.Contact
		act         autocred.Action
		want        certifier.NewCredential
		wantStatus  autocred.RunStatus    // "" when a credential is made
		wantMessage string                // part of the verdict's message
		wantCode    autocred.RunErrorCode // the verdict's cause
		wantNotes   []string              // the run's log lines about cleaning
	}{
		{name: "the plain mapping", contact: ada, act: base,
			want: certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Name: "Ada Lovelace", Email: "ada@example.org"}}},
		{name: "dates and attributes", contact: ada,
			act: with(func(a *autocred.Action) {
				a.IssueDate, a.ExpiryDate = "{{contact.fields.DONE}}", "{{today+1y}}"
				a.CustomAttributes = map[string]string{"custom.course": "{{contact.fields.course}}", "custom.empty": "{{contact.fields.none}}"}
			}),
			want: certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Name: "Ada Lovelace", Email: "ada@example.org"},
				IssueDate: "2026-11-02", ExpiryDate: "2027-11-30", CustomAttributes: map[string]string{"custom.course": "Engines 101"}}},
		{name: "spaces around the email and name are trimmed", contact: autocred.Contact{Email: "  ada@example.org ", FirstName: "Ada"},
			act:  with(func(a *autocred.Action) { a.RecipientName = " {{contact.firstName}} " }),
			want: certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Name: "Ada", Email: "ada@example.org"}}},
		{name: "no email: skipped", contact: autocred.Contact{FirstName: "Ada"}, act: base,
			want: certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Name: "Ada"}}, wantStatus: autocred.RunSkipped, wantMessage: "Fix the contact's email", wantCode: autocred.RunCodeInvalidEmail},
		{name: "a malformed email: skipped", contact: autocred.Contact{Email: "ada@", FirstName: "Ada"}, act: base,
			want: certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Name: "Ada", Email: "ada@"}}, wantStatus: autocred.RunSkipped, wantMessage: "Skipped: ", wantCode: autocred.RunCodeInvalidEmail},
		{name: "no name: skipped", contact: autocred.Contact{Email: "ada@example.org"}, act: base,
			want: certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Email: "ada@example.org"}}, wantStatus: autocred.RunSkipped, wantMessage: "empty name", wantCode: autocred.RunCodeNoRecipientName},
		{name: "a field that is not a date: failed", contact: ada, act: with(func(a *autocred.Action) { a.IssueDate = "{{contact.fields.bad_date}}" }),
			want:       certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Name: "Ada Lovelace", Email: "ada@example.org"}},
			wantStatus: autocred.RunFailed, wantMessage: `The issue date mapping gives "02/11/2026"`, wantCode: autocred.RunCodeInvalidDate},

		// Hidden and control characters (the rule: clean.go).
		{name: "a zero width space after the email is removed and noted", contact: autocred.Contact{Email: "ada@example.org\u200b", FirstName: "Ada"}, act: base,
			want:      certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Name: "Ada", Email: "ada@example.org"}},
			wantNotes: []string{"Removed a zero width space (U+200B) at the end of the email. The credential goes to ada@example.org."}},
		{name: "a no-break space inside the email: skipped, naming it", contact: autocred.Contact{Email: "ada\u00a0lovelace@example.org", FirstName: "Ada"}, act: base,
			want:       certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Name: "Ada", Email: "ada\u00a0lovelace@example.org"}},
			wantStatus: autocred.RunSkipped, wantMessage: "a no-break space (U+00A0) at character 4, inside the address", wantCode: autocred.RunCodeInvalidEmail},
		{name: "bidi controls and controls leave the name", contact: autocred.Contact{Email: "ada@example.org", FirstName: "\u202eAda\x00", LastName: "Lovelace\u00a0"}, act: base,
			want:      certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Name: "Ada Lovelace", Email: "ada@example.org"}},
			wantNotes: []string{"Removed from the recipient name: a right-to-left override (U+202E) at the start and a null character (U+0000) at character 5."}},
		{name: "a name of only hidden characters: skipped", contact: autocred.Contact{Email: "ada@example.org", FirstName: "\u200b", LastName: "\u2060"}, act: base,
			want:       certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Email: "ada@example.org"}},
			wantStatus: autocred.RunSkipped, wantMessage: "empty name for this contact once hidden and control characters are removed (a zero width space (U+200B) at the end and a word joiner (U+2060) at the end)", wantCode: autocred.RunCodeNoRecipientName},
		{name: "names of every script pass unchanged", contact: autocred.Contact{Email: "ada@example.org", FirstName: "Seán", LastName: "O’Brien-Ёлка محمد 王小明 अनुष्का"}, act: base,
			want: certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Name: "Seán O’Brien-Ёлка محمد 王小明 अनुष्का", Email: "ada@example.org"}}},
		{name: "attribute values lose controls and hidden characters", contact: ada,
			act: with(func(a *autocred.Action) {
				a.CustomAttributes = map[string]string{"custom.course": "\ufeff{{contact.fields.course}}\x1b"}
			}),
			want: certifier.NewCredential{GroupID: "g1", Recipient: certifier.Recipient{Name: "Ada Lovelace", Email: "ada@example.org"},
				CustomAttributes: map[string]string{"custom.course": "Engines 101"}},
			wantNotes: []string{"Removed from the attribute custom.course: a byte-order mark (U+FEFF) at the start and a control character (U+001B) at the end."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := autocred.ParseMapping(tt.act)
			if err != nil {
				t.Fatal(err)
			}
			nc, notes, v := credentialFor(tt.contact, autocred.Automation{Name: "Course", Action: tt.act}, m, today)
			if strings.Join(notes, "|") != strings.Join(tt.wantNotes, "|") {
				t.Errorf("notes\n%q\nwant\n%q", notes, tt.wantNotes)
			}
			switch {
			case tt.wantStatus == "" && v != nil:
				t.Fatalf("verdict %s %q, want a credential", v.status, v.message)
			case tt.wantStatus != "" && (v == nil || v.status != tt.wantStatus || v.code != tt.wantCode || !strings.Contains(v.message, tt.wantMessage)):
				t.Fatalf("verdict %+v, want %s %s with %q", v, tt.wantStatus, tt.wantCode, tt.wantMessage)
			}
			if nc.GroupID != tt.want.GroupID || nc.Recipient != tt.want.Recipient || (v == nil && (nc.IssueDate != tt.want.IssueDate ||
				nc.ExpiryDate != tt.want.ExpiryDate || !maps.Equal(nc.CustomAttributes, tt.want.CustomAttributes))) {
				t.Errorf("credential %+v, want %+v", nc, tt.want)
			}
		})
	}
}

// TestCredentialForFillsCertifierFields: each input of autocred.InputDefs
// lands in the field of Certifier's create body that its row names
// (Certifier's own wire name, which the client spells), and no other.
func TestCredentialForFillsCertifierFields(t *testing.T) {
	a := autocred.Automation{Name: "Course", Action: autocred.Action{GroupID: "g1"}}
	for i, d := range autocred.InputDefs() {
		d.Set(&a.Action, d.Default)
		if d.IsDate() {
			d.Set(&a.Action, fmt.Sprintf("2030-01-%02d", i+1)) // a literal, unlike any other value
		}
	}
	m, err := autocred.ParseMapping(a.Action)
	if err != nil {
		t.Fatal(err)
	}
	ada := autocred.Contact{ID: 7, Email: "ada@example.org", FirstName: "Ada", LastName: "Lovelace"}
	nc, _, v := credentialFor(ada, a, m, time.Now())
	if v != nil {
		t.Fatalf("verdict %+v", v)
	}
	b, err := json.Marshal(nc)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatal(err)
	}
	for _, d := range autocred.InputDefs() {
		want := autocred.Input{Field: d.Field}
		for _, in := range m.Inputs() {
			if in.Field == d.Field {
				want = in
			}
		}
		var got any = body
		for _, key := range strings.Split(d.Certifier, ".") {
			obj, _ := got.(map[string]any)
			got = obj[key]
		}
		value := want.Value(autocred.RenderData{Contact: ada, Automation: a.Name}).Value
		if got != value || value == "" {
			t.Errorf("%s: Certifier's %s is %v, want %q; body %s", d.Field, d.Certifier, got, value, b)
		}
	}
}
