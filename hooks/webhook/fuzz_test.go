package webhook

import (
	"net/url"
	"testing"
)

// FuzzParse feeds arbitrary bodies through the same decoding the receiver
// uses: it must never panic, and an accepted delivery names a positive id.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"type=update&contact%5Bid%5D=42&contact%5Bemail%5D=ana%40example.com",
		"contact[id]=1&contact[fields][x]=y",
		"type=deal_add&deal[id]=3",
		"contact[id]=&contact[id]=2",
		"%zz",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		d, err := Parse(form)
		if err == nil && d.ContactID <= 0 {
			t.Fatalf("accepted %q with contact id %d", body, d.ContactID)
		}
	})
}
