package e2e

import (
	"testing"

	simcert "github.com/autocred/autocred/sim/certifier"
)

// The agency benchmark's check counts each automation's credentials: on a
// segment two automations watch, one automation issuing twice and the
// other none is a duplicate and a lost entry, not the two credentials the
// contact is owed.
func TestAgencyCheckCountsEachAutomation(t *testing.T) {
	accts := []*agencyAccount{{name: "agency000", watches: []int{0, 0}}}
	const email = "trickle0@agency000.example.com"
	entries := map[string]agencyEntry{email: {account: 0, segment: 0, want: 2}}
	all := func(agencyEntry) bool { return true }
	cred := func(auto string) simcert.Credential {
		return simcert.Credential{Recipient: simcert.Recipient{Name: "Trickle 0 (" + auto + ")", Email: email}}
	}
	right := countAgencyCredentials([]simcert.Credential{cred("agency000 0"), cred("agency000 1")}).judge(accts, entries, all, 0, false)
	if len(right.wrong) > 0 || right.lost > 0 {
		t.Errorf("one credential from each automation: wrong %q, lost %d; want none", right.wrong, right.lost)
	}
	twice := countAgencyCredentials([]simcert.Credential{cred("agency000 0"), cred("agency000 0")}).judge(accts, entries, all, 0, false)
	if len(twice.wrong) != 1 || twice.lost != 1 {
		t.Errorf("two credentials from one automation, none from the other: wrong %q, lost %d; want one duplicate and one lost entry", twice.wrong, twice.lost)
	}
	burstEmail := "burst3@agency000.example.com"
	burst := countAgencyCredentials([]simcert.Credential{
		{Recipient: simcert.Recipient{Name: "Burst 3 (agency000 1)", Email: burstEmail}},
		{Recipient: simcert.Recipient{Name: "Burst 3 (agency000 1)", Email: burstEmail}},
	}).judge(accts, entries, func(agencyEntry) bool { return false }, 1, true)
	if len(burst.wrong) != 1 || burst.burstMissing != 1 {
		t.Errorf("a burst contact with two credentials from one automation, none from the other: wrong %q, burst missing %d; want one duplicate and one missing", burst.wrong, burst.burstMissing)
	}
}
