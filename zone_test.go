package autocred

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestTodayInTheAutomationsZone: {{today}} and its offsets are the
// calendar date where the automation is, not in UTC: a contact who
// completes at 23:30 in Chicago (UTC−6 in winter) gets that day, not UTC's
// tomorrow, and a daylight-saving change moves no date.
func TestTodayInTheAutomationsZone(t *testing.T) {
	tests := []struct {
		name, zone, instant, token, want string
	}{
		{"23:30 at UTC-6 (Chicago, winter)", "America/Chicago", "2027-01-20T05:30:00Z", "today", "2027-01-19"},
		{"same instant in UTC", "UTC", "2027-01-20T05:30:00Z", "today", "2027-01-20"},
		{"22:07 in Chicago, summer", "America/Chicago", "2026-07-15T03:07:00Z", "today", "2026-07-14"},
		{"+1y from Chicago's date", "America/Chicago", "2027-01-20T05:30:00Z", "today+1y", "2028-01-19"},
		{"month end in the zone, not in UTC", "America/Chicago", "2026-02-01T05:30:00Z", "today+1m", "2026-02-28"}, // 31 Jan in Chicago
		{"spring forward day, 23:30 CDT", "America/Chicago", "2026-03-09T04:30:00Z", "today", "2026-03-08"},
		{"spring forward day, +1d", "America/Chicago", "2026-03-09T04:30:00Z", "today+1d", "2026-03-09"},
		{"spring forward day, 00:30 CST", "America/Chicago", "2026-03-08T06:30:00Z", "today+1m", "2026-04-08"},
		{"fall back day, 23:30 CST", "America/Chicago", "2026-11-02T05:30:00Z", "today", "2026-11-01"},
		{"fall back day, +1y", "America/Chicago", "2026-11-02T05:30:00Z", "today+1y", "2027-11-01"},
		{"east of UTC, already tomorrow", "Asia/Tokyo", "2026-12-31T15:30:00Z", "today", "2027-01-01"},
		{"Europe's change day", "Europe/Paris", "2026-03-29T21:59:00Z", "today+6m", "2026-09-29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			instant, err := time.Parse(time.RFC3339, tt.instant)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseMapping(Action{RecipientName: "x", RecipientEmail: "{{contact.email}}", IssueDate: "{{" + tt.token + "}}", TimeZone: tt.zone})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.template(InputIssueDate).Render(RenderData{Today: instant}); got != tt.want {
				t.Errorf("{{%s}} at %s in %s = %s, want %s", tt.token, tt.instant, tt.zone, got, tt.want)
			}
		})
	}
}

// TestTimeZoneChecked: an automation's zone is an IANA name; anything else
// is refused on its own input with what to write; empty is the server's.
func TestTimeZoneChecked(t *testing.T) {
	for _, zone := range []string{"America/Chicago", "UTC", "Europe/Paris", "Etc/GMT+6", " Asia/Tokyo "} {
		m, err := ParseMapping(Action{RecipientName: "x", RecipientEmail: "y", TimeZone: zone})
		if err != nil || m.TimeZone != strings.TrimSpace(zone) {
			t.Errorf("zone %q: %v, %q", zone, err, m.TimeZone)
		}
	}
	for _, zone := range []string{"Mars/Olympus", "Local", "../../etc/passwd", "/usr/share/zoneinfo/UTC", "America/Chicago\x00", strings.Repeat("A", 65)} {
		_, err := ParseMapping(Action{RecipientName: "x", RecipientEmail: "y", TimeZone: zone})
		var e *Error
		if !errors.As(err, &e) || e.Field != "action.time_zone" || !strings.Contains(e.Message, "IANA name") {
			t.Errorf("zone %q: %v; want an error on action.time_zone saying to write an IANA name", zone, err)
		}
	}
	m, err := ParseMapping(Action{RecipientName: "x", RecipientEmail: "y"})
	if err != nil || m.TimeZone != LocalTimeZone() || m.TimeZone == "" {
		t.Errorf("no zone: %v, %q; want the server's, %q", err, m.TimeZone, LocalTimeZone())
	}
}

// TestLocalTimeZone: the default zone is the server's, named as IANA
// names it, from where Go itself reads it (UTC as UTC, whatever alias
// names it); UTC when nothing names it.
func TestLocalTimeZone(t *testing.T) {
	noFile := func(string) ([]byte, error) { return nil, errors.New("no file") }
	noLink := func(string) (string, error) { return "", errors.New("not a link") }
	link := func(target string) func(string) (string, error) {
		return func(string) (string, error) { return target, nil }
	}
	file := func(body string) func(string) ([]byte, error) {
		return func(string) ([]byte, error) { return []byte(body), nil }
	}
	tests := []struct {
		name     string
		tz       *string
		readlink func(string) (string, error)
		readFile func(string) ([]byte, error)
		want     string
	}{
		{"TZ names a zone", ptr("America/Chicago"), link("/usr/share/zoneinfo/Europe/Paris"), noFile, "America/Chicago"},
		{"TZ with a colon", ptr(":Europe/Paris"), noLink, noFile, "Europe/Paris"},
		{"TZ empty is UTC", ptr(""), link("/usr/share/zoneinfo/Europe/Paris"), noFile, "UTC"},
		{"TZ a zoneinfo path", ptr("/usr/share/zoneinfo/Asia/Tokyo"), noLink, noFile, "Asia/Tokyo"},
		{"TZ unknown falls through", ptr("Nowhere/Land"), link("/usr/share/zoneinfo/America/New_York"), noFile, "America/New_York"},
		{"/etc/localtime link", nil, link("/usr/share/zoneinfo/America/New_York"), noFile, "America/New_York"},
		{"/etc/localtime relative link", nil, link("../usr/share/zoneinfo/America/Chicago"), noFile, "America/Chicago"},
		// UTC is named UTC under its aliases: "days in Etc/UTC" puzzles.
		{"/etc/localtime to Etc/UTC", nil, link("../usr/share/zoneinfo/Etc/UTC"), noFile, "UTC"},
		{"TZ Zulu", ptr("Zulu"), noLink, noFile, "UTC"},
		{"/etc/localtime a copy, /etc/timezone", nil, noLink, file("Europe/Berlin\n"), "Europe/Berlin"},
		{"/etc/timezone unknown", nil, noLink, file("Atlantis\n"), "UTC"},
		{"nothing", nil, noLink, noFile, "UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := func(string) (string, bool) {
				if tt.tz == nil {
					return "", false
				}
				return *tt.tz, true
			}
			if got := utcAlias(localZoneFrom(env, tt.readlink, tt.readFile)); got != tt.want {
				t.Errorf("= %q, want %q", got, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }
