package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
)

// Absences. A segment read that ActiveCampaign calls complete can still be
// wrong: an answer that says "ready" with no members, or with only some of
// them, has been seen from this API and from others like it. Taken at its
// word, it would mark the missing members as left, and the next correct
// read would make them all "enter" again and be issued a credential each.
//
// So no absence counts on the segment read alone. A contact has left when
// it is missing from two consecutive applied reads AND a single-contact
// check (GET /segmentMatch/{segment}/{contact}, a second, independent
// answer) said it was out when it first went missing:
//
//   - Who is checked: the members missing for the first time, all of them
//     when there are at most absenceChecks, else a random absenceChecks of
//     them. Members missing for the second time were checked the first
//     time: they are not checked again, so a contact that left and came
//     back between two reads is a real re-entry (R2), not a contradiction.
//   - Verdict: when at least half of those checked are still in, the read is
//     wrong: it changes nothing at all (no absence, no entry, no baseline),
//     the automation shows why, and the next sync reads the segment again.
//     Checking stops early when the first earlyWrongChecks checked are all
//     still in. A looser early stop (5 in, four in five of those checked)
//     called a right read wrong about once in 500 when a quarter of the
//     missing had come back since the read, as in a segment with churn;
//     the read held back, the next one had twice as many absences to
//     check, and late returns among those left unchecked got no
//     credential. All of the first 10 in happens about once in a million
//     such reads (and once in 3,000 when almost half are back).
//   - Otherwise the read stands. A checked contact still in is not absent
//     (it came back since the read, or the read was wrong about it). A
//     checked contact out is absent. An unchecked one (only when more than
//     absenceChecks went missing) is absent when at most one in ten of the
//     sample was still in, and is sampled again at the next read otherwise.
//     Members missing for the second time leave.
//
// Cost: nothing when a read leaves nobody new out; otherwise at most
// absenceChecks calls per sync, at most earlyWrongChecks while a wrong
// answer lasts (checking stops early), and one call per departing member up
// to absenceChecks when people really leave.
const (
	absenceChecks    = 50
	earlyWrongChecks = 10
)

// absenceVerdict is what the single-contact checks said about one read.
type absenceVerdict struct {
	stillIn map[autocred.ContactID]bool // checked contacts → still in the segment
	// wrong: the read is held back; nothing of it is applied.
	wrong   bool
	checked int
	in      int
	// unconfirmable: single-contact checks are refused for this segment
	// (segment matching refuses it, and it is read through
	// contacts?segmentid), so no absence can be confirmed: nobody is
	// marked as left from such a read, as from an empty contacts?segmentid
	// answer. A wrong read then issues nothing; the price is that a
	// contact who leaves and comes back gets no new credential (R2) until
	// segment matching accepts the segment again, which the automation
	// says.
	unconfirmable bool
}

// sampleDecides tells whether the unchecked members missing for the first
// time count as absent: at most one in ten of those checked was still in.
func (v absenceVerdict) sampleDecides() bool { return v.in*10 <= v.checked }

// memberChecker asks whether one contact is in a segment now.
type memberChecker func(ctx context.Context, contactID autocred.ContactID) (bool, error)

// sampleMissing picks which of the members a read left out for the first
// time (firstMissing, across every automation watching the segment) to
// check: all of them up to absenceChecks, else a random absenceChecks. It
// checks each with check, stops early when the first earlyWrongChecks are
// all still in, and gives the verdict on the read.
func sampleMissing(ctx context.Context, check memberChecker, firstMissing []autocred.ContactID, rnd *rand.Rand) (absenceVerdict, error) {
	v := absenceVerdict{stillIn: map[autocred.ContactID]bool{}}
	order := slices.Clone(firstMissing)
	rnd.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, id := range order[:min(len(order), absenceChecks)] {
		in, err := check(ctx, id)
		if err != nil {
			return v, err
		}
		v.stillIn[id] = in
		v.checked++
		if in {
			v.in++
		}
		if v.checked == earlyWrongChecks && v.in == v.checked {
			break
		}
	}
	v.wrong = v.in > 0 && v.in*2 >= v.checked
	return v, nil
}

// leftAndAbsent splits one automation's absences by the verdict: left are
// marked out now, absent are remembered as missing from this read. leavers
// (missing from the previous applied read too) and missing (everyone
// absent, leavers included) are sorted.
func (v absenceVerdict) leftAndAbsent(leavers, missing []autocred.ContactID) (left, absent []autocred.ContactID) {
	if v.unconfirmable {
		return nil, nil
	}
	for _, id := range missing {
		in, checked := v.stillIn[id]
		switch _, leaving := slices.BinarySearch(leavers, id); {
		case leaving:
			left = append(left, id)
		case checked && in:
			// Back since the read, or the read was wrong about it.
		case checked || v.sampleDecides():
			absent = append(absent, id)
		}
	}
	return left, absent
}

// heldBackMessage says on the automation why a read changed nothing but
// the entries its pages listed (pageentries.go).
func heldBackMessage(h heldBack) string {
	changed := "Nothing was changed (nobody marked as left, no credential issued)"
	if h.early > 0 {
		changed = fmt.Sprintf("Nobody was marked as left; the only change is %s %s recorded for contacts it listed who were not in yet "+
			"(a contact it lists is in the segment)", autocred.Thousands(h.early), plural(h.early, "entry", "entries"))
	}
	return fmt.Sprintf("ActiveCampaign's answer for this segment looked wrong: it listed %s of the %s members autocred has in it, "+
		"and %d of the %d left out that autocred checked one by one are still in. %s; autocred reads the segment again at the next sync.",
		autocred.Thousands(h.listed), autocred.Thousands(h.known), h.v.in, h.v.checked, changed)
}

// ledgerDiff is the differences between one read and the ledger of each
// active automation on the segment, before the checks: who entered, who is
// missing, and who of those would leave.
type ledgerDiff struct {
	entered map[int64][]autocred.ContactID // automation → in the read, not in the ledger
	leavers map[int64][]autocred.ContactID // automation → would-be leavers
	missing map[int64][]autocred.ContactID // automation → everyone absent
	known   int                            // the most members any automation has in
}

// diffLedgers compares each active automation's ledger with a read: the
// entries and the absences of one read, found together. known holds the
// ledgers the read's pages were compared with (pageEntries.done); the
// others are read.
func (e *Engine) diffLedgers(ctx context.Context, autos []autocred.Automation, ids []autocred.ContactID, known map[int64][]autocred.ContactID) (ledgerDiff, error) {
	diff := ledgerDiff{entered: map[int64][]autocred.ContactID{}, leavers: map[int64][]autocred.ContactID{}, missing: map[int64][]autocred.ContactID{}}
	for _, a := range autos {
		if a.Status != autocred.AutomationActive {
			continue
		}
		in, ok := known[a.ID]
		if !ok {
			var err error
			if in, err = e.store.InSegment(ctx, a.ID); err != nil {
				return diff, err
			}
		}
		diff.known = max(diff.known, len(in))
		entered, missing := autocred.Diff(in, ids)
		if len(entered) > 0 {
			diff.entered[a.ID] = entered
		}
		if len(missing) == 0 {
			continue
		}
		leavers, err := e.store.PreviouslyMissing(ctx, a.ID, missing)
		if err != nil {
			return diff, err
		}
		diff.missing[a.ID], diff.leavers[a.ID] = missing, leavers
	}
	return diff, nil
}

// firstMissing is the members missing for the first time from the read,
// for any automation, sorted.
func (diff ledgerDiff) firstMissing() []autocred.ContactID {
	var all []autocred.ContactID
	for id, missing := range diff.missing {
		for _, c := range missing {
			if _, leaving := slices.BinarySearch(diff.leavers[id], c); !leaving {
				all = append(all, c)
			}
		}
	}
	return autocred.SortIDs(all)
}

// askAboutMissing asks ActiveCampaign, one contact at a time
// (GET /segmentMatch/{segment}/{contact}), about the members a read left
// out for the first time, as many as sampleMissing picks. A segment whose
// segment matching refuses single-contact checks gets an unconfirmable
// verdict.
func (e *Engine) askAboutMissing(ctx context.Context, ac *activecampaign.Client, segmentID string, diff ledgerDiff) (absenceVerdict, error) {
	check := func(ctx context.Context, id autocred.ContactID) (bool, error) {
		in, err := ac.IsMember(ctx, segmentID, id)
		answer := "out"
		if in {
			answer = "in"
		}
		if err == nil {
			e.metrics.AbsenceChecks.WithLabelValues(answer).Inc()
		}
		return in, err
	}
	v, err := sampleMissing(ctx, check, diff.firstMissing(), rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())))
	if errors.Is(err, activecampaign.ErrMatchUnavailable) {
		// The segment-match API refuses this segment, single-contact checks
		// included: nothing can confirm an absence (see unconfirmable).
		return absenceVerdict{stillIn: map[autocred.ContactID]bool{}, unconfirmable: true}, nil
	}
	if err != nil {
		return v, fmt.Errorf("checking the contacts a segment read left out: %w", err)
	}
	return v, nil
}
