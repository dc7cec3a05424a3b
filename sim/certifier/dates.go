package certifier

import (
	"regexp"
	"time"
)

const (
	dateLayout = "2006-01-02"
	// timeLayout is how the API writes createdAt and updatedAt: ISO-8601
	// in UTC with milliseconds. Its fixed width makes the strings sort like
	// the times, which the cursors rely on.
	timeLayout = "2006-01-02T15:04:05.000Z"
)

var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// checkDate accepts only YYYY-MM-DD naming a real day, as the spec requires
// of issueDate and expiryDate ("any other format makes the run fail").
func checkDate(field, v string) *apiError {
	if !datePattern.MatchString(v) {
		return validationError("%s must be a date in YYYY-MM-DD format, got %q", field, v)
	}
	if _, err := time.Parse(dateLayout, v); err != nil {
		return validationError("%s %q is not a real date", field, v)
	}
	return nil
}

// addMonths moves a YYYY-MM-DD date by months, keeping the day of the month
// but never past the month's end (2024-01-31 + 1 month is 2024-02-29, not a
// day in March): a "24 months" expiry must not drift into another month.
func addMonths(date string, months int) string {
	t, _ := time.Parse(dateLayout, date) // callers pass checked dates
	first := time.Date(t.Year(), t.Month()+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	lastDay := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(t.Day(), lastDay), 0, 0, 0, 0, time.UTC).Format(dateLayout)
}
