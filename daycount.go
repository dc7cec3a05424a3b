package autocred

import "time"

// DayCount is how many of an automation's runs reached a final status on
// one calendar day, for the charts of the UI.
type DayCount struct {
	Day     time.Time // the day's midnight, in the zone the days were counted in
	Issued  int       // issued, with the email's send confirmed or not
	Draft   int       // created as drafts (the automation's Issue is off)
	Skipped int
	Failed  int
}

// Total is every run finished that day.
func (d DayCount) Total() int { return d.Issued + d.Draft + d.Skipped + d.Failed }
