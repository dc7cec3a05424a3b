package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// TestOpenAPIActionHasEveryInput: the document is written by hand, so it
// is checked against autocred.InputDefs, the table the API's checks read:
// each input is a string property of Action under its JSON key, required
// exactly when a save requires it, with its default as an example, and an
// optional one says what empty means.
func TestOpenAPIActionHasEveryInput(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas struct {
				Action struct {
					Required   []string `json:"required"`
					Properties map[string]struct {
						Type        string   `json:"type"`
						Examples    []string `json:"examples"`
						Description string   `json:"description"`
					} `json:"properties"`
				} `json:"Action"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	action := doc.Components.Schemas.Action
	for _, d := range autocred.InputDefs() {
		p, ok := action.Properties[d.Key()]
		switch {
		case !ok || p.Type != "string":
			t.Errorf("Action has no string property %q (%s)", d.Key(), d.Field)
		case slices.Contains(action.Required, d.Key()) != d.Required:
			t.Errorf("%s: documented required %v, is required %v", d.Key(), !d.Required, d.Required)
		case d.Default != "" && !slices.Contains(p.Examples, d.Default):
			t.Errorf("%s: examples %q, want the default %q among them", d.Key(), p.Examples, d.Default)
		case !d.Required && !strings.HasPrefix(p.Description, "Empty ("+d.Empty+")"):
			t.Errorf("%s: description %q does not start by saying empty is %s", d.Key(), p.Description, d.Empty)
		}
	}
}
