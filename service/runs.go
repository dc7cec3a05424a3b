package service

import (
	"context"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
)

// CountRuns counts the runs f selects on every page, for "1,204 runs
// match" beside a filtered list.
func (s *Service) CountRuns(ctx context.Context, f autocred.RunFilter) (int, error) {
	if _, err := s.store.Automation(ctx, f.AutomationID); err != nil {
		return 0, err
	}
	return s.store.CountRuns(ctx, f)
}

// ContactPages links the contacts of one ActiveCampaign account to their
// pages in ActiveCampaign's app.
type ContactPages struct{ apiURL string }

// URL is the address of a contact's page, or "" when the account's API
// URL does not tell it for sure (see activecampaign.ContactPage): then
// the contact id is shown without a link.
func (p ContactPages) URL(contactID autocred.ContactID) string {
	return activecampaign.ContactPage(p.apiURL, contactID)
}

// ContactPages links the contacts of an automation's runs to
// ActiveCampaign: those of its trigger's connection. A connection that is
// gone gives no links, not an error: the runs stay readable.
func (s *Service) ContactPages(ctx context.Context, automationID int64) (ContactPages, error) {
	a, err := s.store.Automation(ctx, automationID)
	if err != nil {
		return ContactPages{}, err
	}
	c, err := s.store.Connection(ctx, a.Trigger.ConnectionID)
	if autocred.ErrorCode(err) == autocred.ENOTFOUND {
		return ContactPages{}, nil
	}
	if err != nil {
		return ContactPages{}, err
	}
	return ContactPages{apiURL: c.APIURL}, nil
}
