package engine

import (
	"fmt"
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
// The verdict is non-nil when no credential can be made: skipped when the
// contact lacks what a credential needs (a valid email, a name: R7),
// failed when the mapping gives a value Certifier refuses (a date that is
// not YYYY-MM-DD, spec §3.2).
func credentialFor(c autocred.Contact, a autocred.Automation, m autocred.Mapping, today time.Time) (certifier.NewCredential, *verdict) {
	data := autocred.RenderData{Contact: c, Segment: a.Trigger.SegmentName, Automation: a.Name, Today: today}
	nc := certifier.NewCredential{GroupID: a.Action.GroupID, Recipient: certifier.Recipient{
		Name:  strings.TrimSpace(m.RecipientName.Render(data)),
		Email: strings.TrimSpace(m.RecipientEmail.Render(data)),
	}}
	if err := autocred.CheckEmail(nc.Recipient.Email); err != nil {
		return nc, &verdict{autocred.RunSkipped, "Skipped: " + err.Error() + ". Fix the contact's email in ActiveCampaign, then retry this run."}
	}
	if nc.Recipient.Name == "" {
		return nc, &verdict{autocred.RunSkipped, "Skipped: the recipient name mapping gives an empty name for this contact. Fill the contact's name in ActiveCampaign, or change the mapping, then retry this run."}
	}
	for _, d := range []struct {
		field string
		tpl   autocred.Template
		dst   *string
	}{{"issue date", m.IssueDate, &nc.IssueDate}, {"expiry date", m.ExpiryDate, &nc.ExpiryDate}} {
		v := strings.TrimSpace(d.tpl.Render(data))
		if v != "" && !autocred.IsDate(v) {
			return nc, &verdict{autocred.RunFailed, fmt.Sprintf("The %s mapping gives %q for this contact, and Certifier takes only YYYY-MM-DD dates. Fix the contact's field or the mapping, then retry this run.", d.field, v)}
		}
		*d.dst = v
	}
	for tag, tpl := range m.CustomAttributes {
		if v := tpl.Render(data); v != "" {
			if nc.CustomAttributes == nil {
				nc.CustomAttributes = map[string]string{}
			}
			nc.CustomAttributes[tag] = v
		}
	}
	return nc, nil
}
