package web

import (
	"cmp"
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/certifier"
	"github.com/autocred/autocred/service"
)

// automationForm is the guided form: step 1 the trigger, step 2 the action.
// Its inputs are named as the service names fields in its errors
// ("action.expiry_date"), so that an error finds its input by name.
type automationForm struct {
	ID     int64  // 0 for a new automation
	Post   string // where the form is submitted
	Reload string // where "Load" re-renders it (GET) after a connection changes
	Step   string // "trigger" or "action": the step shown first
	Status autocred.AutomationStatus
	In     service.AutomationInput

	ACConnections, CertifierConnections []autocred.Connection
	Segments                            []activecampaign.Segment
	SegmentsError                       string
	Groups                              []certifier.Group
	Attributes                          []certifier.Attribute
	GroupsError                         string
	Tokens                              []string
	Errors                              formErrors
	// ServerZone is the server's time zone, the default of an
	// automation's; Zones are the names the zone input suggests.
	ServerZone string
	Zones      []string
	// BrowserZone is the browser's zone, which a new automation starts
	// with; "" when the page does not know it.
	BrowserZone string
	// Detection says how the trigger will see a contact enter: instant
	// with webhooks (a public URL), else every poll interval.
	Detection string
}

// LostGroup names the automation's group when its workspace no longer
// has it (deleted in Certifier): Edit says which one is gone, above the
// list to choose another from. "" while the groups could not be read.
func (f automationForm) LostGroup() string {
	id := f.In.Action.GroupID
	if id == "" || f.GroupsError != "" || f.In.Action.ConnectionID == 0 {
		return ""
	}
	for _, g := range f.Groups {
		if g.ID == id {
			return ""
		}
	}
	if f.In.Action.GroupName != "" {
		return f.In.Action.GroupName
	}
	return id
}

// storableInput refuses a request whose query or form holds a value that
// cannot be stored (autocred.CheckStorable: a NUL, or bytes that are not
// UTF-8) with a 400 naming the input, before serve sees any of it. The
// form is parsed here, with ParseForm's own limit (10 MB).
func storableInput(serve handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := r.ParseForm(); err != nil {
			return autocred.Errorf(autocred.EINVALID, "unreadable form: %v", err)
		}
		names := slices.Sorted(maps.Keys(r.Form))
		for _, name := range names {
			if err := autocred.CheckStorable(name); err != nil {
				return autocred.Errorf(autocred.EINVALID, "the form has an input whose name %s", err)
			}
			for _, v := range r.Form[name] {
				if err := autocred.CheckStorable(v); err != nil {
					return autocred.FieldErrorf(name, "%s", err)
				}
			}
		}
		return serve(w, r)
	}
}

// commonZones are the time zones the form suggests besides the server's;
// any IANA name can be typed.
var commonZones = []string{
	"UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Mexico_City", "America/Bogota", "America/Sao_Paulo",
	"America/Argentina/Buenos_Aires", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
	"Europe/Madrid", "Europe/Rome", "Europe/Amsterdam", "Europe/Warsaw", "Europe/Athens", "Europe/Istanbul", "Africa/Lagos",
	"Africa/Johannesburg", "Africa/Cairo", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo",
	"Asia/Seoul", "Australia/Perth", "Australia/Sydney", "Pacific/Auckland",
}

// Attribute returns the mapping of a custom attribute, for the template.
func (f automationForm) Attribute(tag string) string { return f.In.Action.CustomAttributes[tag] }

const customPrefix = "action.custom_attributes."

// MappingInputs are the inputs every action maps (autocred.InputDefs),
// as the form shows them: the recipient's (dates false) or the dates,
// which the time zone input comes before.
func (f automationForm) MappingInputs(dates bool) []mappingInput {
	var out []mappingInput
	for _, d := range autocred.InputDefs() {
		if d.IsDate() != dates {
			continue
		}
		out = append(out, mappingInput{
			ID: "mapping-" + strings.ReplaceAll(d.Key(), "_", "-"), Name: d.Field, Label: d.Label, Hint: d.Hint(),
			Value: d.Get(f.In.Action), Error: f.Errors.Field(d.Field),
		})
	}
	return out
}

// mappingSetting is one input of an automation's mapping, as its page
// shows it: the template, or what empty means.
type mappingSetting struct{ Label, Value string }

// MappingSettings lists the inputs every action maps with their values,
// for the automation's page.
func (d automationData) MappingSettings() []mappingSetting {
	var out []mappingSetting
	for _, in := range autocred.InputDefs() {
		out = append(out, mappingSetting{Label: in.Label, Value: cmp.Or(in.Get(d.Action), in.Empty)})
	}
	return out
}

// attributeSetting is one custom attribute of an automation's mapping, as
// its page shows it: labelled by its name in Certifier, as the form does.
type attributeSetting struct{ Label, Tag, Value string }

// AttributeSettings lists the custom attributes the automation maps, in
// the order of their tags, with their templates.
func (d automationData) AttributeSettings() []attributeSetting {
	a := d.Action
	var out []attributeSetting
	for _, tag := range slices.Sorted(maps.Keys(a.CustomAttributes)) {
		out = append(out, attributeSetting{Label: cmp.Or(a.CustomAttributeNames[tag], tag), Tag: tag, Value: a.CustomAttributes[tag]})
	}
	return out
}

// newAutomationInput is what a new form starts with: the usual mapping
// (each input's default), issued and sent.
func newAutomationInput() service.AutomationInput {
	a := autocred.Action{Issue: true, Send: true, TimeZone: autocred.LocalTimeZone()}
	for _, d := range autocred.InputDefs() {
		d.Set(&a, d.Default)
	}
	return service.AutomationInput{Action: a}
}

// parseAutomationInput reads the form. Unchecked boxes are absent from a
// form, so the switches are read as they are.
func parseAutomationInput(v url.Values) service.AutomationInput {
	in := service.AutomationInput{
		Name:         v.Get("name"),
		PollInterval: v.Get("poll_interval"),
		Trigger: autocred.Trigger{
			ConnectionID: formID(v.Get("trigger.connection_id")),
			SegmentID:    v.Get("trigger.segment_id"),
		},
		Action: autocred.Action{
			ConnectionID: formID(v.Get("action.connection_id")),
			GroupID:      v.Get("action.group_id"),
			TimeZone:     v.Get("action.time_zone"),
			Issue:        v.Get("action.issue") != "",
			Send:         v.Get("action.send") != "",
		},
		AllowDuplicate: v.Get(service.AllowDuplicateField) != "",
	}
	for _, d := range autocred.InputDefs() {
		d.Set(&in.Action, v.Get(d.Field))
	}
	for key, vals := range v {
		tag, ok := strings.CutPrefix(key, customPrefix)
		if !ok || len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
			continue // an attribute left empty is not mapped
		}
		if in.Action.CustomAttributes == nil {
			in.Action.CustomAttributes = map[string]string{}
		}
		in.Action.CustomAttributes[tag] = vals[0]
	}
	return in
}

func formID(s string) int64 {
	id, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return id
}

// isAutomationInput tells whether a field named in an error has an input.
func isAutomationInput(field string) bool {
	switch field {
	case "name", "poll_interval", "trigger.connection_id", "trigger.segment_id", "action.connection_id", "action.group_id",
		"action.send", "action.time_zone", service.AllowDuplicateField:
		return true
	}
	_, mapped := autocred.InputDefFor(field)
	return mapped || strings.HasPrefix(field, customPrefix)
}

// stepOf is the step that holds an input: the action's, the sync
// interval under Advanced and the confirmation of a duplicate at the end
// of step 2; the others are step 1's.
func stepOf(field string) string {
	if strings.HasPrefix(field, "action") || field == "poll_interval" || field == service.AllowDuplicateField {
		return "action"
	}
	return "trigger"
}

// ToFix counts the inputs of a step ("trigger" or "action") that a save
// refused, for its tab: with every mistake shown at once, the step not
// shown says that it has some too.
func (f automationForm) ToFix(step string) int {
	n := 0
	for field := range f.Errors.Fields {
		if stepOf(field) == step {
			n++
		}
	}
	return n
}

// load fills the lists the form picks from, read live from the accounts:
// connections, the trigger connection's segments and fields (for the
// token picker), the action connection's groups and attributes. A list
// that cannot be read says why in its place; the form still renders.
func (h *handler) load(ctx context.Context, f *automationForm) error {
	conns, err := h.svc.Connections(ctx)
	if err != nil {
		return err
	}
	for _, c := range conns {
		if c.App == autocred.AppActiveCampaign {
			f.ACConnections = append(f.ACConnections, c)
		} else {
			f.CertifierConnections = append(f.CertifierConnections, c)
		}
	}
	if f.In.Trigger.ConnectionID == 0 && len(f.ACConnections) > 0 {
		f.In.Trigger.ConnectionID = f.ACConnections[0].ID
	}
	if f.In.Action.ConnectionID == 0 && len(f.CertifierConnections) > 0 {
		f.In.Action.ConnectionID = f.CertifierConnections[0].ID
	}
	f.Tokens = autocred.Tokens()
	f.ServerZone = autocred.LocalTimeZone()
	f.Zones = commonZones
	poll, hinted := h.svc.PollIntervals()
	f.Detection = "checked every " + everyWords(poll) + ": autocred has no public address for ActiveCampaign's webhooks"
	if h.publicURLSet {
		f.Detection = "instant by webhook, and checked every " + everyWords(hinted)
		if hinted != poll {
			f.Detection += " (every " + everyWords(poll) + " while no webhook arrives)"
		}
	}
	if id := f.In.Trigger.ConnectionID; id != 0 {
		if f.Segments, err = h.svc.Segments(ctx, id); err != nil {
			f.SegmentsError = userMessage(err)
		} else if fields, err := h.svc.Fields(ctx, id); err == nil {
			for _, fd := range fields {
				if fd.Perstag != "" {
					f.Tokens = append(f.Tokens, "contact.fields."+fd.Perstag)
				}
			}
		}
	}
	if id := f.In.Action.ConnectionID; id != 0 {
		if f.Groups, err = h.svc.Groups(ctx, id); err != nil {
			f.GroupsError = userMessage(err)
		} else if f.Attributes, err = h.svc.Attributes(ctx, id); err != nil {
			f.GroupsError = userMessage(err)
		}
	}
	return nil
}
