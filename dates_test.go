package autocred

import (
	"strings"
	"testing"
	"time"
)

// TestOffsetsClampToMonthEnd: a month or year offset lands in the intended
// month, on the same day or, when that month is shorter, on its last day.
func TestOffsetsClampToMonthEnd(t *testing.T) {
	tests := []struct {
		today, token, want string
	}{
		{"2026-01-31", "today+1m", "2026-02-28"},
		{"2028-01-31", "today+1m", "2028-02-29"}, // leap year
		{"2026-03-31", "today+1m", "2026-04-30"},
		{"2026-05-31", "today+1m", "2026-06-30"},
		{"2026-12-31", "today+1m", "2027-01-31"},
		{"2026-01-15", "today+1m", "2026-02-15"},
		{"2026-08-31", "today+6m", "2027-02-28"},
		{"2027-08-31", "today+6m", "2028-02-29"},
		{"2026-03-31", "today+6m", "2026-09-30"},
		{"2026-12-31", "today+6m", "2027-06-30"},
		{"2026-01-31", "today+12m", "2027-01-31"},
		{"2027-02-28", "today+12m", "2028-02-28"},
		{"2028-02-29", "today+12m", "2029-02-28"},
		{"2028-02-29", "today+1y", "2029-02-28"},
		{"2028-02-29", "today+4y", "2032-02-29"},
		{"2026-01-31", "today+1y", "2027-01-31"},
		{"2026-01-31", "today+30d", "2026-03-02"}, // days are days
		{"2026-12-31", "today+1d", "2027-01-01"},
		{"2026-01-31", "today", "2026-01-31"},
	}
	for _, tt := range tests {
		t.Run(tt.today+" "+tt.token, func(t *testing.T) {
			day, err := time.Parse(time.DateOnly, tt.today)
			if err != nil {
				t.Fatal(err)
			}
			tpl, err := ParseTemplate("action.expiry_date", "{{"+tt.token+"}}")
			if err != nil {
				t.Fatal(err)
			}
			if got := tpl.Render(RenderData{Today: day}); got != tt.want {
				t.Errorf("{{%s}} on %s = %s, want %s", tt.token, tt.today, got, tt.want)
			}
		})
	}
}

// TestOffsetPastYear9999Refused: an offset that cannot give a four-digit
// year is refused when the mapping is parsed, in any input, as the README
// promises; large offsets that stay within the year 9999 are kept.
func TestOffsetPastYear9999Refused(t *testing.T) {
	for _, src := range []string{"{{today+9999y}}", "{{today+8000y}}", "Expires {{today+9999y}}"} {
		_, err := ParseTemplate("action.expiry_date", src)
		if err == nil || ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "YYYY-MM-DD") || !strings.Contains(err.Error(), "smaller offset") {
			t.Errorf("ParseTemplate(%q) = %v; want a refusal that says why and what to do", src, err)
		}
	}
	for _, src := range []string{"{{today+9999d}}", "{{today+9999m}}", "{{today+100y}}", "{{today+1000y}}"} {
		if _, err := ParseTemplate("action.expiry_date", src); err != nil {
			t.Errorf("ParseTemplate(%q) = %v; it gives a four-digit year", src, err)
		}
	}
	// An offset that gives a four-digit year today but not in a few
	// years is refused too: a saved mapping must not start failing.
	for _, src := range []string{"{{today+7973y}}", "{{today+1001y}}"} {
		_, err := ParseTemplate("action.expiry_date", src)
		if err == nil || !strings.Contains(err.Error(), "at most 1000 years") {
			t.Errorf("ParseTemplate(%q) = %v; want it refused as too far ahead", src, err)
		}
	}
}
