package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
)

// verdict is a run's outcome decided before any Certifier call: the status
// (skipped or failed) and the sentence the user reads, which says what to
// fix.
type verdict struct {
	status  autocred.RunStatus
	message string
}

// credentialFor renders the credential a run asks Certifier for, from the
// contact (with the field values the mapping uses) and the automation's
// mapping; today is the date of an issue date mapped to {{today}}. The
// recipient's email is rendered even when a verdict is given, so that the
// run shows what it was.
//
// Values are cleaned of hidden and control characters (autocred.CleanEmail,
// CleanName, CleanText: the rule is in clean.go); notes says, one sentence
// a value, what was removed, for the run's log.
//
// The verdict is non-nil when no credential can be made: skipped when the
// contact lacks what a credential needs (a valid email, a name: R7), or
// its email has a character that cannot be removed safely; failed when
// the mapping gives a value Certifier refuses (a date that is not
// YYYY-MM-DD, spec §3.2).
func credentialFor(c autocred.Contact, a autocred.Automation, m autocred.Mapping, today time.Time) (nc certifier.NewCredential, notes []string, v *verdict) {
	data := autocred.RenderData{Contact: c, Segment: a.Trigger.SegmentName, Automation: a.Name, Today: today}
	nc = certifier.NewCredential{GroupID: a.Action.GroupID}
	name, nameRemoved := autocred.CleanName(m.RecipientName.Render(data))
	nc.Recipient.Name = name
	rawEmail := m.RecipientEmail.Render(data)
	email, removed, err := autocred.CleanEmail(rawEmail)
	if err != nil {
		nc.Recipient.Email = strings.TrimSpace(rawEmail)
		return nc, nil, &verdict{autocred.RunSkipped, "Skipped: " + err.Error() + ". Fix the contact's email in ActiveCampaign, then retry this run."}
	}
	nc.Recipient.Email = email
	if n := autocred.DescribeRemovals("the email", slices.DeleteFunc(removed, func(r autocred.Removal) bool { return !r.Hidden() })); n != "" {
		notes = append(notes, n+" The credential goes to "+email+".")
	}
	if name == "" {
		msg := "Skipped: the recipient name mapping gives an empty name for this contact."
		if len(nameRemoved) > 0 {
			msg = "Skipped: the recipient name mapping gives an empty name for this contact once hidden and control characters are removed (" + autocred.ListRemovals(nameRemoved) + ")."
		}
		return nc, notes, &verdict{autocred.RunSkipped, msg + " Fill the contact's name in ActiveCampaign, or change the mapping, then retry this run."}
	}
	if n := autocred.DescribeRemovals("the recipient name", nameRemoved); n != "" {
		notes = append(notes, n)
	}
	for _, d := range []struct {
		field string
		tpl   autocred.Template
		dst   *string
	}{{"issue date", m.IssueDate, &nc.IssueDate}, {"expiry date", m.ExpiryDate, &nc.ExpiryDate}} {
		v := strings.TrimSpace(d.tpl.Render(data))
		if v != "" && !autocred.IsDate(v) {
			return nc, notes, &verdict{autocred.RunFailed, fmt.Sprintf("The %s mapping gives %q for this contact, and Certifier takes only YYYY-MM-DD dates. Fix the contact's field or the mapping, then retry this run.", d.field, v)}
		}
		*d.dst = v
	}
	for _, tag := range slices.Sorted(maps.Keys(m.CustomAttributes)) {
		v, removed := autocred.CleanText(m.CustomAttributes[tag].Render(data))
		if n := autocred.DescribeRemovals("the attribute "+tag, removed); n != "" {
			notes = append(notes, n)
		}
		if v != "" {
			if nc.CustomAttributes == nil {
				nc.CustomAttributes = map[string]string{}
			}
			nc.CustomAttributes[tag] = v
		}
	}
	return nc, notes, nil
}
