package autocred

import (
	"time"
)

// maxYear is the last year a YYYY-MM-DD date can write: Certifier takes
// dates only in that form (docs/api-notes/certifier.md §3.2).
const maxYear = 9999

// maxOffsetYears bounds a {{today+N}} offset: far beyond any credential's
// life, and far enough from maxYear that an offset saved now never gives a
// five-digit year later.
const maxOffsetYears = 1000

// addCalendar adds n days, months or years (unit 'd', 'm' or 'y') to the
// calendar date of day and returns that date at midnight UTC; only its
// year, month and day mean anything.
//
// Month and year steps keep the day of the month when the target month has
// it, and clamp to the target month's last day when it does not: 31 January
// plus one month is 28 (or 29) February, 29 February plus one year is
// 28 February. That is what people mean by "in a month" and what most date
// libraries do (java.time's plusMonths, Python's dateutil relativedelta);
// Go's AddDate instead normalises 31 February to 3 March, a date in the
// wrong month.
//
// The arithmetic is done on the calendar date in UTC, so that a
// daylight-saving change in the automation's zone never moves a date.
func addCalendar(day time.Time, n int, unit byte) time.Time {
	y, m, d := day.Date()
	base := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	months := 0
	switch unit {
	case 'd':
		return base.AddDate(0, 0, n)
	case 'm':
		months = n
	case 'y':
		months = 12 * n
	default:
		return base
	}
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	return time.Date(first.Year(), first.Month(), min(d, daysIn(first)), 0, 0, 0, 0, time.UTC)
}

// daysIn is the number of days of the month of t (a date in UTC).
func daysIn(t time.Time) int {
	return time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// localDate is the calendar date of the instant t in loc, at midnight UTC:
// 23:30 in Chicago on 19 May is 19 May there, although it is already
// 20 May in UTC.
func localDate(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
