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
	name  string
	users []autocred.Automation
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
		byGroup := map[string]*unseen{}
		var order []string
		for _, a := range u.Automations {
			if a.Action.ConnectionID != id || a.Action.GroupID == "" || a.GroupMissing() {
				continue
			}
			if g, ok := byGroup[a.Action.GroupID]; ok {
				g.users = append(g.users, a)
				continue
			}
			byGroup[a.Action.GroupID] = &unseen{name: cmp.Or(a.Action.GroupName, a.Action.GroupID), users: []autocred.Automation{a}}
			order = append(order, a.Action.GroupID)
		}
		for _, gid := range order {
			if _, err := client.Group(ctx, gid); errors.Is(err, certifier.ErrNotFound) {
				missing = append(missing, *byGroup[gid])
			} else if err != nil {
				s.log.WarnContext(ctx, "checking that a new token sees a group: no answer, not refused", "connection", id, "group", gid, "err", err)
			}
		}
		if len(missing) > 0 {
			return &autocred.Error{Code: autocred.ECONFLICT, Field: "access_token", Message: otherAccount(autocred.AppCertifier, missing)}
		}
	case autocred.AppActiveCampaign:
		var segs []unseen
		idx := map[string]int{}
		for _, a := range u.Automations {
			if a.Trigger.ConnectionID != id || a.Trigger.SegmentID == "" {
				continue
			}
			if i, ok := idx[a.Trigger.SegmentID]; ok {
				segs[i].users = append(segs[i].users, a)
				continue
			}
			idx[a.Trigger.SegmentID] = len(segs)
			segs = append(segs, unseen{name: cmp.Or(a.Trigger.SegmentName, a.Trigger.SegmentID), users: []autocred.Automation{a}})
		}
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
		for sid, i := range idx {
			if !slices.ContainsFunc(visible, func(v activecampaign.Segment) bool { return v.ID == sid }) {
				missing = append(missing, segs[i])
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
	var what, by []string
	var users []autocred.Automation
	for _, m := range missing {
		what = append(what, "'"+m.name+"'")
		for _, a := range m.users {
			if !slices.ContainsFunc(users, func(b autocred.Automation) bool { return b.ID == a.ID }) {
				users = append(users, a)
			}
		}
	}
	by = append(by, names(users))
	list := andList(what)
	if app == autocred.AppCertifier {
		return fmt.Sprintf("This token cannot see the %s %s that %s %s from: it seems to belong to another Certifier workspace, so the key was not changed. "+
			"In Certifier, open the workspace that holds %s, create a token there (Settings → Developers → Access Tokens) and paste it here. "+
			"If you deleted %s in Certifier, choose another group under Edit on %s first.",
			plural(len(missing), "group", "groups"), list, by[0], plural(len(users), "issues", "issue"), plural(len(missing), "this group", "these groups"),
			plural(len(missing), "it", "them"), plural(len(users), "that automation", "those automations"))
	}
	return fmt.Sprintf("This API key cannot see the %s %s that %s %s: it seems to belong to another ActiveCampaign account, so the key was not changed. "+
		"Copy the key of the account that holds %s (Settings → Developer → API Access), check that the API URL is that account's, and paste it here.",
		plural(len(missing), "segment", "segments"), list, by[0], plural(len(users), "watches", "watch"), plural(len(missing), "this segment", "these segments"))
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

func andList(q []string) string {
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// plural is one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
