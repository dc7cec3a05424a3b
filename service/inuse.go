package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store"
)

// ConnectionUse is who keeps a connection from being removed: the
// automations that use it, and the archived ones, which keep their
// connection with their history until they are deleted for good.
type ConnectionUse struct {
	Connection  autocred.Connection
	Automations []autocred.Automation
	Archived    []autocred.Automation
}

// InUse tells whether anything keeps the connection.
func (u ConnectionUse) InUse() bool { return len(u.Automations)+len(u.Archived) > 0 }

// Message says, in plain words, who uses the connection and what to do
// first; "" when nothing does. What Edit can change decides the advice:
// an automation's Certifier connection can change under Edit (to another
// workspace: one workspace is connected once), its ActiveCampaign one only
// while it is a draft (an activated automation keeps its segment).
func (u ConnectionUse) Message() string {
	var b strings.Builder
	if n := len(u.Automations); n > 0 {
		fmt.Fprintf(&b, "%s is used by %s: %s. ", u.Connection.Name, countAutomations(n), names(u.Automations))
		switch {
		case u.Connection.App == autocred.AppCertifier:
			b.WriteString("Delete them, or choose another Certifier connection (another workspace) for each under Edit, first.")
		case allDrafts(u.Automations):
			b.WriteString("Delete them, or choose another ActiveCampaign connection for each under Edit, first.")
		default:
			b.WriteString("Delete them first: an automation that has been activated keeps its segment, so its ActiveCampaign connection cannot change.")
		}
		if len(u.Archived) == 0 {
			b.WriteString(" Deleting one archives it, and an archived automation keeps its connection until it is deleted for good.")
		}
	}
	if n := len(u.Archived); n > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s is kept by %s: %s. An archived automation keeps its history and its connection: delete its history, then delete it for good (Archived automations), first.",
			u.Connection.Name, countArchived(n), names(u.Archived))
	}
	return b.String()
}

func countAutomations(n int) string {
	if n == 1 {
		return "1 automation"
	}
	return autocred.Thousands(n) + " automations"
}

func countArchived(n int) string {
	if n == 1 {
		return "1 archived automation"
	}
	return autocred.Thousands(n) + " archived automations"
}

// names lists automations' names in quotes: "A", "B" and "C".
func names(as []autocred.Automation) string {
	q := make([]string, len(as))
	for i, a := range as {
		q[i] = fmt.Sprintf("%q", a.Name)
	}
	return autocred.AndList(q)
}

func allDrafts(as []autocred.Automation) bool {
	for _, a := range as {
		if !a.Status.Draft() {
			return false
		}
	}
	return true
}

// ConnectionUse lists who keeps the connection id from being removed.
func (s *Service) ConnectionUse(ctx context.Context, id int64) (ConnectionUse, error) {
	c, err := s.store.Connection(ctx, id)
	if err != nil {
		return ConnectionUse{}, err
	}
	all, err := s.store.Automations(ctx, store.AutomationFilter{})
	if err != nil {
		return ConnectionUse{}, fmt.Errorf("listing the automations that use connection %d: %w", id, err)
	}
	u := ConnectionUse{Connection: c}
	for _, a := range all {
		if a.Trigger.ConnectionID != id && a.Action.ConnectionID != id {
			continue
		}
		if a.Status == autocred.AutomationArchived {
			u.Archived = append(u.Archived, a)
		} else {
			u.Automations = append(u.Automations, a)
		}
	}
	return u, nil
}
