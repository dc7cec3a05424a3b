package autocred

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// The custom field types of ActiveCampaign, as GET /api/3/fields gives
// them in each field's "type" (docs/api-notes/activecampaign.md §3, "Custom fields";
// the values' stored forms are in the create-fieldvalue reference,
// https://developers.activecampaign.com/reference/create-fieldvalue).
const (
	FieldText        = "text"        // free text
	FieldTextarea    = "textarea"    // free text, several lines
	FieldHidden      = "hidden"      // free text, not shown on forms
	FieldDate        = "date"        // "2018-12-31"
	FieldDatetime    = "datetime"    // "2020-05-19T02:45:00-05:00", in the account's time zone
	FieldDropdown    = "dropdown"    // one option: "Option 1"
	FieldRadio       = "radio"       // one option: "Option 1"
	FieldCheckbox    = "checkbox"    // options ticked: "||Option 1||Option 3||"
	FieldMultiselect = "multiselect" // options picked: "||Option 1||Option 3||"
	FieldListbox     = "listbox"     // options picked: "||Option 1||Option 3||"
)

// isListField tells whether a field of type typ holds several options, so
// that its value is a list and never one date.
func isListField(typ string) bool {
	return typ == FieldCheckbox || typ == FieldMultiselect || typ == FieldListbox
}

// isOptionField tells whether a field of type typ holds options picked
// from a list, one or several.
func isOptionField(typ string) bool {
	return isListField(typ) || typ == FieldDropdown || typ == FieldRadio
}

// FieldDef is a custom field as the account defines it (GET /fields).
type FieldDef struct {
	Perstag string
	Title   string
	Type    string
}

// findField finds the field a template names, as Contact.SetField files
// values: by personalization tag first, then by title, in any case.
func findField(defs []FieldDef, name string) (FieldDef, bool) {
	for _, d := range defs {
		if d.Perstag != "" && strings.EqualFold(d.Perstag, name) {
			return d, true
		}
	}
	for _, d := range defs {
		if d.Title != "" && strings.EqualFold(d.Title, name) {
			return d, true
		}
	}
	return FieldDef{}, false
}

// textDateTime is how a datetime field's value is written into text (a
// custom attribute, a name): ISO 8601's order, day first to minute, in the
// automation's time zone. ISO order is the one form no reader takes the
// wrong way round (05/06 is May in the US and June in Europe), and it needs
// no language: a credential may be in any language, and an English month
// name on a French certificate would be wrong. Dates are written as
// ActiveCampaign stores them, YYYY-MM-DD, for the same reasons.
const textDateTime = "2006-01-02 15:04"

// renderField gives a custom field's stored value as a run sends it, by
// the field's type:
//
//   - options (checkbox, multiselect, listbox, dropdown, radio) stored as
//     "||Go Basics||Go Advanced||" give "Go Basics, Go Advanced"; a value
//     without the bars is one option and is kept;
//   - a date gives YYYY-MM-DD; a datetime is converted to loc and gives its
//     date there, YYYY-MM-DD, when the input is a date (dateInput), or its
//     date and time ("2027-05-19 02:45") in text;
//   - ActiveCampaign's placeholder zero dates ("0000-00-00",
//     "0000-00-00 00:00:00", spec §3) give "", as an unset field does;
//   - text, textarea, hidden, a type unknown here, and a date or datetime
//     that cannot be read give the value as stored, so that nothing is
//     lost and a date input's check names the value.
func renderField(typ, value string, dateInput bool, loc *time.Location) string {
	switch {
	case isOptionField(typ):
		return joinOptions(value)
	case typ == FieldDate || typ == FieldDatetime:
		v := strings.TrimSpace(value)
		if v == "" || strings.HasPrefix(v, "0000-00-00") {
			return ""
		}
		if typ == FieldDate {
			if len(v) >= 10 && IsDate(v[:10]) {
				return v[:10] // a date written with a midnight time is still its date
			}
			return value
		}
		t, zoned, ok := parseDateTime(v)
		if !ok {
			return value
		}
		if zoned {
			if loc == nil {
				loc = time.UTC
			}
			t = t.In(loc)
		}
		if dateInput {
			return t.Format(time.DateOnly)
		}
		return t.Format(textDateTime)
	}
	return value
}

// joinOptions turns ActiveCampaign's stored list "||A||B||" into "A, B".
func joinOptions(value string) string {
	if !strings.Contains(value, "||") {
		return value
	}
	var opts []string
	for _, o := range strings.Split(value, "||") {
		if strings.TrimSpace(o) != "" {
			opts = append(opts, o)
		}
	}
	return strings.Join(opts, ", ")
}

// parseDateTime reads a datetime field's value: ISO 8601 with an offset,
// as the API gives it (zoned), or a date and time without one, whose wall
// time is all there is to know.
func parseDateTime(v string) (t time.Time, zoned, ok bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true, true
	}
	for _, layout := range []string{"2006-01-02T15:04:05", time.DateTime, "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, false, true
		}
	}
	return time.Time{}, false, false
}

// checkFieldType checks a template's custom fields against the account's
// definitions: each must exist; in a date input, the one field must be
// able to give a date. A field that may give one (text, one option) is
// allowed with a warning; a list field, which never can, is refused.
func (t Template) checkFieldType(field string, defs []FieldDef) (warning string, err error) {
	for _, name := range t.Fields() {
		def, ok := findField(defs, name)
		if !ok {
			return "", FieldErrorf(field, "{{contact.fields.%s}} names no custom field of this ActiveCampaign account; use a field's personalization tag or title", name)
		}
		if !t.date {
			continue
		}
		switch {
		case def.Type == FieldDate || def.Type == FieldDatetime:
		case isListField(def.Type):
			return "", FieldErrorf(field, "{{contact.fields.%s}} is a %s field: it holds a list of options, never one date, and Certifier takes only YYYY-MM-DD here. Map a date or datetime field, {{today}}, or a date such as 2026-12-31", name, def.Type)
		default:
			warning = fmt.Sprintf("{{contact.fields.%s}} is a %s field, not a date field: a run fails for every contact whose value is not a YYYY-MM-DD date.", name, cmp.Or(def.Type, "custom"))
		}
	}
	return warning, nil
}
