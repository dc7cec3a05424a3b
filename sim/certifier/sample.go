package certifier

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Sample is the realistic setup SeedSample makes: the groups and custom
// attributes a course provider would have.
type Sample struct {
	Workspace         string      `json:"workspace"`
	CourseCompletion  Group       `json:"courseCompletion"`  // expires after 24 months
	VIPMember         Group       `json:"vipMember"`         // never expires
	WebinarAttendance Group       `json:"webinarAttendance"` // expires after 12 months
	Attributes        []Attribute `json:"attributes"`        // the custom attributes
}

// sampleDesignEpoch is the timestamp part of the sample design ids, so that
// they look like the ids of designs made long before the sample groups.
var sampleDesignEpoch = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)

// SeedSample gives a workspace the sample groups and attributes. It is
// idempotent: a group or attribute that already exists (by name or tag) is
// reused, so the demo can seed on every start. Names, expiry settings,
// learning-event URLs and design ids depend only on Options.Seed; group ids
// are new ones, like every id the sandbox makes.
func (s *Server) SeedSample(workspace string) (Sample, error) {
	ws, err := s.workspace(workspace)
	if err != nil {
		return Sample{}, err
	}
	rng := rand.New(rand.NewPCG(s.opts.Seed, 0x5eed))
	design := func() string {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], uint64(sampleDesignEpoch.UnixMilli())<<16|rng.Uint64()&0xffff)
		binary.BigEndian.PutUint64(b[8:], rng.Uint64())
		return encodeID(b)
	}
	inputs := []GroupInput{
		{Name: "Course Completion Certificate", LearningEventURL: "https://academy.example.com/courses/analytical-engines-101", DesignIDs: []string{design(), design()}, ExpiryMonths: 24},
		{Name: "VIP Member Badge", LearningEventURL: "https://academy.example.com/membership/vip", DesignIDs: []string{design()}},
		{Name: "Webinar Attendance", LearningEventURL: "https://academy.example.com/webinars", DesignIDs: []string{design()}, ExpiryMonths: 12},
	}
	attributes := []Attribute{
		{Tag: "custom.course_name", Name: "Course Name"},
		{Tag: "custom.grade", Name: "Grade"},
		{Tag: "custom.mentor", Name: "Mentor"},
	}

	ws.mu.Lock()
	defer ws.mu.Unlock()
	groups := make([]Group, len(inputs))
	for i, in := range inputs {
		g := ws.groupNamed(in.Name)
		if g == nil {
			in.settleDesigns(false)
			var apiErr *apiError
			if g, apiErr = s.addGroup(ws, in); apiErr != nil {
				return Sample{}, fmt.Errorf("sample group %q: %s", in.Name, apiErr.message)
			}
		}
		groups[i] = g.clone()
	}
	for _, a := range attributes {
		if !ws.attributeByTag[a.Tag] {
			ws.attributes = append(ws.attributes, a)
			ws.attributeByTag[a.Tag] = true
		}
	}
	// Answer the attributes as stored: one made earlier keeps its name.
	for i, a := range attributes {
		attributes[i] = ws.attributes[slices.IndexFunc(ws.attributes, func(b Attribute) bool { return b.Tag == a.Tag })]
	}
	s.log.Info("sample seeded", "workspace", workspace)
	return Sample{
		Workspace:         workspace,
		CourseCompletion:  groups[0],
		VIPMember:         groups[1],
		WebinarAttendance: groups[2],
		Attributes:        attributes,
	}, nil
}

// groupNamed returns the oldest group with the name, or nil.
func (ws *workspace) groupNamed(name string) *Group {
	for _, g := range ws.groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}
