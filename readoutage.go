package autocred

import (
	"fmt"
	"strings"
	"time"
)

// SyncOutagePrefix begins an automation's LastSyncError when its segment
// could not be read because ActiveCampaign did not answer, or answered
// with a server error (5xx) or kept asking to slow down: an outage,
// which autocred rides out by itself (the next sync reads again), not a
// mistake to fix. The pages show it as calmly as a Certifier outage
// (Automation.SyncOutage), and never in Certifier's words.
const SyncOutagePrefix = "ActiveCampaign is not answering"

// SyncOutage tells whether the automation's last sync failed because
// ActiveCampaign was unreachable or failing (SyncOutagePrefix).
func (a Automation) SyncOutage() bool {
	return strings.HasPrefix(a.LastSyncError, SyncOutagePrefix)
}

// SyncOutageCause is why ActiveCampaign did not answer, as the outage's
// message says it between parentheses ("the connection was refused:
// nothing is listening at that address"); "" when the last sync did not
// fail for an outage.
func (a Automation) SyncOutageCause() string {
	if !a.SyncOutage() {
		return ""
	}
	rest := strings.TrimPrefix(a.LastSyncError, SyncOutagePrefix+" (")
	if rest == a.LastSyncError {
		return ""
	}
	cause, _, ok := strings.Cut(rest, "): ")
	if !ok {
		return ""
	}
	return cause
}

// ReadOutage is an ActiveCampaign connection whose segments cannot be read
// now, as its automations' last syncs tell: since when, when a read last
// worked, when the next is due, and how many automations wait.
type ReadOutage struct {
	// Since is when the first failing read began (the earliest of the
	// automations'), LastOK when a read last worked (the latest; zero
	// when none ever did), NextTry when the next read is due (the
	// earliest).
	Since, LastOK, NextTry time.Time
	Automations            int
}

// Add counts automation a in the outage when its last sync failed for
// one (Automation.SyncOutage); it tells whether it did.
func (o *ReadOutage) Add(a Automation) bool {
	if !a.SyncOutage() {
		return false
	}
	since := a.SyncFailingSince
	if since.IsZero() {
		since = a.LastSyncAt
	}
	if o.Since.IsZero() || since.Before(o.Since) {
		o.Since = since
	}
	if a.LastSyncOKAt.After(o.LastOK) {
		o.LastOK = a.LastSyncOKAt
	}
	if !a.NextSyncAt.IsZero() && (o.NextTry.IsZero() || a.NextSyncAt.Before(o.NextTry)) {
		o.NextTry = a.NextSyncAt
	}
	o.Automations++
	return true
}

// Notice says the outage in words, for the API and the log (the pages
// show the times in the reader's zone): since when, what waits, the last
// read that worked, the next attempt, and that nothing needs doing.
func (o ReadOutage) Notice() string {
	last := "no read has worked yet"
	if !o.LastOK.IsZero() {
		last = "last successful read " + o.LastOK.UTC().Format(noticeTime)
	}
	next := ""
	if !o.NextTry.IsZero() {
		next = "; next attempt at " + o.NextTry.UTC().Format(noticeTime)
	}
	what := "1 automation's segment"
	if o.Automations != 1 {
		what = fmt.Sprintf("%s automations' segments", Thousands(o.Automations))
	}
	return fmt.Sprintf("ActiveCampaign is not answering, since %s: %s cannot be read (%s). Nothing was changed; autocred retries automatically%s. If it lasts, check the connection's API URL and ActiveCampaign's status.",
		o.Since.UTC().Format(noticeTime), what, last, next)
}
