package engine

import (
	"context"
	"slices"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
)

// Entries page by page. A segment-match run is one fixed evaluation, and
// every contact on any of its pages was a member when it started
// (activecampaign.MembersListed): a contact listed that an automation's
// ledger has out has entered, whatever the rest of the read turns out to
// be. So a sync records such entries as each page comes, instead of after
// the whole snapshot, and a batch's first credentials go out while the
// rest of a large segment is still being read (the run lists the most
// recently updated contacts first, activecampaign.matchSort, which is
// where entrants are).
//
// Only who entered is taken early. Who left needs the complete snapshot
// and the single-contact checks of its absences (absences.go): a page
// says nothing about anyone it does not list. And an entry taken from a
// page is the same entry the complete read would have made:
//
//   - A read that fails later, or that the checks show to be wrong (an
//     answer that says "ready" with only part of the members: what wrong
//     reads have been seen to do), still listed the contacts it listed;
//     it left members out, it did not invent any. Its early entries stand;
//     nothing else of it is applied, and the automation says how many
//     were entered.
//   - An automation still taking its baseline takes nothing early: its
//     baseline is the complete read, checked (sync.go), and every member
//     in it is there from before (R5).
//   - A contact the ledger has in is no entry, whether the ledger had it
//     in from the baseline, from an earlier entry, or from a hint. A
//     baseline member is never out in the ledger unless a verified read or
//     a single-contact check said so: wrong reads mark nobody as left, so
//     they cannot make a baseline member "enter" on a later page either.
//   - An automation whose mapping reads a custom field takes its entries
//     after the read, as one batch: its field plan is made for the whole
//     batch (fieldscan.go), and one scan of a field's values serves every
//     entrant; taken page by page, a scan could be repeated for each page.
//     The wait is the rest of the read, one call per 10,000 members, small
//     beside a scan (one call per 100 values).
//
// Each page's entries are recorded by enter, exactly as the entries of a
// complete read are: the ledger, the run and the issue job in one
// transaction per 100 contacts (store.RecordEntries), so a contact is
// recorded once however many pages, runs or hints list it, and a crash
// mid-read loses nothing: what was recorded is in, the rest is still out
// and the next sync finds it. After the read, the complete snapshot is
// compared with the ledger as before, and finds whatever a page did not
// (entries of the other automations). A contact that a hint's check marked
// out while the read went on is listed by it all the same (the run
// predates the leaving) and is out in the ledger: it is no entry of this
// read's, from a page or from the complete snapshot, and store.RecordEntries
// keeps it out (the sync's start is the read's seenAt).

// pageEntries takes the entries of one sync's read, page by page, for the
// automations that may take them early.
type pageEntries struct {
	e         *Engine
	ac        *activecampaign.Client
	autos     []autocred.Automation // active, with no custom field in the mapping
	started   time.Time             // when the sync began, before the read's run
	onEntered func([]activecampaign.Contact)
	// in is each automation's ledger as the first page found it (loaded
	// then): a contact entered since (by a hint) only costs a details
	// call, and store.RecordEntries still records nothing for it.
	in map[int64][]autocred.ContactID
	// tried are the contacts already given to enter, per automation: a run
	// replaced while being read lists its members again.
	tried    map[int64]map[autocred.ContactID]bool
	recorded int // runs recorded from pages
}

// entriesByPage returns what takes a sync's entries page by page, or nil
// when none of autos may take any early (see above).
func (e *Engine) entriesByPage(ac *activecampaign.Client, autos []autocred.Automation, started time.Time, onEntered func([]activecampaign.Contact)) *pageEntries {
	var early []autocred.Automation
	for _, a := range autos {
		if a.Status == autocred.AutomationActive && !readsCustomFields(a) {
			early = append(early, a)
		}
	}
	if len(early) == 0 {
		return nil
	}
	return &pageEntries{e: e, ac: ac, autos: early, started: started, onEntered: onEntered}
}

// readsCustomFields tells whether an automation's mapping uses a custom
// field. A mapping that does not parse uses none here: its issue jobs say
// what is wrong with it.
func readsCustomFields(a autocred.Automation) bool {
	m, err := autocred.ParseMapping(a.Action)
	return err == nil && len(m.Fields()) > 0
}

// listed is the read's MembersListed; nil when nothing is taken early.
func (p *pageEntries) listed(ctx context.Context) activecampaign.MembersListed {
	if p == nil {
		return nil
	}
	return func(ids []autocred.ContactID) error {
		if err := p.take(ctx, ids); err != nil {
			return &entriesFailed{err}
		}
		return nil
	}
}

// take records the entries among the members one page listed.
func (p *pageEntries) take(ctx context.Context, page []autocred.ContactID) error {
	if err := p.load(ctx); err != nil {
		return err
	}
	ids := autocred.SortIDs(slices.Clone(page))
	entered := map[int64][]autocred.ContactID{}
	for _, a := range p.autos {
		tried := p.tried[a.ID]
		for _, id := range ids {
			if _, in := slices.BinarySearch(p.in[a.ID], id); in || tried[id] {
				continue
			}
			tried[id] = true
			entered[a.ID] = append(entered[a.ID], id)
		}
	}
	if len(entered) == 0 {
		return nil
	}
	before := p.recorded
	err := p.e.enter(ctx, p.ac, p.autos, entered, p.started, func(cs []activecampaign.Contact) {
		p.recorded += len(cs)
		if p.onEntered != nil {
			p.onEntered(cs)
		}
	})
	p.e.log.Debug("entries taken from a page of a segment read", "segment", p.autos[0].Trigger.SegmentID,
		"listed", len(ids), "recorded", p.recorded-before, "err", err)
	return err
}

// load reads the ledgers of the automations, once.
func (p *pageEntries) load(ctx context.Context) error {
	if p.in != nil {
		return nil
	}
	in := make(map[int64][]autocred.ContactID, len(p.autos))
	for _, a := range p.autos {
		ids, err := p.e.store.InSegment(ctx, a.ID)
		if err != nil {
			return err
		}
		in[a.ID] = ids
	}
	p.in, p.tried = in, make(map[int64]map[autocred.ContactID]bool, len(p.autos))
	for _, a := range p.autos {
		p.tried[a.ID] = map[autocred.ContactID]bool{}
	}
	return nil
}

// done returns how many runs the pages recorded, and the ledgers they
// were compared with, each with the contacts given to enter since: for
// the complete read to be compared with (diffLedgers), instead of reading
// every ledger a second time. A contact given to enter is in the ledger
// now, or was kept out by store.RecordEntries for a reason that holds for
// the complete read as much (already in; marked as left since the read
// began; deleted, no details); one that a hint's check marked as left or
// entered meanwhile only costs the complete read a check or a details
// call, and is recorded no differently. Nil when no page came.
func (p *pageEntries) done() (recorded int, ledgers map[int64][]autocred.ContactID) {
	if p == nil {
		return 0, nil
	}
	if p.in != nil {
		ledgers = make(map[int64][]autocred.ContactID, len(p.in))
		for id, in := range p.in {
			for c := range p.tried[id] {
				in = append(in, c)
			}
			ledgers[id] = autocred.SortIDs(in)
		}
	}
	p.in, p.tried = nil, nil
	return p.recorded, ledgers
}
