package web

import (
	"net/url"
	"testing"

	"github.com/autocred/autocred"
)

// TestFormHasEveryMappingInput: each input of autocred.InputDefs is read
// from the form under its name, starts a new form with its default, takes
// its errors beside it, and is named by its label in a message shown away
// from it.
func TestFormHasEveryMappingInput(t *testing.T) {
	fresh := newAutomationInput()
	for _, d := range autocred.InputDefs() {
		in := parseAutomationInput(url.Values{d.Field: {"{{contact.id}}"}})
		if got := d.Get(in.Action); got != "{{contact.id}}" {
			t.Errorf("%s: the form reads %q", d.Field, got)
		}
		if got := d.Get(fresh.Action); got != d.Default {
			t.Errorf("%s: a new form starts with %q, want %q", d.Field, got, d.Default)
		}
		if !isAutomationInput(d.Field) {
			t.Errorf("%s: an error on it is not shown beside it", d.Field)
		}
		if got := fieldLabel(d.Field); got != d.Label {
			t.Errorf("%s: labelled %q, want %q", d.Field, got, d.Label)
		}
	}
	f := automationForm{In: fresh}
	var names []string
	for _, dates := range []bool{false, true} {
		for _, m := range f.MappingInputs(dates) {
			names = append(names, m.Name)
		}
	}
	if len(names) != len(autocred.InputDefs()) {
		t.Errorf("the form shows %v", names)
	}
}
