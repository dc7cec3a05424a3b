package activecampaign

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Condition is one rule of a segment.
//
//	type "tag":     op has | has_not; value = tag name
//	type "field":   field = perstag; op equals | not_equals | contains | not_contains | starts_with | empty | not_empty
//	type "list":    value = list name; op subscribed | unsubscribed | not_subscribed
//	type "created": op before | after; value YYYY-MM-DD in the account's time zone
//	type "email":   op valid | invalid | empty | not_empty
//
// Text comparisons ignore case, as the app's segment builder does.
type Condition struct {
	Type  string `json:"type"`
	Op    string `json:"op"`
	Field string `json:"field,omitempty"`
	Value string `json:"value,omitempty"`
}

// SegmentDef defines a segment: conditions joined by logic "and" (default)
// or "or". Legacy segments get a numeric id as well as a UUID.
//
// Where a segment is listed: GET /audiences lists the saved segments by
// UUID, and a legacy segment with Audience by its numeric id (Pipedream's
// test event for its /audiences-based source carries segment id "1", spec
// §7 "Audience ids"); GET /segments lists every legacy segment, Hidden ones
// with hidden "1" (Pipedream PR #18896: it returns "only legacy/hidden
// segments").
type SegmentDef struct {
	Name   string `json:"name"`
	Legacy bool   `json:"legacy,omitempty"`
	// Hidden (legacy only) marks a segment the app keeps for itself, such
	// as an automation's condition: /segments lists it with hidden "1",
	// /audiences never does.
	Hidden bool `json:"hidden,omitempty"`
	// Audience (legacy only) lists the segment on /audiences as well,
	// under its numeric id.
	Audience   bool        `json:"audience,omitempty"`
	Logic      string      `json:"logic,omitempty"`
	Conditions []Condition `json:"conditions"`
}

var conditionOps = map[string][]string{
	"tag":     {"has", "has_not"},
	"field":   {"equals", "not_equals", "contains", "not_contains", "starts_with", "empty", "not_empty"},
	"list":    {"subscribed", "unsubscribed", "not_subscribed"},
	"created": {"before", "after"},
	"email":   {"valid", "invalid", "empty", "not_empty"},
}

// normalize validates a definition and fills its defaults.
func (d SegmentDef) normalize() (SegmentDef, error) {
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" {
		return d, errors.New("segment name is required")
	}
	d.Logic = strings.ToLower(strings.TrimSpace(d.Logic))
	if d.Logic == "" {
		d.Logic = "and"
	}
	if d.Logic != "and" && d.Logic != "or" {
		return d, fmt.Errorf("segment %q: logic must be \"and\" or \"or\", got %q", d.Name, d.Logic)
	}
	if len(d.Conditions) == 0 {
		return d, fmt.Errorf("segment %q: at least one condition is required", d.Name)
	}
	if (d.Hidden || d.Audience) && !d.Legacy {
		return d, fmt.Errorf("segment %q: hidden and audience apply to legacy segments only", d.Name)
	}
	if d.Hidden && d.Audience {
		return d, fmt.Errorf("segment %q: a hidden segment is not listed on /audiences", d.Name)
	}
	conds := make([]Condition, len(d.Conditions))
	for i, c := range d.Conditions {
		c.Type, c.Op = strings.ToLower(strings.TrimSpace(c.Type)), strings.ToLower(strings.TrimSpace(c.Op))
		if err := c.validate(); err != nil {
			return d, fmt.Errorf("segment %q: condition %d: %w", d.Name, i+1, err)
		}
		conds[i] = c
	}
	d.Conditions = conds
	return d, nil
}

func (c Condition) validate() error {
	ops, ok := conditionOps[c.Type]
	if !ok {
		return fmt.Errorf("unknown type %q (use tag, field, list, created or email)", c.Type)
	}
	found := false
	for _, op := range ops {
		found = found || op == c.Op
	}
	if !found {
		return fmt.Errorf("type %s: unknown op %q (use %s)", c.Type, c.Op, strings.Join(ops, ", "))
	}
	switch c.Type {
	case "tag", "list":
		if strings.TrimSpace(c.Value) == "" {
			return fmt.Errorf("type %s: value (the %s name) is required", c.Type, c.Type)
		}
	case "field":
		if strings.TrimSpace(c.Field) == "" {
			return errors.New("type field: field (the perstag, e.g. COURSE_COMPLETED) is required")
		}
		if c.Op != "empty" && c.Op != "not_empty" && c.Value == "" {
			return fmt.Errorf("type field: op %s needs a value", c.Op)
		}
	case "created":
		if _, err := time.Parse(time.DateOnly, c.Value); err != nil {
			return fmt.Errorf("type created: value must be a date YYYY-MM-DD, got %q", c.Value)
		}
	}
	return nil
}

// predicate tells whether a live contact matches.
type predicate func(c *contact) bool

// compile turns a definition into a predicate over the account's current
// names: a tag, field or list that does not exist (yet) matches nobody with
// "has"/"equals"/"subscribed" and everybody with the negative ops, so a
// segment defined before its tag exists starts matching once it is used.
// Callers hold a.mu (read).
func (a *account) compile(d SegmentDef) predicate {
	preds := make([]predicate, len(d.Conditions))
	for i, c := range d.Conditions {
		preds[i] = a.compileCondition(c)
	}
	if d.Logic == "or" {
		return func(c *contact) bool {
			for _, p := range preds {
				if p(c) {
					return true
				}
			}
			return false
		}
	}
	return func(c *contact) bool {
		for _, p := range preds {
			if !p(c) {
				return false
			}
		}
		return true
	}
}

func (a *account) compileCondition(cond Condition) predicate {
	switch cond.Type {
	case "tag":
		id, ok := a.tagByName[lower(cond.Value)]
		has := cond.Op == "has"
		return func(c *contact) bool { return (ok && c.hasTag(id)) == has }
	case "field":
		id := a.fieldByTag[strings.ToUpper(strings.TrimSpace(cond.Field))]
		want := lower(cond.Value)
		return func(c *contact) bool {
			v, _ := c.fieldValue(id) // id 0 (no such field) finds nothing
			v = strings.ToLower(v)
			switch cond.Op {
			case "equals":
				return v == want
			case "not_equals":
				return v != want
			case "contains":
				return strings.Contains(v, want)
			case "not_contains":
				return !strings.Contains(v, want)
			case "starts_with":
				return strings.HasPrefix(v, want)
			case "empty":
				return strings.TrimSpace(v) == ""
			default: // not_empty
				return strings.TrimSpace(v) != ""
			}
		}
	case "list":
		id := a.listByName[lower(cond.Value)]
		return func(c *contact) bool {
			st := c.listStatus(id)
			switch cond.Op {
			case "subscribed":
				return st == 1
			case "unsubscribed":
				return st == 2
			default: // not_subscribed
				return st != 1
			}
		}
	case "created":
		day, _ := time.ParseInLocation(time.DateOnly, cond.Value, a.loc)
		if cond.Op == "before" {
			bound := day.UnixNano()
			return func(c *contact) bool { return c.cdate < bound }
		}
		bound := day.AddDate(0, 0, 1).UnixNano() // after the whole day
		return func(c *contact) bool { return c.cdate >= bound }
	default: // email
		return func(c *contact) bool {
			switch cond.Op {
			case "valid":
				return validEmail(c.email)
			case "invalid":
				return !validEmail(c.email)
			case "empty":
				return strings.TrimSpace(c.email) == ""
			default: // not_empty
				return strings.TrimSpace(c.email) != ""
			}
		}
	}
}

// members evaluates a segment over every live contact, in id order.
// Callers hold a.mu (read).
func (a *account) members(d SegmentDef) []int32 {
	match := a.compile(d)
	var ids []int32
	for i := range a.contacts {
		if c := &a.contacts[i]; !c.deleted && match(c) {
			ids = append(ids, int32(i+1))
		}
	}
	return ids
}
