package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
)

// PreviewField is one mapping input rendered for the sample contact, or
// the reason it cannot be.
type PreviewField struct {
	Field string `json:"field"` // the input, as in autocred.Error.Field: "action.expiry_date"
	// Value is exactly what a run would send for this contact.
	Value string `json:"value"`
	// Error says why a save would refuse the input, or why a run would
	// be skipped or fail with this value.
	Error string `json:"error,omitempty"`
	// Warning is what to know about an input that is allowed: a text
	// field mapped to a date may not hold one.
	Warning string `json:"warning,omitempty"`
	// Cleaned says what a run removes from this contact's value (hidden
	// and control characters, clean.go), as its log would.
	Cleaned string `json:"cleaned,omitempty"`
}

// PreviewResult is a mapping rendered for one contact, a member of the
// segment unless Note says otherwise.
type PreviewResult struct {
	// Contact is who the preview was rendered for; empty when there is
	// nobody to preview with (Note says why).
	ContactID    autocred.ContactID `json:"contact_id,omitempty"`
	ContactEmail string             `json:"contact_email,omitempty"`
	ContactName  string             `json:"contact_name,omitempty"`
	// TimeZone is the zone the dates are taken in (the action's, or the
	// server's when it names none).
	TimeZone string `json:"time_zone"`
	// InSegment: the contact is a member of the segment, as checked.
	InSegment bool           `json:"in_segment,omitempty"`
	Note      string         `json:"note,omitempty"`
	Fields    []PreviewField `json:"fields"`
	// Matches are the contacts that match what the user typed, when more
	// than one does, so that the form can offer them to pick from.
	Matches []PreviewMatch `json:"matches,omitempty"`
}

// PreviewMatch is one contact that matches what the user typed.
type PreviewMatch struct {
	ContactID autocred.ContactID `json:"contact_id"`
	Email     string             `json:"email,omitempty"`
	Name      string             `json:"name,omitempty"`
}

// maxMemberChecks bounds the single-contact segment checks one preview
// makes to find, among the contacts matching what the user typed, one in
// the segment.
const maxMemberChecks = 3

// Preview renders an action's mapping for a contact as a run would
// (autocred.Input.Value: types, time zone, the checks that skip or fail a
// run), so that a user sees what a credential will carry before saving.
// Each input gets its value or its own error, and the warnings a save
// would let pass.
//
// The contact is the one the user picked by name or email (pick): the
// first of the matches that is in the segment, or the first match with a
// note saying it is not in it; when several match, they are listed to
// pick from. Without a pick it is the first member found: a ledger row of
// any automation on the same segment costs nothing; otherwise a
// segment-match run is asked for a page of one member, which is
// remembered for a few minutes, since a user previews many times while
// editing.
//
// Without a segment there is nobody to render for, but every mistake that
// needs none is still said: unknown tokens, and custom fields the account
// does not have.
func (s *Service) Preview(ctx context.Context, connID int64, segmentID string, action autocred.Action, automationName, pick string) (PreviewResult, error) {
	if err := s.checkConnection(ctx, connID, autocred.AppActiveCampaign, "trigger.connection_id"); err != nil {
		return PreviewResult{}, err
	}
	inputs, res := parsePreview(action)
	var defs []autocred.FieldDef
	if usesFields(inputs) {
		var err error
		if defs, err = s.FieldDefs(ctx, connID); err != nil {
			return PreviewResult{}, err
		}
	}
	res.Fields = append(res.Fields, checkInputs(inputs, defs)...)
	if strings.TrimSpace(segmentID) == "" {
		res.Note = strings.TrimSpace("Pick a segment in step 1 to see each value for one of its members. " + res.Note)
		return res, nil
	}
	ac, err := s.clients.ActiveCampaign(ctx, s.store, connID)
	if err != nil {
		return PreviewResult{}, err
	}
	found, err := s.previewContact(ctx, ac, connID, segmentID, pick)
	if err != nil {
		return PreviewResult{}, err
	}
	if found.note != "" {
		res.Note = strings.TrimSpace(found.note + " " + res.Note)
	}
	res.Matches, res.InSegment = found.matches, found.inSegment
	c := found.contact
	if c == nil {
		return res, nil
	}
	data, err := s.renderData(ctx, ac, connID, segmentID, *c, inputs, len(defs) > 0)
	if err != nil {
		return PreviewResult{}, err
	}
	data.Automation = automationName
	res.ContactID, res.ContactEmail = c.ID, c.Email
	res.ContactName = contactName(*c)
	renderInputs(res.Fields[len(res.Fields)-len(inputs):], inputs, data)
	return res, nil
}

// parsePreview parses each input of the action on its own
// (autocred.ParseInputs) and starts the result with what needs no
// account: the time zone's error, if any, and the note for an error of
// the mapping as a whole (too many attributes), which a save would give.
func parsePreview(action autocred.Action) ([]autocred.Input, PreviewResult) {
	inputs, zone, zoneErr := autocred.ParseInputs(action)
	res := PreviewResult{TimeZone: zone, Fields: make([]PreviewField, 0, len(inputs)+1)}
	if zoneErr != nil {
		res.TimeZone = "UTC"
		res.Fields = append(res.Fields, PreviewField{Field: "action.time_zone", Error: autocred.ErrorMessage(zoneErr) + " Until then, dates are shown in UTC."})
	}
	if _, err := autocred.ParseMapping(action); err != nil {
		var e *autocred.Error
		if errors.As(err, &e) && e.Field == "action.custom_attributes" {
			res.Note = "Save would refuse this mapping: " + e.Message + "."
		}
	}
	return inputs, res
}

// checkInputs gives each input its own error, a save's, or the warning a
// save lets pass, from the account's custom fields (defs).
func checkInputs(inputs []autocred.Input, defs []autocred.FieldDef) []PreviewField {
	fields := make([]PreviewField, len(inputs))
	for i, in := range inputs {
		fields[i].Field = in.Field
		if in.Err != nil {
			fields[i].Error = autocred.ErrorMessage(in.Err)
			continue
		}
		w, err := in.CheckFields(defs)
		if err != nil {
			fields[i].Error = autocred.ErrorMessage(err)
		}
		fields[i].Warning = w
	}
	return fields
}

// renderData is what the inputs render from for the contact: the contact
// with its custom field values when the mapping uses any (withFields), and
// the segment's name when an input uses it.
func (s *Service) renderData(ctx context.Context, ac *activecampaign.Client, connID int64, segmentID string, c activecampaign.Contact, inputs []autocred.Input, withFields bool) (autocred.RenderData, error) {
	data := autocred.RenderData{Today: time.Now(), Contact: autocred.Contact{
		ID: c.ID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Phone: c.Phone}}
	if withFields {
		values, err := ac.ContactFields(ctx, c.ID)
		if err != nil {
			return data, s.upstreamError(ctx, connID, "ActiveCampaign", "the contact's custom fields", err)
		}
		for _, v := range values {
			data.Contact.SetField(v.Field.Perstag, v.Field.Title, v.Field.Type, v.Value)
		}
	}
	if usesSegmentName(inputs) {
		name, err := s.segmentName(ctx, connID, segmentID)
		if err != nil {
			return data, err
		}
		data.Segment = name
	}
	return data, nil
}

// renderInputs fills each field without an error with what a run would
// send for the contact, or why it would not.
func renderInputs(fields []PreviewField, inputs []autocred.Input, data autocred.RenderData) {
	for i, in := range inputs {
		f := &fields[i]
		if f.Error != "" {
			continue
		}
		v := in.Value(data)
		f.Value, f.Error, f.Cleaned = v.Value, v.Problem, strings.Join(v.Notes, " ")
	}
}

// previewPick is the contact a preview is rendered for, nil when there is
// none; whether it is in the segment; a note for the user when it is not a
// member found as asked, or when several contacts match what they typed
// (matches).
type previewPick struct {
	contact   *activecampaign.Contact
	inSegment bool
	note      string
	matches   []PreviewMatch
}

// previewContact finds the contact a preview is rendered for.
func (s *Service) previewContact(ctx context.Context, ac *activecampaign.Client, connID int64, segmentID, pick string) (previewPick, error) {
	if pick = strings.TrimSpace(pick); pick == "" {
		c, note, err := s.sampleContact(ctx, ac, connID, segmentID)
		return previewPick{contact: c, inSegment: c != nil, note: note}, err
	}
	return s.pickedContact(ctx, ac, connID, segmentID, pick)
}

// sampleCandidates is how many members of the segment a preview looks at
// to find one with an email: a preview for a contact without one shows
// little of what a credential would be.
const sampleCandidates = 10

// sampleContact is a member of the segment (sampleMembers), with its
// details: the first with an email, else the first; nil and a note when
// the segment has none.
func (s *Service) sampleContact(ctx context.Context, ac *activecampaign.Client, connID int64, segmentID string) (*activecampaign.Contact, string, error) {
	ids, err := s.sampleMembers(ctx, ac, connID, segmentID)
	if err != nil {
		return nil, "", s.upstreamError(ctx, connID, "ActiveCampaign", "a contact of the segment", err)
	}
	if len(ids) == 0 {
		return nil, "The segment has no members yet, so there is no contact to preview with. Type a contact's name or email to preview with them.", nil
	}
	details, err := ac.Contacts(ctx, ids)
	if err != nil {
		return nil, "", s.upstreamError(ctx, connID, "ActiveCampaign", "the segment's contacts", err)
	}
	var pick *activecampaign.Contact
	for _, id := range ids {
		c, ok := details[id]
		if !ok {
			continue
		}
		if pick == nil || (pick.Email == "" && c.Email != "") {
			pick = &c
		}
		if pick.Email != "" {
			break
		}
	}
	if pick == nil {
		s.samples.Delete(sampleKey{connID, segmentID})
		return nil, "The sample contact was just deleted from ActiveCampaign; preview again.", nil
	}
	return pick, "", nil
}

// pickedContact is the first contact matching what the user typed (pick)
// that is in the segment, or the first match with a note saying it is not
// in it; none and a note when nobody matches. When several match, the
// note says how many and they are listed, so that the user sees that
// another was meant and can pick it.
func (s *Service) pickedContact(ctx context.Context, ac *activecampaign.Client, connID int64, segmentID, pick string) (previewPick, error) {
	if utf8.RuneCountInString(pick) > 200 {
		return previewPick{}, autocred.FieldErrorf("preview_contact", "is longer than 200 characters; type a name or an email")
	}
	found, err := ac.FindContacts(ctx, pick)
	if err != nil {
		return previewPick{}, s.upstreamError(ctx, connID, "ActiveCampaign", "the contacts that match", err)
	}
	if len(found) == 0 {
		return previewPick{note: fmt.Sprintf("No contact of this ActiveCampaign account has a name or email matching %q.", pick)}, nil
	}
	p := previewPick{contact: &found[0]}
	for i := range found[:min(len(found), maxMemberChecks)] {
		in, err := ac.IsMember(ctx, segmentID, found[i].ID)
		if errors.Is(err, activecampaign.ErrMatchUnavailable) {
			p = previewPick{contact: &found[i], note: "ActiveCampaign cannot check this segment's members one by one, so this contact may not be in it."}
			break
		}
		if err != nil {
			return previewPick{}, s.upstreamError(ctx, connID, "ActiveCampaign", "the segment's membership", err)
		}
		if in {
			p = previewPick{contact: &found[i], inSegment: true}
			break
		}
	}
	if p.contact == &found[0] && !p.inSegment && p.note == "" {
		p.note = fmt.Sprintf("%s is not in the segment now: this is what they would get on entering it.", cmp.Or(found[0].Email, contactName(found[0])))
	}
	if len(found) > 1 {
		p.matches = previewMatches(found)
		p.note = strings.TrimSpace(p.note + " " + manyMatch(len(found), pick))
	}
	return p, nil
}

// manyMatch says that n contacts match what the user typed, and how to
// preview another of them.
func manyMatch(n int, pick string) string {
	count := fmt.Sprintf("%d contacts match", n)
	if n >= activecampaign.MaxFound {
		count = fmt.Sprintf("%d or more contacts match", n)
	}
	return fmt.Sprintf("%s %q: pick another from the list under Preview for, or type more of the name or email.", count, pick)
}

// previewMatches lists the contacts found, to pick from.
func previewMatches(found []activecampaign.Contact) []PreviewMatch {
	out := make([]PreviewMatch, len(found))
	for i, c := range found {
		out[i] = PreviewMatch{ContactID: c.ID, Email: c.Email, Name: contactName(c)}
	}
	return out
}

func contactName(c activecampaign.Contact) string {
	return strings.TrimSpace(c.FirstName + " " + c.LastName)
}

func usesFields(inputs []autocred.Input) bool {
	for _, in := range inputs {
		if in.Err == nil && len(in.Template.Fields()) > 0 {
			return true
		}
	}
	return false
}

// usesSegmentName tells whether an input that renders uses
// {{segment.name}}, which costs a read of the account's segments.
func usesSegmentName(inputs []autocred.Input) bool {
	for _, in := range inputs {
		if in.Err == nil && strings.Contains(in.Template.String(), "segment.name") {
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
	contactIDs []autocred.ContactID
	at         time.Time
}

func (m *samples) Load(k sampleKey) ([]autocred.ContactID, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.found[k]
	if !ok || time.Since(v.at) > sampleTTL {
		return nil, false
	}
	return v.contactIDs, true
}

func (m *samples) Store(k sampleKey, contactIDs []autocred.ContactID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.found == nil {
		m.found = map[sampleKey]sample{}
	}
	m.found[k] = sample{contactIDs: contactIDs, at: time.Now()}
}

func (m *samples) Delete(k sampleKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.found, k)
}

// sampleMembers finds up to sampleCandidates members of the segment: from
// a ledger when one knows the segment, else from ActiveCampaign
// (remembered for sampleTTL).
func (s *Service) sampleMembers(ctx context.Context, ac *activecampaign.Client, connID int64, segmentID string) ([]autocred.ContactID, error) {
	if ids, err := s.store.SegmentMembers(ctx, connID, segmentID, sampleCandidates); err != nil || len(ids) > 0 {
		return ids, err
	}
	key := sampleKey{connID, segmentID}
	if ids, ok := s.samples.Load(key); ok {
		return ids, nil
	}
	ids, err := ac.FirstMembers(ctx, segmentID, sampleCandidates)
	if err != nil || len(ids) == 0 {
		// An empty segment is not remembered: members may arrive any time.
		return nil, err
	}
	s.samples.Store(key, ids)
	return ids, nil
}
