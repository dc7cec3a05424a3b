package service

import (
	"context"
	"fmt"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/store"
)

// CountRuns counts the runs f selects on every page, for "1,204 runs
// match" beside a filtered list.
func (s *Service) CountRuns(ctx context.Context, f autocred.RunFilter) (int, error) {
	if err := s.checkRunOwner(ctx, f); err != nil {
		return 0, err
	}
	return s.store.CountRuns(ctx, f)
}

// checkRunOwner refuses a filter that names an automation that does not
// exist (404, where an empty list would say it has no runs); a filter
// that names none selects the runs of every automation.
func (s *Service) checkRunOwner(ctx context.Context, f autocred.RunFilter) error {
	if f.AutomationID == 0 {
		return nil
	}
	_, err := s.store.Automation(ctx, f.AutomationID)
	return err
}

// RunOwner is the automation a run belongs to, as a list of every
// automation's runs shows it beside the run.
type RunOwner struct {
	Name string
	// Archived: the automation is archived.
	Archived bool
	// RetryBlocked says why the automation refuses retries now, or ""
	// (autocred.Automation.RetryBlocked).
	RetryBlocked string
	// Pages links the run's contact to ActiveCampaign (ContactPages).
	Pages ContactPages
}

// RunOwners are the automations, archived ones included, by id, for a
// list of every automation's runs: two reads whatever the list holds.
func (s *Service) RunOwners(ctx context.Context) (map[int64]RunOwner, error) {
	autos, err := s.store.Automations(ctx, store.AutomationFilter{})
	if err != nil {
		return nil, fmt.Errorf("reading the automations: %w", err)
	}
	conns, err := s.store.Connections(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the connections: %w", err)
	}
	apiURLs := make(map[int64]string, len(conns))
	for _, c := range conns {
		apiURLs[c.ID] = c.APIURL
	}
	out := make(map[int64]RunOwner, len(autos))
	for _, a := range autos {
		// A trigger connection that is gone gives no links, as in
		// ContactPages.
		out[a.ID] = RunOwner{Name: a.Name, Archived: a.Status == autocred.AutomationArchived, RetryBlocked: a.RetryBlocked(), Pages: ContactPages{apiURL: apiURLs[a.Trigger.ConnectionID]}}
	}
	return out, nil
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

// RunsRemoved tells whether runs are gone from the lists of runs (pruned
// by the run retention, or deleted with a history): a search for a person
// that finds nothing says so (store.RunsRemoved).
func (s *Service) RunsRemoved(ctx context.Context) (bool, error) {
	return s.store.RunsRemoved(ctx)
}
