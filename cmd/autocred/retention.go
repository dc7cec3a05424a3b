package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// retention is --run-retention: how long a finished run and its log are
// kept after they last changed. Zero keeps every run.
type retention time.Duration

const day = 24 * time.Hour

// maxRetentionDays keeps a number of days within what a time.Duration
// holds (about 292 years).
const maxRetentionDays = 100 * 365

const retentionUsage = "how long finished runs and their logs are kept after they last changed, " +
	"in days (`400d`) or as a duration (9600h), at least a day; older ones are deleted, a few hundred at a time. " +
	"Runs still pending or whose email is unconfirmed, and the ledger of who is in each segment, are never deleted; the automations' counts keep the runs deleted. " +
	"Unset or 0: keep every run"

// retentionFix says what to write, for every error.
const retentionFix = "write a number of days such as 400d, or a duration of at least a day such as 9600h; 0 keeps every run"

func (r *retention) String() string {
	if r == nil || *r == 0 {
		return ""
	}
	if d := time.Duration(*r); d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return time.Duration(*r).String()
}

func (r *retention) Set(s string) error {
	d, err := parseRetention(s)
	if err != nil {
		return err
	}
	*r = retention(d)
	return nil
}

// parseRetention reads a retention: a whole number of days ("400d"), a Go
// duration ("9600h"), or "0" (or nothing) for none. A retention under a
// day is refused: it would delete the record of runs that are barely
// finished, which is never what was meant.
func parseRetention(s string) (time.Duration, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "0" {
		return 0, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		switch {
		case err != nil:
			return 0, fmt.Errorf("%q is not a whole number of days: %s", s, retentionFix)
		case n > maxRetentionDays:
			return 0, fmt.Errorf("%q is more than %dd (100 years): write fewer days, such as 400d; to keep every run, leave it unset", s, maxRetentionDays)
		}
		d = time.Duration(n) * day
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a number of days or a duration: %s", s, retentionFix)
		}
	}
	switch {
	case d < 0:
		return 0, fmt.Errorf("%q is negative: %s", s, retentionFix)
	case d < day:
		return 0, fmt.Errorf("%q is less than a day: runs are kept at least a day; %s", s, retentionFix)
	case d > maxRetentionDays*day:
		return 0, fmt.Errorf("%q is more than %dd (100 years): write fewer days, such as 400d; to keep every run, leave it unset", s, maxRetentionDays)
	}
	return d, nil
}
