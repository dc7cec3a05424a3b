package activecampaign

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

const maxSampleContacts = 2_000_000

// Sample describes the data SeedSample added.
type Sample struct {
	Account  string `json:"account"`
	Contacts int    `json:"contacts"`
	// ContactIDs are the ids of the contacts added, in order.
	ContactIDs []int64 `json:"contact_ids"`

	CourseCompleters Segment `json:"course_completers"` // COURSE_COMPLETED equals Yes
	VIPMembers       Segment `json:"vip_members"`       // has tag VIP
	TrainingLegacy   Segment `json:"training_legacy"`   // legacy: has tag Training Complete
	// WebinarAttendees is a legacy segment that /audiences lists too, under
	// its numeric id: has tag Webinar Attendee.
	WebinarAttendees Segment `json:"webinar_attendees"`
	// WebinarFollowUp is a hidden legacy segment, as an automation's
	// condition makes: /segments lists it with hidden "1".
	WebinarFollowUp Segment `json:"webinar_follow_up"`

	TagIDs   map[string]int64 `json:"tag_ids"`   // by tag name
	FieldIDs map[string]int64 `json:"field_ids"` // by perstag
	ListIDs  map[string]int64 `json:"list_ids"`  // by list name
}

var (
	sampleFirst = []string{"Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
		"Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor",
		"Wen", "Ximena", "Yusuf", "Zoe", "Aisha", "Bruno", "Carmen", "Dmitri", "Emma", "Felix"}
	sampleLast = []string{"Lee", "Garcia", "Smith", "Okafor", "Müller", "Rossi", "Tanaka", "Silva", "Nguyen",
		"Kowalski", "Haddad", "Johnson", "Brown", "Martin", "Dubois", "Novak", "Patel", "Kim", "Costa", "Ali",
		"Schmidt", "Larsen", "O'Brien", "Fischer", "Moreau", "Ivanova", "Cohen", "Sato"}
	sampleDomains = []string{"example.com", "example.org", "example.net"}
	sampleCourses = []string{"Workplace Safety", "First Aid Basics", "Data Privacy 101", "Advanced Excel",
		"Leadership Essentials", "Customer Service Excellence"}
)

// ascii folds the few accented letters of the name lists for emails.
var ascii = strings.NewReplacer("ü", "u", "'", "")

// SeedSample adds realistic sample data, the same for the same Options.Seed
// and account: contacts with names, emails at example domains (about 3%
// without a valid email: empty or malformed), phones for about 60%, the
// custom fields Course Completed (COURSE_COMPLETED, Yes/No) and Course Name
// (COURSE_NAME), the tags Training Complete, VIP and Webinar Attendee, the
// list Newsletter, and the segments Course Completers, VIP Members, the
// legacy Training Complete (legacy), the legacy Webinar Attendees that
// /audiences lists under its numeric id, and the hidden legacy Webinar
// follow-up (automation). Segments that already exist by name
// are reused, so seeding twice adds contacts but no duplicate segments.
// Like an import, seeding fires no webhooks.
func (s *Server) SeedSample(account string, contacts int) (Sample, error) {
	a, err := s.mustAccount(account)
	if err != nil {
		return Sample{}, err
	}
	if contacts < 0 || contacts > maxSampleContacts {
		return Sample{}, fmt.Errorf("seed: contacts must be between 0 and %d, got %d", maxSampleContacts, contacts)
	}
	a.mu.RLock()
	offset := len(a.contacts) // keeps emails unique when seeding twice
	a.mu.RUnlock()

	var h uint64
	for _, b := range []byte(account) {
		h = h*1099511628211 ^ uint64(b)
	}
	rng := rand.New(rand.NewPCG(s.opts.Seed, h^uint64(offset)))
	now := s.now()
	in := make([]ContactInput, contacts)
	for i := range in {
		in[i] = sampleContact(rng, offset+i+1, now)
	}
	ids, err := s.Import(account, in)
	if err != nil {
		return Sample{}, err
	}
	sample := Sample{Account: account, Contacts: contacts, ContactIDs: ids}
	existing := a.ensureSampleNames(&sample, now)
	if err := s.defineSampleSegments(a, &sample, existing); err != nil {
		return Sample{}, err
	}
	return sample, nil
}

// sampleContact makes the n-th sample contact of an account.
func sampleContact(rng *rand.Rand, n int, now time.Time) ContactInput {
	first, last := sampleFirst[rng.IntN(len(sampleFirst))], sampleLast[rng.IntN(len(sampleLast))]
	c := ContactInput{
		FirstName: first, LastName: last,
		Email: fmt.Sprintf("%s.%s.%d@%s", strings.ToLower(ascii.Replace(first)), strings.ToLower(ascii.Replace(last)),
			n, sampleDomains[rng.IntN(len(sampleDomains))]),
		CDate:  now.Add(-time.Duration(rng.Int64N(int64(730 * 24 * time.Hour)))).Truncate(time.Second),
		Fields: map[string]string{"COURSE_COMPLETED": "No"},
	}
	switch p := rng.Float64(); {
	case p < 0.015:
		c.Email = ""
	case p < 0.03:
		c.Email = strings.Replace(c.Email, "@", " at ", 1) // malformed
	}
	if rng.Float64() < 0.6 {
		c.Phone = fmt.Sprintf("+1 555-01%02d-%04d", rng.IntN(100), rng.IntN(10000))
	}
	if rng.Float64() < 0.7 {
		c.Fields["COURSE_NAME"] = sampleCourses[rng.IntN(len(sampleCourses))]
		if rng.Float64() < 0.5 {
			c.Fields["COURSE_COMPLETED"] = "Yes"
			if rng.Float64() < 0.9 { // most completers were tagged by the course automation
				c.Tags = append(c.Tags, "Training Complete")
			}
		}
	}
	if rng.Float64() < 0.1 {
		c.Tags = append(c.Tags, "VIP")
	}
	if rng.Float64() < 0.25 {
		c.Tags = append(c.Tags, "Webinar Attendee")
	}
	if rng.Float64() < 0.7 {
		c.Lists = []string{"Newsletter"}
	}
	return c
}

// ensureSampleNames makes the sample's tags, fields and list exist, even
// when no sampled contact used them, and records their ids in sample. It
// returns the account's segments by name, for defineSampleSegments.
func (a *account) ensureSampleNames(sample *Sample, now time.Time) map[string]*segment {
	a.mu.Lock()
	defer a.mu.Unlock()
	sample.TagIDs, sample.FieldIDs, sample.ListIDs = map[string]int64{}, map[string]int64{}, map[string]int64{}
	for _, t := range []string{"Training Complete", "VIP", "Webinar Attendee"} {
		a.ensureTag(t, now)
		sample.TagIDs[t] = int64(a.tagByName[lower(t)])
	}
	a.fields[a.ensureField("COURSE_COMPLETED", "Course Completed", now)-1].title = "Course Completed"
	a.fields[a.ensureField("COURSE_NAME", "Course Name", now)-1].title = "Course Name"
	for _, f := range []string{"COURSE_COMPLETED", "COURSE_NAME"} {
		sample.FieldIDs[f] = int64(a.fieldByTag[f])
	}
	a.ensureList("Newsletter", now)
	sample.ListIDs["Newsletter"] = int64(a.listByName["newsletter"])
	existing := map[string]*segment{}
	for _, g := range a.segments {
		existing[g.def.Name] = g
	}
	return existing
}

// defineSampleSegments defines the sample's segments in sample, reusing
// those of existing (by name) so that seeding twice adds none.
func (s *Server) defineSampleSegments(a *account, sample *Sample, existing map[string]*segment) error {
	defs := []struct {
		dst *Segment
		def SegmentDef
	}{
		{&sample.CourseCompleters, SegmentDef{Name: "Course Completers", Conditions: []Condition{{Type: "field", Op: "equals", Field: "COURSE_COMPLETED", Value: "Yes"}}}},
		{&sample.VIPMembers, SegmentDef{Name: "VIP Members", Conditions: []Condition{{Type: "tag", Op: "has", Value: "VIP"}}}},
		{&sample.TrainingLegacy, SegmentDef{Name: "Training Complete (legacy)", Legacy: true, Conditions: []Condition{{Type: "tag", Op: "has", Value: "Training Complete"}}}},
		{&sample.WebinarAttendees, SegmentDef{Name: "Webinar Attendees", Legacy: true, Audience: true, Conditions: []Condition{{Type: "tag", Op: "has", Value: "Webinar Attendee"}}}},
		{&sample.WebinarFollowUp, SegmentDef{Name: "Webinar follow-up (automation)", Legacy: true, Hidden: true, Conditions: []Condition{{Type: "tag", Op: "has", Value: "Webinar Attendee"}, {Type: "tag", Op: "has_not", Value: "VIP"}}}},
	}
	for _, d := range defs {
		if g := existing[d.def.Name]; g != nil {
			a.mu.RLock()
			*d.dst = g.public()
			a.mu.RUnlock()
			continue
		}
		var err error
		if *d.dst, err = s.DefineSegment(a.name, d.def); err != nil {
			return err
		}
	}
	return nil
}
