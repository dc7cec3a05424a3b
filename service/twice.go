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

// twins lists the other automations that issue from a's group to a's
// segment. Archived ones issue nothing and are left out; so are drafts
// when activating (countDrafts false): a draft issues nothing until it is
// activated, and activating it asks in turn. When saving, drafts count:
// they are made to be activated.
func (s *Service) twins(ctx context.Context, a autocred.Automation, countDrafts bool) ([]autocred.Automation, error) {
	out, err := s.store.Twins(ctx, a, countDrafts)
	if err != nil {
		return nil, fmt.Errorf("finding automations on the same segment and group: %w", err)
	}
	return out, nil
}

// refuseTwin is the check the store makes, in the transaction that saves,
// activates, resumes or restores an automation, against the automations
// that already issue from its group to its segment (store.TwinCheck): it
// refuses unless the user confirmed that two credentials per entry is
// what they want (allow; then there is no check at all). The error names
// the others, says what would happen, and how to go on either way.
func refuseTwin(allow bool) store.TwinCheck {
	if allow {
		return nil
	}
	return twinError
}

func twinError(a autocred.Automation, others []autocred.Automation) error {
	if a.Trigger.SegmentID == "" || a.Action.GroupID == "" || len(others) == 0 {
		return nil
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
