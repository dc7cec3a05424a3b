package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string // part of the error; "" for none
	}{
		{"", 0, ""},
		{"0", 0, ""},
		{"400d", 400 * day, ""},
		{" 400D ", 400 * day, ""},
		{"1d", day, ""},
		{"9600h", 400 * day, ""},
		{"36h30m", 36*time.Hour + 30*time.Minute, ""},
		{"-5d", 0, "negative"},
		{"-48h", 0, "negative"},
		{"12h", 0, "less than a day"},
		{"0d", 0, "less than a day"},
		{"1.5d", 0, "not a whole number of days"},
		{"forever", 0, "not a number of days or a duration"},
		{"400", 0, "not a number of days or a duration"},
		{"99999999d", 0, "to keep every run, leave it unset"},
		{"36500d", 36500 * day, ""},
		{"36501d", 0, "more than 36500d"},
		{"900000h", 0, "more than 36500d"},
	} {
		got, err := parseRetention(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("parseRetention(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "400d")):
			t.Errorf("parseRetention(%q) = %v, %v; want an error saying %q and what to write", tc.in, got, err, tc.err)
		}
	}
}

// A retention that makes no sense stops serve before it opens anything,
// with what to write, whether it came as a flag or in the environment.
func TestServeRefusesANonsenseRetention(t *testing.T) {
	var stderr strings.Builder
	if code := run(context.Background(), []string{"serve", "--run-retention", "-30d"}, io.Discard, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "-run-retention") || !strings.Contains(stderr.String(), "negative") || !strings.Contains(stderr.String(), "400d") {
		t.Errorf("--run-retention -30d: exit %d, %q", code, stderr.String())
	}
	t.Setenv("AUTOCRED_RUN_RETENTION", "6h")
	stderr.Reset()
	if code := run(context.Background(), []string{"serve"}, io.Discard, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "AUTOCRED_RUN_RETENTION") || !strings.Contains(stderr.String(), "less than a day") {
		t.Errorf("AUTOCRED_RUN_RETENTION=6h: exit %d, %q", code, stderr.String())
	}
	var r retention
	if err := r.Set("400d"); err != nil || r.String() != "400d" || time.Duration(r) != 400*day {
		t.Errorf("400d reads as %q (%v), %v", r.String(), time.Duration(r), err)
	}
}
