package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/certifier"
)

// A new key for a connection (Change key, Reconnect) is checked with a
// live call like a first one, and more: it must reach the account the
// connection's automations use. A Certifier token of another workspace
// works, so the live call alone accepts it; then the next entrant's create
// is refused, autocred takes the group for deleted and pauses the
// automation, and the advice to choose another group would issue in the
// wrong workspace (issue 15, round 5, #3). So the new key is asked for
// each group (Certifier) or segment (ActiveCampaign) the automations use,
// and a key that cannot see one is refused with which, by name, and what
// to do. A group or segment that cannot be told now (an outage) refuses
// nothing: only "not there" does.

// unseen is a group or segment the connection's automations use that a new
// key cannot see, and who uses it.
type unseen struct {
	id, name string
	users    []autocred.Automation
}

// usedBy lists, in the order of their first use, the groups or segments
// that automations use (of gives one's id and name; an empty id leaves it
// out), each with the automations that use it.
func usedBy(automations []autocred.Automation, of func(autocred.Automation) (id, name string)) []unseen {
	var out []unseen
	for _, a := range automations {
		id, name := of(a)
		if id == "" {
			continue
		}
		if i := slices.IndexFunc(out, func(u unseen) bool { return u.id == id }); i >= 0 {
			out[i].users = append(out[i].users, a)
			continue
		}
		out = append(out, unseen{id: id, name: cmp.Or(name, id), users: []autocred.Automation{a}})
	}
	return out
}

// keySeesAutomations refuses a new key for connection id whose account
// cannot see the groups (Certifier) or segments (ActiveCampaign) its
// automations use. An automation paused because its group was deleted
// (GroupMissing) refuses nothing: its group may be gone for good, and the
// right key is how it comes back (resumeVisibleGroups).
func (s *Service) keySeesAutomations(ctx context.Context, id int64, n newAccount) error {
	u, err := s.ConnectionUse(ctx, id)
	if err != nil {
		return err
	}
	var missing []unseen
	switch n.conn.App {
	case autocred.AppCertifier:
		client, err := s.clients.NewCertifier(n.conn.APIURL, n.key)
		if err != nil {
			return autocred.FieldErrorf("access_token", "%s", err.Error())
		}
		groups := usedBy(u.Automations, func(a autocred.Automation) (string, string) {
			if a.Action.ConnectionID != id || a.GroupMissing() {
				return "", ""
			}
			return a.Action.GroupID, a.Action.GroupName
		})
		for _, g := range groups {
			if _, err := client.Group(ctx, g.id); errors.Is(err, certifier.ErrNotFound) {
				missing = append(missing, g)
			} else if err != nil {
				s.log.WarnContext(ctx, "checking that a new token sees a group: no answer, not refused", "connection", id, "group", g.id, "err", err)
			}
		}
		if len(missing) > 0 {
			return &autocred.Error{Code: autocred.ECONFLICT, Field: "access_token", Message: otherAccount(autocred.AppCertifier, missing)}
		}
	case autocred.AppActiveCampaign:
		segs := usedBy(u.Automations, func(a autocred.Automation) (string, string) {
			if a.Trigger.ConnectionID != id {
				return "", ""
			}
			return a.Trigger.SegmentID, a.Trigger.SegmentName
		})
		if len(segs) == 0 {
			return nil
		}
		client, err := s.clients.NewActiveCampaign(n.conn.APIURL, n.key)
		if err != nil {
			return autocred.FieldErrorf("api_url", "%s", err.Error())
		}
		visible, err := client.Segments(ctx)
		if err != nil {
			s.log.WarnContext(ctx, "checking that a new key sees the segments: no answer, not refused", "connection", id, "err", err)
			return nil
		}
		for _, seg := range segs {
			if !slices.ContainsFunc(visible, func(v activecampaign.Segment) bool { return v.ID == seg.id }) {
				missing = append(missing, seg)
			}
		}
		slices.SortFunc(missing, func(a, b unseen) int { return strings.Compare(a.name, b.name) })
		if len(missing) > 0 {
			return &autocred.Error{Code: autocred.ECONFLICT, Field: "api_key", Message: otherAccount(autocred.AppActiveCampaign, missing)}
		}
	}
	return nil
}

// otherAccount says that a new key cannot see what the automations use,
// which, that it seems to be another account's, and what to do.
func otherAccount(app autocred.App, missing []unseen) string {
	var what []string
	var users []autocred.Automation
	for _, m := range missing {
		what = append(what, "'"+m.name+"'")
		for _, a := range m.users {
			if !slices.ContainsFunc(users, func(b autocred.Automation) bool { return b.ID == a.ID }) {
				users = append(users, a)
			}
		}
	}
	by, list := names(users), autocred.AndList(what)
	if app == autocred.AppCertifier {
		return fmt.Sprintf("This token cannot see the %s %s that %s %s from: it seems to belong to another Certifier workspace, so the key was not changed. "+
			"In Certifier, open the workspace that holds %s, create a token there (Settings → Developers → Access Tokens) and paste it here. "+
			"If you deleted %s in Certifier, choose another group under Edit on %s first.",
			plural(len(missing), "group", "groups"), list, by, plural(len(users), "issues", "issue"), plural(len(missing), "this group", "these groups"),
			plural(len(missing), "it", "them"), plural(len(users), "that automation", "those automations"))
	}
	return fmt.Sprintf("This API key cannot see the %s %s that %s %s: it seems to belong to another ActiveCampaign account, so the key was not changed. "+
		"Copy the key of the account that holds %s (Settings → Developer → API Access), check that the API URL is that account's, and paste it here.",
		plural(len(missing), "segment", "segments"), list, by, plural(len(users), "watches", "watch"), plural(len(missing), "this segment", "these segments"))
}

// resumeVisibleGroups resumes, after connection id got a new key, its
// automations that autocred paused because their group seemed deleted and
// that the key sees now: the group was not deleted, the old key reached
// another workspace (or the group was restored). They resume on their
// ledger, as an edit to another group does: whoever entered meanwhile gets
// a credential, and the runs that waited for the group are issued. It
// returns how many it resumed; a failure is logged, since the automation
// says what to do (resuming re-checks the group too).
func (s *Service) resumeVisibleGroups(ctx context.Context, id int64) int {
	u, err := s.ConnectionUse(ctx, id)
	if err != nil {
		s.log.WarnContext(ctx, "re-checking groups after a new key", "connection", id, "err", err)
		return 0
	}
	n := 0
	for _, a := range u.Automations {
		if a.Action.ConnectionID != id || !a.GroupMissing() || !s.groupVisible(ctx, a) {
			continue
		}
		if err := s.resume(ctx, a.ID, true); err != nil {
			s.log.WarnContext(ctx, "resuming an automation whose group is visible again", "automation", a.ID, "err", err)
			continue
		}
		s.log.InfoContext(ctx, "automation resumed: its group is visible again", "automation", a.ID, "group", a.Action.GroupID)
		n++
	}
	return n
}

// groupVisible tells whether the automation's group exists in its
// Certifier connection's workspace now, as the stored key sees it. Only
// an answer says so: no answer is false.
func (s *Service) groupVisible(ctx context.Context, a autocred.Automation) bool {
	client, err := s.clients.Certifier(ctx, s.store, a.Action.ConnectionID)
	if err != nil {
		return false
	}
	_, err = client.Group(ctx, a.Action.GroupID)
	return err == nil
}

// plural is one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
