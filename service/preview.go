package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
)

// PreviewField is one mapping input rendered for the sample contact, or
// the reason it cannot be.
type PreviewField struct {
	Field string `json:"field"` // the input, as in autocred.Error.Field: "action.expiry_date"
	Value string `json:"value"`
	Error string `json:"error,omitempty"`
}

// PreviewResult is a mapping rendered for one real member of the segment.
type PreviewResult struct {
	// Contact is who the preview was rendered for; empty when the segment
	// has no member yet.
	ContactID    int64          `json:"contact_id,omitempty"`
	ContactEmail string         `json:"contact_email,omitempty"`
	Note         string         `json:"note,omitempty"`
	Fields       []PreviewField `json:"fields"`
}

// Preview renders an action's mapping for the first member of a segment,
// as a run would, so that a user sees what a credential will carry before
// saving. Each input gets its value or its own error.
//
// Finding a member costs a call at most: a ledger row of any automation on
// the same segment costs nothing; otherwise a segment-match run is asked
// for a page of one member, which is remembered for a few minutes, since a
// user previews many times while editing.
func (s *Service) Preview(ctx context.Context, connID int64, segmentID string, action autocred.Action, automationName string) (PreviewResult, error) {
	if err := s.checkConnection(ctx, connID, autocred.AppActiveCampaign, "trigger.connection_id"); err != nil {
		return PreviewResult{}, err
	}
	if strings.TrimSpace(segmentID) == "" {
		return PreviewResult{}, autocred.FieldErrorf("trigger.segment_id", "is required: pick the segment first")
	}
	inputs := previewInputs(action)
	res := PreviewResult{Fields: make([]PreviewField, len(inputs))}
	tpls := make([]autocred.Template, len(inputs))
	for i, in := range inputs {
		res.Fields[i].Field = in.field
		t, err := autocred.ParseTemplate(in.field, in.src)
		if err == nil && in.date {
			err = t.ValidateDate(in.field)
		}
		if err != nil {
			res.Fields[i].Error = autocred.ErrorMessage(err)
		}
		tpls[i] = t
	}
	// The mapping's own rules (required inputs, attribute tags) give the
	// first error that a save would give; show it beside its input.
	if _, err := autocred.ParseMapping(action); err != nil {
		var e *autocred.Error
		if errors.As(err, &e) {
			for i := range res.Fields {
				if res.Fields[i].Field == e.Field && res.Fields[i].Error == "" {
					res.Fields[i].Error = e.Message
				}
			}
		}
	}

	ac, err := s.Clients.ActiveCampaign(ctx, s.Store, connID)
	if err != nil {
		return PreviewResult{}, err
	}
	id, found, err := s.sampleMember(ctx, ac, connID, segmentID)
	if err != nil {
		return PreviewResult{}, s.upstreamError(ctx, connID, "ActiveCampaign", err)
	}
	if !found {
		res.Note = "The segment has no members yet, so there is no contact to preview with."
		return res, nil
	}
	details, err := ac.Contacts(ctx, []activecampaign.ID{activecampaign.ID(id)})
	if err != nil {
		return PreviewResult{}, s.upstreamError(ctx, connID, "ActiveCampaign", err)
	}
	c, ok := details[activecampaign.ID(id)]
	if !ok {
		s.samples.Delete(sampleKey{connID, segmentID})
		res.Note = "The sample contact was just deleted from ActiveCampaign; preview again."
		return res, nil
	}
	contact := autocred.Contact{ID: c.ID.String(), Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Phone: c.Phone}
	if usesFields(tpls) {
		values, err := ac.ContactFields(ctx, c.ID)
		if err != nil {
			return PreviewResult{}, s.upstreamError(ctx, connID, "ActiveCampaign", err)
		}
		for _, v := range values {
			contact.SetField(v.Field.Perstag, v.Field.Title, v.Field.Type, v.Value)
		}
	}
	data := autocred.RenderData{Contact: contact, Automation: automationName, Today: time.Now().UTC()}
	if usesSegmentName(inputs) {
		segs, err := s.Segments(ctx, connID)
		if err != nil {
			return PreviewResult{}, err
		}
		for _, sg := range segs {
			if sg.ID == segmentID {
				data.Segment = sg.Name
			}
		}
	}
	res.ContactID, res.ContactEmail = id, c.Email
	for i, in := range inputs {
		f := &res.Fields[i]
		if f.Error != "" {
			continue
		}
		f.Value = strings.TrimSpace(tpls[i].Render(data))
		f.Error = renderedProblem(in, f.Value)
	}
	return res, nil
}

// previewInput is one mapping input and what kind of value it must give.
type previewInput struct {
	field, src  string
	date, email bool
	required    bool
}

func previewInputs(a autocred.Action) []previewInput {
	out := []previewInput{
		{field: "action.recipient_name", src: a.RecipientName, required: true},
		{field: "action.recipient_email", src: a.RecipientEmail, email: true},
		{field: "action.issue_date", src: a.IssueDate, date: true},
		{field: "action.expiry_date", src: a.ExpiryDate, date: true},
	}
	tags := make([]string, 0, len(a.CustomAttributes))
	for tag := range a.CustomAttributes {
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	for _, tag := range tags {
		out = append(out, previewInput{field: "action.custom_attributes." + tag, src: a.CustomAttributes[tag]})
	}
	return out
}

// renderedProblem says what a run would do with this rendered value, in
// the words the run's log would use.
func renderedProblem(in previewInput, v string) string {
	switch {
	case in.email:
		if err := autocred.CheckEmail(v); err != nil {
			return "This contact would be skipped: " + err.Error() + "."
		}
	case in.date:
		if v != "" && !autocred.IsDate(v) {
			return fmt.Sprintf("Gives %q for this contact, and Certifier takes only YYYY-MM-DD dates: the run would fail.", v)
		}
	case in.required:
		if v == "" {
			return "Gives an empty name for this contact: the run would be skipped."
		}
	}
	return ""
}

func usesFields(tpls []autocred.Template) bool {
	for _, t := range tpls {
		if len(t.Fields()) > 0 {
			return true
		}
	}
	return false
}

func usesSegmentName(inputs []previewInput) bool {
	for _, in := range inputs {
		if strings.Contains(in.src, "segment.name") {
			return true
		}
	}
	return false
}

// sampleTTL is how long a member found by a segment-match run is reused.
const sampleTTL = 5 * time.Minute

// samples remembers, per segment, the member previews are rendered for.
type samples struct {
	mu    sync.Mutex
	found map[sampleKey]sample
}

type sampleKey struct {
	connID    int64
	segmentID string
}

type sample struct {
	contactID int64
	at        time.Time
}

func (m *samples) Load(k sampleKey) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.found[k]
	if !ok || time.Since(v.at) > sampleTTL {
		return 0, false
	}
	return v.contactID, true
}

func (m *samples) Store(k sampleKey, contactID int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.found == nil {
		m.found = map[sampleKey]sample{}
	}
	m.found[k] = sample{contactID: contactID, at: time.Now()}
}

func (m *samples) Delete(k sampleKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.found, k)
}

// sampleMember finds a member of the segment: from a ledger when one knows
// the segment, else from ActiveCampaign (remembered for sampleTTL).
func (s *Service) sampleMember(ctx context.Context, ac *activecampaign.Client, connID int64, segmentID string) (int64, bool, error) {
	if id, ok, err := s.Store.SegmentMember(ctx, connID, segmentID); err != nil || ok {
		return id, ok, err
	}
	key := sampleKey{connID, segmentID}
	if id, ok := s.samples.Load(key); ok {
		return id, true, nil
	}
	id, ok, err := ac.FirstMember(ctx, segmentID)
	if err != nil || !ok {
		// An empty segment is not remembered: members may arrive any time.
		return 0, false, err
	}
	s.samples.Store(key, int64(id))
	return int64(id), true, nil
}
