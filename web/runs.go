package web

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/download"
	"github.com/autocred/autocred/service"
)

// runFilter is the runs table's filter, read from the query.
type runFilter struct {
	Status string // a run status, or "" for all
	Code   string // a run error code, or "" for all
	// Search is a contact id, or part of a name or an email.
	Search string
	// From and To are the days the contact entered, as typed
	// (YYYY-MM-DD, both inclusive), in the zone TZ: the query's tz, which
	// the script puts in the form, else the browser's zone from its
	// cookie (a link or bookmark without tz), so that the days are those
	// of the times the page shows; "" (UTC) when neither says one, as the
	// page then shows UTC.
	From, To, TZ string
	// ZoneFromBrowser says TZ came from the browser's cookie, the query
	// naming no zone.
	ZoneFromBrowser bool
	After           int64 // the cursor of the page shown, going to older runs
	Before          int64 // the cursor of the page shown, going back to newer runs
	// Err says what is wrong with the dates, which are then not applied.
	Err string
	// enteredFrom and enteredBefore are From and To read.
	enteredFrom, enteredBefore time.Time
}

// readRunFilter reads the runs filter of a query; browser is the
// browser's zone (browserZone), "" when the page does not know it, which
// reads the days of a query without tz (tester 4, finding 7: a shared
// link read in UTC disagreed with the times the page showed).
func readRunFilter(q url.Values, browser string) runFilter {
	f := runFilter{Search: strings.TrimSpace(q.Get("q")), After: max(atoiOr(q.Get("after"), 0), 0), Before: max(atoiOr(q.Get("before"), 0), 0),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")), TZ: strings.TrimSpace(q.Get("tz"))}
	if s := autocred.RunStatus(q.Get("status")); s.Valid() {
		f.Status = string(s)
	}
	if c := autocred.RunErrorCode(q.Get("error_code")); c.Valid() {
		f.Code = string(c)
	}
	loc := time.UTC
	if f.TZ != "" {
		if _, l, err := autocred.LoadTimeZone("tz", f.TZ); err == nil {
			loc = l
		} else {
			f.TZ = "" // the script's own value: a browser with a zone Go lacks gets UTC
		}
	} else if browser != "" {
		if _, l, err := autocred.LoadTimeZone("tz", browser); err == nil {
			f.TZ, f.ZoneFromBrowser, loc = browser, true, l
		}
	}
	from, before, err := autocred.EnteredRange(f.From, f.To, loc, "from", "to")
	if err != nil {
		f.Err = "Entered " + userMessage(err)
	} else {
		f.enteredFrom, f.enteredBefore = from, before
	}
	return f
}

// Query is the filter as a query string, for links and live refresh.
func (f runFilter) Query() string {
	v := url.Values{}
	for name, value := range map[string]string{"status": f.Status, "error_code": f.Code, "q": f.Search, "from": f.From, "to": f.To} {
		if value != "" {
			v.Set(name, value)
		}
	}
	if f.TZ != "" && (f.From != "" || f.To != "") {
		v.Set("tz", f.TZ)
	}
	switch {
	case f.After > 0:
		v.Set("after", itoa(f.After))
	case f.Before > 0:
		v.Set("before", itoa(f.Before))
	}
	return v.Encode()
}

// HasDays tells whether the filter has entered days.
func (f runFilter) HasDays() bool { return f.From != "" || f.To != "" }

// DaysZone is the zone the entered days are read in: TZ, or UTC.
func (f runFilter) DaysZone() string {
	if f.TZ == "" {
		return "UTC"
	}
	return f.TZ
}

// Active tells whether the filter selects fewer than all runs.
func (f runFilter) Active() bool {
	return f.Status != "" || f.Code != "" || f.Search != "" || !f.enteredFrom.IsZero() || !f.enteredBefore.IsZero()
}

// forAutomation is the filter as the store takes it, for the runs of an
// automation, or of every automation when automationID is 0.
func (f runFilter) forAutomation(automationID int64) autocred.RunFilter {
	return autocred.RunFilter{AutomationID: automationID, Status: autocred.RunStatus(f.Status), ErrorCode: autocred.RunErrorCode(f.Code),
		Contact: f.Search, EnteredFrom: f.enteredFrom, EnteredBefore: f.enteredBefore, After: f.After, Before: f.Before}
}

// ExportQuery is the filter without its page, for the CSV export of
// every run it selects, with the zone of its times when the page knows
// it; a template.URL, so that a link keeps its & and = (url.Values.Encode
// has escaped what needs it).
func (f runFilter) ExportQuery() template.URL {
	f.After, f.Before = 0, 0
	v, _ := url.ParseQuery(f.Query())
	if f.TZ != "" {
		v.Set("tz", f.TZ)
	}
	return template.URL(v.Encode())
}

// LiveQuery is the filter as the live refresh asks for it, a template.URL
// as ExportQuery.
func (f runFilter) LiveQuery() template.URL { return template.URL(f.Query()) }

// runList is the runs table's rows: the runs, with links to their
// contacts in ActiveCampaign.
type runList struct {
	Runs  []autocred.Run
	Pages service.ContactPages
	// RetryBlocked says why the automation refuses retries now
	// (autocred.Automation.RetryBlocked); the rows then offer none, and
	// the page says why once. In a list of every automation's runs, each
	// row's owner says it instead.
	RetryBlocked string
	// Owners, in a list of every automation's runs, are their
	// automations: each row names its own, and links its contact and
	// offers a retry as its own automation allows. Nil in an
	// automation's list.
	Owners map[int64]service.RunOwner
	// BackQuery is the filter of a list of every automation's runs, where
	// a row's Retry comes back to.
	BackQuery string
	// Empty is what the table says when it has no row.
	Empty emptyRuns
	// Removed says that runs are gone from the list (pruned by the run
	// retention, or deleted with a history): a search that finds some
	// runs of a person says that it cannot find those (runTotal), as an
	// empty one does (emptyRunsFor).
	Removed bool
}

// AllAutomations tells whether the list holds the runs of every
// automation, each row naming its own.
func (l runList) AllAutomations() bool { return l.Owners != nil }

// Owner is the automation of a run of a list of every automation's runs.
func (l runList) Owner(r autocred.Run) service.RunOwner { return l.Owners[r.AutomationID] }

// Columns is how many columns the table has, for its empty row.
func (l runList) Columns() int {
	if l.AllAutomations() {
		return 7
	}
	return 6
}

// ContactURL is the address of a run's contact's page in
// ActiveCampaign, or "" when it is not known for sure.
func (l runList) ContactURL(r autocred.Run) string {
	if l.AllAutomations() {
		return l.Owner(r).Pages.URL(r.ContactID)
	}
	return l.Pages.URL(r.ContactID)
}

// CanRetry tells whether a row offers Retry: the run can be retried and
// its automation takes retries now.
func (l runList) CanRetry(r autocred.Run) bool {
	if l.AllAutomations() {
		return r.Retryable() && l.Owner(r).RetryBlocked == ""
	}
	return r.Retryable() && l.RetryBlocked == ""
}

// emptyRuns is what a table of runs says when it has no row: why, and
// where to go from there.
type emptyRuns struct {
	Text     string
	Link     string // "" when there is nowhere to go
	LinkText string
}

// emptyRunsFor says why a table of runs is empty: a filter that matches
// nothing is not an automation without runs. path is the page's own
// address, without a query; a is the automation, nil for the list of
// every automation's runs. removed says that runs are gone from that list
// (pruned by the run retention, or deleted with a history): a search for
// a person that finds nothing then does not say they got nothing, and
// an empty answer says so, so that nobody issues them a second credential
// by hand (issue 16).
func emptyRunsFor(f runFilter, path string, a *automationSummary, removed bool) emptyRuns {
	switch {
	case (autocred.RunFilter{Contact: f.Search}).SearchesNothing():
		return emptyRuns{Text: "No run matches: the search has no letter, digit or email in it. Type part of a name or an email, or a contact id.",
			Link: path, LinkText: "Clear the filter"}
	case f.Active() && f.Search != "":
		where := "No run of this automation"
		if a == nil {
			where = "No run of any automation"
		}
		gone := ""
		if removed {
			gone = " Runs removed by the run retention or with a deleted history are not searched: check Certifier before issuing a credential by hand."
		}
		return emptyRuns{Text: where + " matches this filter. Every word you search for must be part of the name or the email, in any order; a contact id must be whole." + gone,
			Link: path, LinkText: "Clear the filter"}
	case f.Active():
		return emptyRuns{Text: "No run matches this filter.", Link: path, LinkText: "Clear the filter"}
	case f.After > 0 || f.Before > 0:
		return emptyRuns{Text: "No runs on this page: the runs it listed are gone.", Link: path, LinkText: "Show the newest runs"}
	case a == nil:
		return emptyRuns{Text: "No runs yet. A run appears when a contact enters the segment of an active automation.", Link: "/automations", LinkText: "See the automations"}
	case a.Archived() && a.HistoryDeleted.Runs > 0:
		return emptyRuns{Text: "No runs: the history of this automation was deleted."}
	case a.PrunedTotal() > 0:
		return emptyRuns{Text: "No runs to list: the run retention removed the older runs and their logs (the counts above include them)."}
	case a.Archived():
		return emptyRuns{Text: "No runs: nobody entered the segment before this automation was deleted."}
	}
	return emptyRuns{Text: "No runs yet. A run appears when a contact enters the segment after activation."}
}

// runsView is a table of runs as a page shows it, with its filter form,
// its total and its pages: an automation's runs, or every automation's.
type runsView struct {
	// Path is the page's address, without a query: the filter form, the
	// pages and Clear go there.
	Path    string
	Filter  runFilter
	RunList runList
	// Total counts the runs the filter matches, on every page.
	Total int
	Next  int64 // cursor of older runs, 0 when none
	// Newer is the cursor back to newer runs, 0 on the newest page.
	Newer    int64
	Statuses []autocred.RunStatus
	Codes    []autocred.RunErrorCode
}

// NextQuery is the query of the next page of runs, a template.URL so that
// the link keeps its = and & (html/template would escape a string's).
func (v runsView) NextQuery() template.URL {
	f := v.Filter
	f.After, f.Before = v.Next, 0
	return template.URL(f.Query())
}

// NewerQuery is the query of the page before, going back to newer runs.
func (v runsView) NewerQuery() template.URL {
	f := v.Filter
	f.After, f.Before = 0, v.Newer
	return template.URL(f.Query())
}

// NewestQuery is the query of the first page: the filter alone.
func (v runsView) NewestQuery() template.URL {
	f := v.Filter
	f.After, f.Before = 0, 0
	return template.URL(f.Query())
}

// readRunsView reads the page of runs f asks for, of an automation or of
// every automation (automationID 0), with its total and its cursors.
func (h *handler) readRunsView(ctx context.Context, automationID int64, path string, f runFilter) (runsView, error) {
	runs, next, newer, err := h.runsPage(ctx, automationID, &f)
	if err != nil {
		return runsView{}, err
	}
	total, err := h.svc.CountRuns(ctx, f.forAutomation(automationID))
	if err != nil {
		return runsView{}, err
	}
	return runsView{Path: path, Filter: f, RunList: runList{Runs: runs}, Total: total, Next: next, Newer: newer,
		Statuses: autocred.RunStatuses, Codes: autocred.RunErrorCodes}, nil
}

type automationData struct {
	automationSummary
	runsView
	// Detection is how the segment is watched, for the trigger's line.
	Detection service.Detection
	// ConfirmTwin: activating, resuming or restoring was refused because
	// another automation issues from the same group to the same segment;
	// the button that was refused (Activate, Resume or Restore: the page
	// offers one of them) then comes with the box that confirms two
	// credentials per entry.
	// It is set too, from the start, while such an automation exists
	// (Twins): the page says two credentials per entry before the click.
	ConfirmTwin bool
	// Twins are the other automations on the same segment and group.
	Twins []autocred.Automation
	// CatchUp is the Resume form's choice as it was posted, kept when the
	// page comes back with a refusal; nil leaves the automation's default.
	CatchUp *bool
}

// CatchUpChecked tells whether the Resume form has Catch up chosen: as
// the user chose it, when the page answers their Resume, or else the
// automation's default (autocred.Automation.ResumeCatchesUp).
func (d automationData) CatchUpChecked() bool {
	if d.CatchUp != nil {
		return *d.CatchUp
	}
	return d.ResumeCatchesUp()
}

// Summary is the part that live refresh redraws.
func (d automationData) Summary() automationSummary { return d.automationSummary }

// exportRuns downloads every run the page's filter selects as CSV.
func (h *handler) exportRuns(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f := readRunFilter(r.URL.Query(), requestZone(r))
	out := &download.Attachment{W: w, Filename: "automation-" + itoa(id) + "-runs.csv", ContentType: "text/csv; charset=utf-8"}
	// The file's times are in the zone of the page's (the script puts the
	// browser's in the link); UTC, named as such, without one.
	zone := f.TZ
	if zone == "" {
		zone = "UTC"
	}
	err = h.svc.ExportRuns(r.Context(), f.forAutomation(id), zone, &withBOM{w: out})
	if err != nil && out.Started() {
		h.log.Error("exporting runs", "automation", id, "err", err)
		out.Abort() // the status is sent: only a cut connection says the file is incomplete
	}
	return err
}

// utf8BOM is the byte order mark that tells a spreadsheet a file is UTF-8.
const utf8BOM = "\ufeff"

// withBOM writes utf8BOM before the first bytes written to w: without it,
// Excel reads a CSV in the computer's legacy code page, and "Zoë" comes
// out as "ZoÃ«". Only the browser's download has it: the file is for a
// spreadsheet there, while the API's runs.csv is read by scripts, which
// would take the mark for part of the first column's name. Nothing is
// written until the export writes (a refused filter still gets its error
// page), and Flush is passed on, so a long export still streams.
type withBOM struct {
	w       io.Writer
	started bool
}

func (b *withBOM) Write(p []byte) (int, error) {
	if !b.started {
		b.started = true
		if _, err := io.WriteString(b.w, utf8BOM); err != nil {
			return 0, err
		}
	}
	return b.w.Write(p)
}

// Flush sends what was written so far, when w can.
func (b *withBOM) Flush() {
	if f, ok := b.w.(interface{ Flush() }); ok {
		f.Flush()
	}
}

func (h *handler) automationData(ctx context.Context, id int64, f runFilter) (automationData, error) {
	a, err := h.svc.Automation(ctx, id)
	if err != nil {
		return automationData{}, err
	}
	s, err := h.summarize(ctx, a)
	if err != nil {
		return automationData{}, err
	}
	runs, err := h.readRunsView(ctx, id, "/automations/"+itoa(id), f)
	if err != nil {
		return automationData{}, err
	}
	if runs.RunList.Pages, err = h.svc.ContactPages(ctx, id); err != nil {
		return automationData{}, err
	}
	runs.RunList.RetryBlocked = s.RetryBlocked()
	runs.RunList.BackQuery = f.Query()
	runs.RunList.Removed = s.PrunedTotal() > 0 || s.HistoryDeleted.Runs > 0
	runs.RunList.Empty = emptyRunsFor(runs.Filter, runs.Path, &s, runs.RunList.Removed)
	detection, err := h.svc.Detection(ctx, a.Automation)
	if err != nil {
		return automationData{}, err
	}
	d := automationData{automationSummary: s, runsView: runs, Detection: detection}
	if a.Status.Draft() || a.Status.Stopped() || a.Status == autocred.AutomationArchived {
		if d.Twins, err = h.svc.Twins(ctx, id); err != nil {
			return automationData{}, err
		}
		d.ConfirmTwin = len(d.Twins) > 0
	}
	return d, nil
}

// TwinNames names the Twins for a sentence: "X", or "X" and "Y".
func (d automationData) TwinNames() string {
	names := make([]string, len(d.Twins))
	for i, t := range d.Twins {
		names[i] = strconv.Quote(t.Name)
	}
	return autocred.AndList(names)
}

// searchPage lists the runs of every automation that the filter
// selects: the search for a person, from the box at the top of every
// page, when the operator does not know (or care) which automation gave
// the credential.
func (h *handler) searchPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.readRunsView(r.Context(), 0, "/runs", readRunFilter(r.URL.Query(), requestZone(r)))
	if err != nil {
		return err
	}
	if d.RunList.Owners, err = h.svc.RunOwners(r.Context()); err != nil {
		return err
	}
	d.RunList.BackQuery = d.Filter.Query()
	if d.RunList.Removed, err = h.svc.RunsRemoved(r.Context()); err != nil {
		return err
	}
	d.RunList.Empty = emptyRunsFor(d.Filter, d.Path, nil, d.RunList.Removed)
	title := "Find a person"
	if d.Filter.Search != "" {
		title = d.Filter.Search + " · " + title
	}
	return h.render(w, r, http.StatusOK, "runs", view{Title: title, Nav: "runs", Data: d})
}

// runsPage reads the page of runs the filter's cursor asks for, with the
// cursors to the older and the newer pages. A page back that comes short
// of a full page has reached the newest runs: the first page is shown
// instead (and the filter loses its cursor), so that paging back always
// ends on the page the list starts with.
func (h *handler) runsPage(ctx context.Context, id int64, f *runFilter) (runs []autocred.Run, next, newer int64, err error) {
	runs, next, err = h.svc.Runs(ctx, f.forAutomation(id))
	if err != nil {
		return nil, 0, 0, err
	}
	if f.Before > 0 && len(runs) < runsPerPage {
		f.Before = 0
		runs, next, err = h.svc.Runs(ctx, f.forAutomation(id))
		if err != nil {
			return nil, 0, 0, err
		}
	}
	if (f.After > 0 || f.Before > 0) && len(runs) > 0 {
		back := f.forAutomation(id)
		back.After, back.Before, back.Limit = 0, runs[0].ID, 1
		if newest, _, err := h.svc.Runs(ctx, back); err != nil {
			return nil, 0, 0, err
		} else if len(newest) > 0 {
			newer = runs[0].ID
		}
	}
	return runs, next, newer, nil
}

// DetectionLabel says how the trigger sees a contact enter, as it is now:
// "instant (webhook), and checked every 10 minutes" while ActiveCampaign's
// webhook hints flow for the connection, "checked every minute" when the
// segment is only read on a schedule; and whether it is read at all.
func (d automationData) DetectionLabel() string {
	how := "checked every " + everyWords(d.Detection.Every)
	if d.Detection.Instant {
		how = "instant (webhook), and checked every " + everyWords(d.Detection.Every)
	}
	switch {
	case d.Status == autocred.AutomationArchived:
		return "not read: archived"
	case d.Status.Draft():
		return how + " once active"
	case d.Status.Stopped():
		return "not read while " + strings.ToLower(statusLabel(d.Status)) + "; " + how + " once resumed"
	}
	return how
}

// everyWords is an interval after "every": "minute", "10 minutes".
func everyWords(d time.Duration) string {
	w := durationWords(d)
	if rest, ok := strings.CutPrefix(w, "1 "); ok && !strings.Contains(rest, " ") {
		return rest
	}
	return w
}

// runsPerPage is how many runs a page of the list shows: the store's
// default page.
const runsPerPage = 50

func (h *handler) automationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return h.renderAutomation(w, r, http.StatusOK, id, "")
}

func (h *handler) renderAutomation(w http.ResponseWriter, r *http.Request, status int, id int64, topErr string) error {
	return h.renderAutomationData(w, r, status, id, topErr, func(*automationData) {})
}

// renderAutomationData is renderAutomation with the page's data adjusted
// by set first.
func (h *handler) renderAutomationData(w http.ResponseWriter, r *http.Request, status int, id int64, topErr string, set func(*automationData)) error {
	d, err := h.automationData(r.Context(), id, readRunFilter(r.URL.Query(), requestZone(r)))
	if err != nil {
		return err
	}
	set(&d)
	if f, ok := h.takeRefusal(w, r); ok && topErr == "" {
		topErr, d.ConfirmTwin = f.Error, d.ConfirmTwin || f.Twin
		if d.CatchUp == nil {
			d.CatchUp = catchUpChoice(f.CatchUp)
		}
	}
	return h.render(w, r, status, "automation", view{Title: d.Name, Nav: "automations", Error: topErr, Data: d})
}

// automationLive is the automation page's summary and runs, for live
// refresh with the page's own filter.
func (h *handler) automationLive(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := h.automationData(r.Context(), id, readRunFilter(r.URL.Query(), requestZone(r)))
	if err != nil {
		return err
	}
	summary, err := h.fragment("automationSummary", d.automationSummary)
	if err != nil {
		return err
	}
	runs, err := h.fragment("runRows", d.RunList)
	if err != nil {
		return err
	}
	total, err := h.fragment("runTotal", d)
	if err != nil {
		return err
	}
	unconfirmed, err := h.fragment("unconfirmed", d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"regions": map[string]string{"summary": summary, "runs": runs, "total": total, "unconfirmed": unconfirmed}})
	return nil
}

type runData struct {
	service.RunView
	Automation service.AutomationView
	// ContactURL is the contact's page in ActiveCampaign, "" when not
	// known for sure.
	ContactURL string
}

// SentValues is what the run sent, labelled as the automation's mapping
// form labels its inputs.
func (d runData) SentValues() []autocred.SentValue {
	if d.Sent == nil {
		return nil
	}
	return d.Sent.Values(d.Automation.Action.CustomAttributeNames)
}

// SentHeading and SentNote say what the run sent to Certifier, truthfully
// for its state: a credential made from it, a call Certifier did not
// confirm and that is tried again, a run that stopped. An empty note: the
// section is not shown (a run finished before runs kept what they sent).
func (d runData) SentHeading() string {
	if d.Sent == nil && d.Status == autocred.RunPending {
		return "What will be sent"
	}
	if d.Sent == nil {
		return "What was sent"
	}
	if d.Status == autocred.RunIssued || d.Status == autocred.RunDraft || d.Status == autocred.RunSendUnconfirmed {
		return "What was sent"
	}
	return fmt.Sprintf("What attempt %d sent", d.Sent.Attempt)
}

func (d runData) SentNote() string {
	inDoubt := d.Step == autocred.StepCreate // sent, and what came of it is to be asked first
	if d.Sent == nil {
		switch d.Status {
		case autocred.RunPending:
			return "Nothing was sent to Certifier yet. The next attempt sends the contact as ActiveCampaign has it then, through the automation's mapping."
		case autocred.RunFailed, autocred.RunSkipped:
			return "Nothing was sent to Certifier: no credential was made and no email went out (the message above says why the run stopped)."
		}
		return ""
	}
	how := " (created as a draft)"
	if d.Sent.OneCall() {
		how = " (created, issued and emailed in one call)"
	}
	switch d.Status {
	case autocred.RunIssued, autocred.RunDraft, autocred.RunSendUnconfirmed:
		return fmt.Sprintf("As attempt %d sent it to Certifier, which made the credential from it%s: later changes to the contact or the mapping do not change it.", d.Sent.Attempt, how)
	case autocred.RunPending:
		if inDoubt {
			return "Certifier did not confirm a credential from it (the message above says why). The run goes on by itself: it first asks Certifier whether this attempt made the credential after all, and sends again only if not, with the contact and the mapping as they are then."
		}
		return "Certifier made no credential from it. The next attempt sends the contact and the mapping as they are then."
	case autocred.RunSkipped:
		return "No credential was made from it and no email went out: the run was skipped (the message above says why)."
	}
	if inDoubt {
		return "Certifier did not confirm a credential from it (the message above says why). Retrying this run first asks Certifier whether it was made, and sends again only if not."
	}
	return "Certifier made no credential from it (the message above says why). Retrying this run sends the contact and the mapping as they are then."
}

// logLine is a line of the run's event log as the page shows it.
type logLine struct {
	At      time.Time
	Text    template.HTML // the message, its times in the browser's zone (says)
	Attempt bool          // a create call: highlighted
}

// LogLines is the run's log as the page shows it. The last line, when it
// says why the run waits, ends with when it is tried next: the time its
// job is scheduled for, read when the page is drawn, so never stale.
func (d runData) LogLines() []logLine {
	out := make([]logLine, 0, len(d.Events))
	for i, ev := range d.Events {
		text := says(ev.Message)
		if _, wait := autocred.ParseWaitLine(ev.Message, ev.At); wait && i == len(d.Events)-1 && d.Waiting() && !d.NextAttemptAt.IsZero() {
			text += " Next attempt at " + clockAt(d.NextAttemptAt) + "."
		}
		out = append(out, logLine{At: ev.At, Text: text, Attempt: ev.Sent != nil})
	}
	return out
}

func (h *handler) runData(ctx context.Context, r *http.Request) (runData, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return runData{}, err
	}
	run, err := h.svc.Run(ctx, id)
	if err != nil {
		return runData{}, err
	}
	a, err := h.svc.Automation(ctx, run.AutomationID)
	if err != nil {
		return runData{}, err
	}
	pages, err := h.svc.ContactPages(ctx, run.AutomationID)
	return runData{RunView: run, Automation: a, ContactURL: pages.URL(run.ContactID)}, err
}

func (h *handler) runPage(w http.ResponseWriter, r *http.Request) error {
	return h.renderRun(w, r, http.StatusOK, "")
}

// renderRun writes the run's page, with topErr (an action refused) at the
// top.
func (h *handler) renderRun(w http.ResponseWriter, r *http.Request, status int, topErr string) error {
	d, err := h.runData(r.Context(), r)
	if err != nil {
		return err
	}
	if f, ok := h.takeRefusal(w, r); ok && topErr == "" {
		topErr = f.Error
	}
	return h.render(w, r, status, "run", view{Title: "Run " + itoa(d.ID), Nav: "automations", Error: topErr, Data: d})
}

// runLive is the run's status and log, for live refresh after a retry.
func (h *handler) runLive(w http.ResponseWriter, r *http.Request) error {
	d, err := h.runData(r.Context(), r)
	if err != nil {
		return err
	}
	body, err := h.fragment("runDetail", d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"regions": map[string]string{"run": body}})
	return nil
}

// actor is who makes a request, as a run's log names who retried or
// resent it: the signed-in user's email.
func actor(r *http.Request) string {
	if u := userFrom(r.Context()); u != nil {
		return u.Email
	}
	return "a signed-in user"
}

// retryRun queues a failed or skipped run again and returns to where the
// button was: the run's page or the automation's runs, with their filter.
// A refusal (the automation is stopped, the run is not retryable) is
// shown, after a redirect, at the top of the run's page, which says what
// to do. A second Retry of a run the first one already queued (a double
// click, or two tabs) finds it pending or issued by that retry: it did
// what was asked, and says so as the first did.
func (h *handler) retryRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	run, err := h.svc.RetryRun(r.Context(), id, actor(r))
	if code := autocred.ErrorCode(err); err != nil && code != autocred.EINTERNAL && code != autocred.ENOTFOUND {
		if again, aerr := h.svc.Run(r.Context(), id); aerr == nil && retriedAlready(again) {
			return seeOther(w, r, retryBack(r, id, again.AutomationID))
		}
		return h.refuse(w, r, "/runs/"+itoa(id), refusal{Error: userMessage(err)})
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, retryBack(r, id, run.AutomationID))
}

// retriedAlready tells whether a run a retry was refused for is one that
// a retry already queued: pending or issued since a line of its log that
// says who asked for a retry.
func retriedAlready(run service.RunView) bool {
	switch run.Status {
	case autocred.RunPending, autocred.RunIssued, autocred.RunSendUnconfirmed:
	default:
		return false
	}
	return slices.ContainsFunc(run.Events, func(e autocred.RunEvent) bool { return strings.HasPrefix(e.Message, "Retry requested by ") })
}

// retryBack is where a retry returns, with "Retry queued." at the top:
// the automation's runs or the search across automations it was pressed
// in, with their filter (read again, so that the address stays one of
// ours), or the run's page.
func retryBack(r *http.Request, runID, automationID int64) string {
	q, _ := url.ParseQuery(r.PostFormValue("back_query"))
	v, _ := url.ParseQuery(readRunFilter(q, requestZone(r)).Query())
	v.Set("done", "retried")
	switch r.PostFormValue("back") {
	case "automation":
		return "/automations/" + itoa(automationID) + "?" + v.Encode()
	case "runs":
		return "/runs?" + v.Encode()
	}
	return "/runs/" + itoa(runID) + "?done=retried"
}

// resendEmail sends the email of the run's credential again. A refusal
// (no credential, resent moments ago, Certifier's answer) is shown, after
// a redirect, at the top of the run's page, which says what happened in
// its log: reloading that page never sends the email again.
func (h *handler) resendEmail(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := h.svc.ResendEmail(r.Context(), id, actor(r)); err != nil {
		code := autocred.ErrorCode(err)
		if code == autocred.EINTERNAL || code == autocred.ENOTFOUND {
			return err
		}
		fe, _ := h.formErrors(r, err, func(string) bool { return false })
		return h.refuse(w, r, "/runs/"+itoa(id), refusal{Error: fe.Top})
	}
	return seeOther(w, r, "/runs/"+itoa(id)+"?done=resent")
}
