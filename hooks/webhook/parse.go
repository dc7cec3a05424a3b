// Package webhook reads an ActiveCampaign webhook delivery, for the
// receiver in package hooks.
//
// It is apart from hooks so that its fuzz target (FuzzParse) builds without
// the store: hooks' tests run the real engine (internal/testenv), and so the
// store, PostgreSQL's driver and modernc.org/sqlite, and go test -fuzz
// instruments every package the test binary depends on for coverage, which
// for those took minutes of CPU on a cold build cache (scripts/test has the
// numbers). Keep it so: this package and its tests import nothing of
// autocred but the root package.
package webhook

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/autocred/autocred"
)

// Delivery is what autocred reads of a webhook delivery.
type Delivery struct {
	Type      string // the event: update, contact_tag_added, …
	Source    string // initiated_from: public, admin, api, system
	ContactID autocred.ContactID
}

// Parse reads a form-encoded delivery, whose keys are PHP-style bracketed
// strings ("contact[id]"). Only the contact matters: the delivery says that
// something about it changed, and the engine checks what.
func Parse(form url.Values) (Delivery, error) {
	// The event names reach the logs only, but a delivery is outside
	// data like any other: made storable (autocred.Storable) here, once.
	d := Delivery{Type: autocred.Storable(strings.TrimSpace(form.Get("type"))), Source: autocred.Storable(strings.TrimSpace(form.Get("initiated_from")))}
	raw := strings.TrimSpace(form.Get("contact[id]"))
	if raw == "" {
		return d, fmt.Errorf("no contact[id] (event %q): not about a contact", d.Type)
	}
	id, err := autocred.ParseContactID(raw)
	if err != nil || id <= 0 {
		return d, fmt.Errorf("contact[id] %q is not a contact id", raw)
	}
	d.ContactID = id
	return d, nil
}
