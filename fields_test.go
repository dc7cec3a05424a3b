package autocred

import (
	"strings"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestRenderFieldByType: every ActiveCampaign field type renders as a user
// would write it, in a text input and in a date input.
func TestRenderFieldByType(t *testing.T) {
	chicago := mustLoc(t, "America/Chicago")
	tests := []struct {
		name, typ, value string
		loc              *time.Location
		text, date       string // rendered into a text input, into a date input
	}{
		{"text", FieldText, "Go 101", nil, "Go 101", "Go 101"},
		{"text keeps bars", FieldText, "||not a list||", nil, "||not a list||", "||not a list||"},
		{"textarea", FieldTextarea, "line 1\nline 2", nil, "line 1\nline 2", "line 1\nline 2"},
		{"hidden", FieldHidden, "x-42", nil, "x-42", "x-42"},
		{"text holding a date", FieldText, "2027-05-19", nil, "2027-05-19", "2027-05-19"},
		{"dropdown", FieldDropdown, "Option 1", nil, "Option 1", "Option 1"},
		{"dropdown stored with bars", FieldDropdown, "||Option 1||", nil, "Option 1", "Option 1"},
		{"radio", FieldRadio, "Yes", nil, "Yes", "Yes"},
		{"checkbox, several", FieldCheckbox, "||Go Basics||Go Advanced||", nil, "Go Basics, Go Advanced", "Go Basics, Go Advanced"},
		{"checkbox, one", FieldCheckbox, "||Go Basics||", nil, "Go Basics", "Go Basics"},
		{"checkbox, none", FieldCheckbox, "||||", nil, "", ""},
		{"multiselect", FieldMultiselect, "||A||B||C||", nil, "A, B, C", "A, B, C"},
		{"listbox", FieldListbox, "||Option 1||Option 3||", nil, "Option 1, Option 3", "Option 1, Option 3"},
		{"date", FieldDate, "2027-05-19", chicago, "2027-05-19", "2027-05-19"},
		{"date zero placeholder", FieldDate, "0000-00-00", nil, "", ""},
		{"date with a midnight time", FieldDate, "2027-05-19 00:00:00", nil, "2027-05-19", "2027-05-19"},
		{"date unreadable", FieldDate, "19/05/2027", nil, "19/05/2027", "19/05/2027"},
		{"datetime, issue's example, Chicago", FieldDatetime, "2027-05-19T02:45:00-05:00", chicago, "2027-05-19 02:45", "2027-05-19"},
		{"datetime, issue's example, UTC", FieldDatetime, "2027-05-19T02:45:00-05:00", time.UTC, "2027-05-19 07:45", "2027-05-19"},
		{"datetime 23:30 at UTC-6 in Chicago's winter", FieldDatetime, "2027-01-19T23:30:00-06:00", chicago, "2027-01-19 23:30", "2027-01-19"},
		{"datetime 23:30 at UTC-6 read in UTC", FieldDatetime, "2027-01-19T23:30:00-06:00", time.UTC, "2027-01-20 05:30", "2027-01-20"},
		{"datetime from another offset into Tokyo", FieldDatetime, "2027-05-19T20:00:00+00:00", mustLoc(t, "Asia/Tokyo"), "2027-05-20 05:00", "2027-05-20"},
		{"datetime without offset keeps its wall time", FieldDatetime, "2027-05-19 23:30:00", mustLoc(t, "Asia/Tokyo"), "2027-05-19 23:30", "2027-05-19"},
		{"datetime zero placeholder", FieldDatetime, "0000-00-00 00:00:00", nil, "", ""},
		{"datetime unreadable", FieldDatetime, "tomorrow", nil, "tomorrow", "tomorrow"},
		{"unknown type", "rating", "5", nil, "5", "5"},
		{"no type known", "", "||a||b||", nil, "||a||b||", "||a||b||"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := renderField(tt.typ, tt.value, false, tt.loc); got != tt.text {
				t.Errorf("in text: %q, want %q", got, tt.text)
			}
			if got := renderField(tt.typ, tt.value, true, tt.loc); got != tt.date {
				t.Errorf("in a date: %q, want %q", got, tt.date)
			}
		})
	}
}

// TestMappingRendersFieldsByType: through ParseMapping, SetField and
// Render, as a run does: a multi-select attribute is a list, a datetime
// expiry is a date.
func TestMappingRendersFieldsByType(t *testing.T) {
	m, err := ParseMapping(Action{
		RecipientName: "{{contact.firstName}}", RecipientEmail: "{{contact.email}}",
		ExpiryDate:       "{{contact.fields.CERT_EXPIRES}}",
		CustomAttributes: map[string]string{"custom.courses": "{{contact.fields.Courses}}", "custom.expires": "{{contact.fields.CERT_EXPIRES}}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := Contact{FirstName: "Ana", Email: "ana@example.com"}
	c.SetField("COURSES", "Courses", FieldMultiselect, "||Go Basics||Go Advanced||")
	c.SetField("CERT_EXPIRES", "Certificate expires", FieldDatetime, "2027-05-19T02:45:00-05:00")
	d := RenderData{Contact: c, Today: time.Date(2026, 5, 19, 12, 0, 0, 0, time.UTC)}
	for _, tt := range []struct {
		tpl  Template
		want string
	}{
		{m.template(attributePrefix + "custom.courses"), "Go Basics, Go Advanced"},
		{m.template(InputExpiryDate), "2027-05-19"},
		{m.template(attributePrefix + "custom.expires"), "2027-05-19 07:45"}, // text, in the automation's zone (UTC here)
	} {
		if got := tt.tpl.Render(d); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.tpl, got, tt.want)
		}
	}
}

// TestSetFieldKeepsTypeWithValue: a value is found by tag or title with its
// type; a title that is another field's tag does not take that field's
// type.
func TestSetFieldKeepsTypeWithValue(t *testing.T) {
	var c Contact
	c.SetField("DATE", "When", FieldDate, "2027-05-19")
	c.SetField("WHEN_TEXT", "Date", FieldText, "soon") // title "Date" is taken by the tag above
	if c.FieldTypes["date"] != FieldDate || c.Fields["date"] != "2027-05-19" || c.FieldTypes["when"] != FieldDate {
		t.Errorf("types %v values %v", c.FieldTypes, c.Fields)
	}
	c.SetField("DATE", "When", "", "x")
	if _, ok := c.FieldTypes["date"]; ok {
		t.Errorf("a value set without a type kept the old type: %v", c.FieldTypes)
	}
}

// TestCheckFields: the save-time check knows the fields' types.
func TestCheckFields(t *testing.T) {
	defs := []FieldDef{
		{"COURSE", "Course", FieldText}, {"EXPIRES_TEXT", "Expires (text)", FieldTextarea},
		{"EXPIRES", "Expires", FieldDate}, {"EXPIRES_AT", "Expires at", FieldDatetime},
		{"SESSION", "Session", FieldDropdown}, {"TRACKS", "Tracks", FieldCheckbox},
		{"LANGS", "Languages", FieldMultiselect}, {"LB", "Listbox", FieldListbox}, {"SECRET", "", FieldHidden},
	}
	tests := []struct {
		expiry, attr string
		wantErr      string // "" for none
		wantWarning  string // "" for none
	}{
		{expiry: "{{contact.fields.EXPIRES}}"},
		{expiry: "{{contact.fields.Expires at}}"},
		{expiry: "{{contact.fields.expires_at}}"},
		{expiry: "{{today+1y}}", attr: "{{contact.fields.TRACKS}}"}, // a list in text is fine
		{expiry: "{{contact.fields.COURSE}}", wantWarning: "is a text field, not a date field"},
		{expiry: "{{contact.fields.EXPIRES_TEXT}}", wantWarning: "is a textarea field"},
		{expiry: "{{contact.fields.SECRET}}", wantWarning: "is a hidden field"},
		{expiry: "{{contact.fields.SESSION}}", wantWarning: "is a dropdown field"},
		{expiry: "{{contact.fields.TRACKS}}", wantErr: "is a checkbox field: it holds a list of options, never one date"},
		{expiry: "{{contact.fields.LANGS}}", wantErr: "is a multiselect field"},
		{expiry: "{{contact.fields.LB}}", wantErr: "is a listbox field"},
		{expiry: "{{contact.fields.NOPE}}", wantErr: "names no custom field"},
		{attr: "{{contact.fields.NOPE}} x", wantErr: "names no custom field"},
	}
	for _, tt := range tests {
		t.Run(tt.expiry+tt.attr, func(t *testing.T) {
			a := Action{RecipientName: "x", RecipientEmail: "{{contact.email}}", ExpiryDate: tt.expiry}
			if tt.attr != "" {
				a.CustomAttributes = map[string]string{"custom.a": tt.attr}
			}
			m, err := ParseMapping(a)
			if err != nil {
				t.Fatal(err)
			}
			warnings, err := m.CheckFields(defs)
			switch {
			case tt.wantErr != "":
				if err == nil || ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				var field string
				if e, ok := err.(*Error); ok {
					field = e.Field
				}
				if want := map[bool]string{true: "action.expiry_date", false: "action.custom_attributes.custom.a"}[tt.attr == ""]; field != want {
					t.Errorf("error names %q, want %q", field, want)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantWarning == "" && len(warnings) > 0:
				t.Errorf("warnings %v, want none", warnings)
			case tt.wantWarning != "" && (len(warnings) != 1 || warnings[0].Field != "action.expiry_date" || !strings.Contains(warnings[0].Message, tt.wantWarning)):
				t.Errorf("warnings %v, want one on action.expiry_date with %q", warnings, tt.wantWarning)
			}
		})
	}
}
