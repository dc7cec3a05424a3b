package service

import (
	"strings"
	"testing"

	"github.com/autocred/autocred"
)

// A connection in use is named, with its automations by name and the
// advice that Edit can follow: another Certifier connection can be chosen
// for any automation, another ActiveCampaign one only for a draft.
func TestConnectionUseMessage(t *testing.T) {
	cert := autocred.Connection{ID: 7, App: autocred.AppCertifier, Name: "Acme Certifier"}
	ac := autocred.Connection{ID: 3, App: autocred.AppActiveCampaign, Name: "Acme AC"}
	auto := func(name string, s autocred.AutomationStatus) autocred.Automation {
		return autocred.Automation{Name: name, Status: s}
	}
	abc := []autocred.Automation{auto("A", autocred.AutomationActive), auto("B", autocred.AutomationPaused), auto("C", autocred.AutomationDraft)}
	for _, tc := range []struct {
		name    string
		use     ConnectionUse
		says    []string
		notSays []string
	}{
		{"nothing", ConnectionUse{Connection: cert}, nil, nil},
		{"certifier, three", ConnectionUse{Connection: cert, Automations: abc},
			[]string{`Acme Certifier is used by 3 automations: "A", "B" and "C".`, "choose another Certifier connection (another workspace) for each under Edit", "deleted for good"},
			[]string{"connection 7", "point them"}},
		{"activecampaign, activated", ConnectionUse{Connection: ac, Automations: abc[:1]},
			[]string{`Acme AC is used by 1 automation: "A".`, "Delete them first", "cannot change"},
			[]string{"under Edit"}},
		{"activecampaign, drafts", ConnectionUse{Connection: ac, Automations: abc[2:]},
			[]string{"choose another ActiveCampaign connection for each under Edit"}, nil},
		{"archived", ConnectionUse{Connection: ac, Archived: []autocred.Automation{auto("Old", autocred.AutomationArchived)}},
			[]string{`Acme AC is kept by 1 archived automation: "Old".`, "delete its history, then delete it for good"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.use.Message()
			if (got != "") != tc.use.InUse() {
				t.Errorf("InUse %v, message %q", tc.use.InUse(), got)
			}
			for _, s := range tc.says {
				if !strings.Contains(got, s) {
					t.Errorf("%q\ndoes not say %q", got, s)
				}
			}
			for _, s := range tc.notSays {
				if strings.Contains(got, s) {
					t.Errorf("%q\nsays %q", got, s)
				}
			}
		})
	}
}
