package web

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
)

// On the list's shared scale, an automation with a run or two a day beside
// one with hundreds still shows its days as bars (at least minBar high),
// with the exact numbers in each bar's tooltip; a busy day keeps its
// proportions and stays inside the plot.
func TestChartSmallDaysStayVisible(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		count   autocred.DayCount
		top     int
		heights map[string]float64 // per series; 0: no bar
		tooltip string
	}{
		{"one issued on a scale of 400", autocred.DayCount{Issued: 1}, 400, map[string]float64{"issued": minBar}, "1 issued"},
		{"one issued and one failed", autocred.DayCount{Issued: 1, Failed: 1}, 400, map[string]float64{"issued": minBar, "failed": minBar}, "1 issued, 1 failed"},
		{"half the scale", autocred.DayCount{Issued: 200}, 400, map[string]float64{"issued": 25.5}, "200 issued"},
		// The peak with a tiny part: the whole bar stays within the plot.
		{"peak and one failed", autocred.DayCount{Issued: 400, Failed: 1}, 400, map[string]float64{"issued": 51 - minBar, "failed": minBar}, "400 issued, 1 failed"},
		{"nothing", autocred.DayCount{}, 400, map[string]float64{}, "nothing finished"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.count
			d.Day = day
			svg := string(chart([]autocred.DayCount{d}, "UTC", tc.top, "small"))
			got := map[string]float64{}
			for _, m := range barRe.FindAllStringSubmatch(svg, -1) {
				h, _ := strconv.ParseFloat(m[2], 64)
				got[m[1]] = h
			}
			if len(got) != len(tc.heights) {
				t.Errorf("bars %v, want %v", got, tc.heights)
			}
			for series, want := range tc.heights {
				if h := got[series]; h < want-0.01 || h > want+0.01 {
					t.Errorf("%s bar %.2f high, want %.2f", series, h, want)
				}
			}
			if !strings.Contains(svg, "<title>Tue Mar 10: "+tc.tooltip+"</title>") {
				t.Errorf("the bar's tooltip does not say %q:\n%s", tc.tooltip, svg)
			}
		})
	}
}

// Every chart's labels are at least 11 px where the chart is drawn at its
// own size (the list's); the page's charts are checked as rendered by the
// browser test.
func TestChartLabelsAreReadable(t *testing.T) {
	t.Parallel()
	days := []autocred.DayCount{{Day: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), Issued: 3}}
	size := regexp.MustCompile(`font-size="(\d+)"`)
	for name := range chartSizes {
		svg := string(chart(days, "UTC", 3, name))
		sizes := size.FindAllStringSubmatch(svg, -1)
		if len(sizes) == 0 {
			t.Fatalf("%s chart has no labels", name)
		}
		for _, m := range sizes {
			if n, _ := strconv.Atoi(m[1]); n < 11 {
				t.Errorf("%s chart has a label of %d units, want 11 or more", name, n)
			}
		}
	}
}

// The count labels fit left of the plot, whatever the top of the scale:
// on a phone, the list's chart cut "2,500" to ",500" (tester 4, finding
// 11). Each label's left end, as wide as labelWidth says, is inside the
// chart.
func TestChartCountLabelsFit(t *testing.T) {
	t.Parallel()
	days := []autocred.DayCount{{Day: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), Issued: 3}}
	label := regexp.MustCompile(`<text class="axis y" x="([0-9.]+)" y="[0-9.]+" text-anchor="end" font-size="(\d+)" fill="#5b6575">([0-9,]+)</text>`)
	for name := range chartSizes {
		for _, top := range []int{3, 96, 2500, 125000, 3000000} {
			svg := string(chart(days, "UTC", top, name))
			found := label.FindAllStringSubmatch(svg, -1)
			if len(found) == 0 {
				t.Fatalf("%s chart to %d has no count label", name, top)
			}
			for _, m := range found {
				x, _ := strconv.ParseFloat(m[1], 64)
				font, _ := strconv.ParseFloat(m[2], 64)
				// DejaVu Sans, the widest usual system-ui: a digit is
				// 0.636 em, a comma 0.318 em.
				commas := float64(strings.Count(m[3], ","))
				if w := font * (0.636*(float64(len(m[3]))-commas) + 0.318*commas); x-w < 0 {
					t.Errorf("%s chart to %d: the label %q ends at x=%.1f and needs %.1f: it is cut", name, top, m[3], x, w)
				}
			}
		}
	}
}
