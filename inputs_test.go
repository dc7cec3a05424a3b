package autocred

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestInputDefsNameActionJSON: each input's name is "action." and the key
// its template has in an Action's JSON, which is what the API reads and
// what errors name: a row that points at another field, or a JSON tag
// renamed without the row, fails here.
func TestInputDefsNameActionJSON(t *testing.T) {
	for _, d := range InputDefs() {
		var a Action
		d.Set(&a, "{{contact.id}} "+d.Key())
		if got := d.Get(a); got != "{{contact.id}} "+d.Key() {
			t.Errorf("%s: Get after Set = %q", d.Field, got)
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var keys map[string]any
		if err := json.Unmarshal(b, &keys); err != nil {
			t.Fatal(err)
		}
		for k, v := range keys {
			if set := v == "{{contact.id}} "+d.Key(); set != (k == d.Key()) {
				t.Errorf("%s: Set writes JSON key %q (set %v); want %q", d.Field, k, set, d.Key())
			}
		}
	}
}

// TestInputDefsDescribeTheForm: the inputs come in the form's order, each
// with a label, and each optional one says what empty means.
func TestInputDefsDescribeTheForm(t *testing.T) {
	var fields []string
	for _, d := range InputDefs() {
		fields = append(fields, d.Field)
		if d.Label == "" || d.Certifier == "" {
			t.Errorf("%s has no label or no Certifier field: %+v", d.Field, d)
		}
		if !d.Required && d.Empty == "" {
			t.Errorf("%s is optional and does not say what empty gives", d.Field)
		}
		if d.IsDate() && !strings.Contains(d.Hint(), "YYYY-MM-DD") {
			t.Errorf("%s: hint %q does not give the date format", d.Field, d.Hint())
		}
	}
	want := []string{InputRecipientName, InputRecipientEmail, InputIssueDate, InputExpiryDate}
	if !slices.Equal(fields, want) {
		t.Errorf("inputs %v, want %v", fields, want)
	}
	if _, ok := InputDefFor(attributePrefix + "custom.course"); ok {
		t.Errorf("a custom attribute has a row")
	}
	inputs, _, _ := ParseInputs(Action{CustomAttributes: map[string]string{"custom.b": "", "custom.a": ""}})
	var got []string
	for _, in := range inputs {
		got = append(got, in.Field)
	}
	if want := append(want, attributePrefix+"custom.a", attributePrefix+"custom.b"); !slices.Equal(got, want) {
		t.Errorf("ParseInputs gives %v, want %v", got, want)
	}
}

// TestInputDefsRequired: the defaults make a mapping a save accepts;
// emptying a required input refuses the save on that input with its
// default as the example, and emptying an optional one does not.
func TestInputDefsRequired(t *testing.T) {
	var full Action
	for _, d := range InputDefs() {
		d.Set(&full, d.Default)
	}
	if _, err := ParseMapping(full); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	for _, d := range InputDefs() {
		a := full
		d.Set(&a, "  ")
		_, err := ParseMapping(a)
		var e *Error
		switch {
		case d.Required && (!errors.As(err, &e) || e.Field != d.Field || e.Message != "is required, e.g. "+d.Default):
			t.Errorf("%s empty: %v; want it required, e.g. %s", d.Field, err, d.Default)
		case !d.Required && err != nil:
			t.Errorf("%s empty: %v; want it accepted", d.Field, err)
		}
	}
}
