package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store"
)

// AllowDuplicateField is the input that confirms a second automation on
// the same segment and group (AutomationInput.AllowDuplicate, the API's
// allow_duplicate): the error that asks for it names it, so that the form
// shows it beside its checkbox.
const AllowDuplicateField = "allow_duplicate"

// sameEntries tells whether two automations issue from the same Certifier
// group to the contacts entering the same segment: each would give every
// new member a credential of its own. (An account can be connected once,
// so the same connection ids are the same accounts.)
func sameEntries(a, b autocred.Automation) bool {
	return a.Trigger.ConnectionID == b.Trigger.ConnectionID && a.Trigger.SegmentID == b.Trigger.SegmentID &&
		a.Action.ConnectionID == b.Action.ConnectionID && a.Action.GroupID == b.Action.GroupID
}

// twins lists the other automations that issue from a's group to a's
// segment. Archived ones issue nothing and are left out; so are drafts
// when activating (countDrafts false): a draft issues nothing until it is
// activated, and activating it asks in turn. When saving, drafts count:
// they are made to be activated.
func (s *Service) twins(ctx context.Context, a autocred.Automation, countDrafts bool) ([]autocred.Automation, error) {
	all, err := s.store.Automations(ctx, store.AutomationFilter{})
	if err != nil {
		return nil, fmt.Errorf("listing automations to find one on the same segment and group: %w", err)
	}
	var out []autocred.Automation
	for _, o := range all {
		if o.ID == a.ID || o.Status == autocred.AutomationArchived || (!countDrafts && o.Status.Draft()) {
			continue
		}
		if sameEntries(a, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// refuseTwin refuses a (being saved, or activated) when another automation
// already issues from its group to its segment, unless the user confirmed
// that two credentials per entry is what they want (allow). The error
// names the others, says what would happen, and how to go on either way.
func (s *Service) refuseTwin(ctx context.Context, a autocred.Automation, countDrafts, allow bool) error {
	if allow || a.Trigger.SegmentID == "" || a.Action.GroupID == "" {
		return nil
	}
	others, err := s.twins(ctx, a, countDrafts)
	if err != nil || len(others) == 0 {
		return err
	}
	names := make([]string, len(others))
	for i, o := range others {
		names[i] = fmt.Sprintf("%q", o.Name)
	}
	who := "The automation " + names[0] + " already issues"
	if len(others) > 1 {
		who = "The automations " + strings.Join(names, ", ") + " already issue"
	}
	return &autocred.Error{Code: autocred.ECONFLICT, Field: AllowDuplicateField, Message: fmt.Sprintf(
		"%s from the group '%s' to the contacts who enter the segment '%s': with this one too, every contact who enters would get two credentials. Choose another segment or group, or confirm that you want two credentials per entry.",
		who, groupLabel(a), segmentLabel(a))}
}

func groupLabel(a autocred.Automation) string {
	if a.Action.GroupName != "" {
		return a.Action.GroupName
	}
	return a.Action.GroupID
}

func segmentLabel(a autocred.Automation) string {
	if a.Trigger.SegmentName != "" {
		return a.Trigger.SegmentName
	}
	return a.Trigger.SegmentID
}

// Twins lists the automations, not archived and not drafts, that issue
// from the group of the automation id to its segment: activating,
// resuming or restoring it asks to confirm two credentials per entry, and
// its page says so before anyone presses the button.
func (s *Service) Twins(ctx context.Context, id int64) ([]autocred.Automation, error) {
	a, err := s.store.Automation(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Trigger.SegmentID == "" || a.Action.GroupID == "" {
		return nil, nil
	}
	return s.twins(ctx, a, false)
}
