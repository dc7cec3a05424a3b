package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/autocred/autocred"
)

// chartDays is how many days the runs-per-day charts show.
const chartDays = 14

// chartSeries is one kind of run a chart stacks, bottom first. The
// colours are the Okabe–Ito palette's blue, sky blue and vermillion, told
// apart with any colour vision, and grey; the order of the stack, the
// legend and each bar's tooltip say the same in words.
type chartSeries struct {
	name, class, colour string
	count               func(autocred.DayCount) int
}

var chartSeriesAll = []chartSeries{
	{"issued", "issued", "#0072b2", func(d autocred.DayCount) int { return d.Issued }},
	{"drafts", "draft", "#56b4e9", func(d autocred.DayCount) int { return d.Draft }},
	{"skipped", "skipped", "#8c8c8c", func(d autocred.DayCount) int { return d.Skipped }},
	{"failed", "failed", "#d55e00", func(d autocred.DayCount) int { return d.Failed }},
}

// chartShown is the series a chart draws: issued, skipped and failed
// always, drafts only when there are some, so that an automation that
// issues nothing but drafts does not show an empty chart.
func chartShown(days []autocred.DayCount) []chartSeries {
	var out []chartSeries
	for _, s := range chartSeriesAll {
		if s.class == "draft" {
			n := 0
			for _, d := range days {
				n += d.Draft
			}
			if n == 0 {
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// chartSize is a chart's frame: its size in pixels, the margins that hold
// the axes' labels, and how often a date is written under the bars.
type chartSize struct {
	class                   string
	w, h, left, bottom, top float64
	font                    float64
	dateEvery               int // write every nth date; 0: the first and the last only
	midTick                 bool
	fixedWidth              bool // drawn at its own size (the list); else it fills its box
}

var chartSizes = map[string]chartSize{
	// A row of the automations list, drawn at its own size: its labels
	// are 11 px on any screen.
	"small": {class: "chart-small", w: 210, h: 76, left: 32, bottom: 17, top: 8, font: 11, fixedWidth: true},
	// The automation's page, on a wide screen and on a phone. The phone's
	// is drawn a little narrower than a phone's card, so its 12 units
	// stay 11 px or more.
	"large": {class: "chart-large", w: 800, h: 190, left: 44, bottom: 22, top: 10, font: 12, dateEvery: 2, midTick: true},
	"phone": {class: "chart-phone", w: 340, h: 180, left: 36, bottom: 19, top: 8, font: 12, dateEvery: 4, midTick: true},
}

// minBar is the least height, in the chart's units, of a day's part that
// is not zero: on a scale shared with a busy automation, a day of one run
// would otherwise be a fraction of a pixel, drawn as nothing. The bar's
// tooltip gives the exact numbers.
const minBar = 3

// chartTop rounds a day's peak up to a number the scale can be read by:
// 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten, and a whole
// number. It is at least 1, so that an empty chart still has a scale.
func chartTop(peak int) int {
	if peak <= 1 {
		return 1
	}
	for p := 1.0; ; p *= 10 {
		for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8} {
			if v := m * p; v >= float64(peak) && v == math.Trunc(v) {
				return int(v)
			}
		}
	}
}

// chartPeak is the most runs finished on one day.
func chartPeak(days []autocred.DayCount) int {
	peak := 0
	for _, d := range days {
		peak = max(peak, d.Total())
	}
	return peak
}

// labelWidth is how wide text of digits and commas is drawn at font
// units, a little generously: a digit of the UI's sans-serif fonts is at
// most 0.64 em wide (DejaVu Sans, Linux's usual system-ui, the widest; the
// tester's phone-sized view cut "2,500" in it), a comma or a full stop
// 0.32 em.
func labelWidth(text string, font float64) float64 {
	w := 0.0
	for _, r := range text {
		if r == ',' || r == '.' {
			w += 0.33 * font
		} else {
			w += 0.65 * font
		}
	}
	return w
}

// chart draws runs finished per day as stacked bars, on a scale from 0 to
// top (shared by every row of a list, so that rows compare), with the
// dates along the bottom and the counts up the side. It is an inline SVG
// drawn on the server: no script, no chart library. Its title and
// description give the numbers in words for screen readers; each bar's
// tooltip gives its day's.
func chart(days []autocred.DayCount, zone string, top int, size string) template.HTML {
	sz := chartSizes[size]
	if len(days) == 0 {
		return ""
	}
	top = max(top, 1)
	// The count labels sit left of the plot, right-aligned: the plot moves
	// right as far as its top label needs, so that "2,500" is not cut to
	// ",500" where the chart's box clips it (a phone's list).
	sz.left = max(sz.left, labelWidth(autocred.Thousands(top), sz.font)+5)
	shown := chartShown(days)
	plotW, plotH := sz.w-sz.left-4, sz.h-sz.bottom-sz.top
	base := sz.top + plotH
	y := func(n int) float64 { return base - float64(n)/float64(top)*plotH }
	var b strings.Builder
	title := fmt.Sprintf("Runs finished per day, last %d days, days in %s", len(days), zone)
	width := ""
	if sz.fixedWidth {
		width = fmt.Sprintf(` width="%.0f" height="%.0f"`, sz.w, sz.h)
	}
	fmt.Fprintf(&b, `<svg class="chart %s" viewBox="0 0 %.0f %.0f"%s role="img" aria-label="%s" data-top="%d">`,
		sz.class, sz.w, sz.h, width, template.HTMLEscapeString(title+". "+chartSummary(days, shown)), top)
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(title))
	// The count scale: lines across at 0, the middle (when it is a whole
	// number) and the top, labelled at the left.
	ticks := []int{0, top}
	if sz.midTick && top%2 == 0 {
		ticks = []int{0, top / 2, top}
	}
	for _, t := range ticks {
		stroke := "#dde1e7"
		if t == 0 {
			stroke = "#5b6575"
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1"/>`, sz.left, sz.left+plotW, y(t), y(t), stroke)
		fmt.Fprintf(&b, `<text class="axis y" x="%.1f" y="%.1f" text-anchor="end" font-size="%.0f" fill="#5b6575">%s</text>`,
			sz.left-3, y(t)+sz.font*0.35, sz.font, autocred.Thousands(t))
	}
	slot := plotW / float64(len(days))
	bar := max(slot*0.7, 1)
	for i, d := range days {
		x := sz.left + float64(i)*slot + (slot-bar)/2
		fmt.Fprintf(&b, `<g><title>%s</title>`, template.HTMLEscapeString(d.Day.Format("Mon Jan 2")+": "+dayWords(d, shown)))
		// An empty day still gets a box for its tooltip, invisible.
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="transparent"/>`, sz.left+float64(i)*slot, sz.top, slot, plotH)
		heights := barHeights(d, shown, top, plotH)
		level := base
		for j, s := range shown {
			if heights[j] == 0 {
				continue
			}
			level -= heights[j]
			fmt.Fprintf(&b, `<rect class="bar %s" x="%.1f" y="%.2f" width="%.1f" height="%.2f" fill="%s"/>`,
				s.class, x, level, bar, heights[j], s.colour)
		}
		b.WriteString(`</g>`)
		last := i == len(days)-1
		if label := chartDateLabel(sz, i, len(days)); label != "" {
			anchor, lx := "middle", x+bar/2
			switch {
			case sz.dateEvery == 0 && i == 0:
				anchor, lx = "start", sz.left
			case sz.dateEvery == 0 && last:
				anchor, lx = "end", sz.left+plotW
			}
			fmt.Fprintf(&b, `<text class="axis x" x="%.1f" y="%.1f" text-anchor="%s" font-size="%.0f" fill="#5b6575">%s</text>`,
				lx, sz.h-3, anchor, sz.font, d.Day.Format(label))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// barHeights are the heights of a day's parts, series by series: in
// proportion to top, each part that is not zero at least minBar high, and
// the whole no taller than the plot (the tallest part gives up what the
// small ones took).
func barHeights(d autocred.DayCount, shown []chartSeries, top int, plotH float64) []float64 {
	out := make([]float64, len(shown))
	total, tallest := 0.0, 0
	for j, s := range shown {
		if n := s.count(d); n > 0 {
			out[j] = max(float64(n)/float64(top)*plotH, minBar)
			total += out[j]
			if out[j] > out[tallest] {
				tallest = j
			}
		}
	}
	if over := total - plotH; over > 0 {
		out[tallest] = max(out[tallest]-over, minBar)
	}
	return out
}

// chartDateLabel is the layout of the date written under bar i, or "" for
// none: the last day always, counted back from it every dateEvery days.
func chartDateLabel(sz chartSize, i, n int) string {
	last := n - 1
	if sz.dateEvery == 0 {
		if i == 0 || i == last {
			return "Jan 2"
		}
		return ""
	}
	if (last-i)%sz.dateEvery == 0 {
		return "Jan 2"
	}
	return ""
}

// dayWords says one day's bar: "3 issued, 1 failed", or "nothing".
func dayWords(d autocred.DayCount, shown []chartSeries) string {
	var parts []string
	for _, s := range shown {
		if n := s.count(d); n > 0 {
			parts = append(parts, autocred.Thousands(n)+" "+s.name)
		}
	}
	if len(parts) == 0 {
		return "nothing finished"
	}
	return strings.Join(parts, ", ")
}

// chartSummary says a whole chart in a sentence: the totals, and the
// busiest day.
func chartSummary(days []autocred.DayCount, shown []chartSeries) string {
	var total autocred.DayCount
	busiest := days[0]
	for _, d := range days {
		total.Issued += d.Issued
		total.Draft += d.Draft
		total.Skipped += d.Skipped
		total.Failed += d.Failed
		if d.Total() > busiest.Total() {
			busiest = d
		}
	}
	if total.Total() == 0 {
		return "No run finished in these days."
	}
	return "In all: " + dayWords(total, shown) + ". Busiest day: " + busiest.Day.Format("Mon Jan 2") + ", " + dayWords(busiest, shown) + "."
}

// chartLegend names the colours of a chart's bars, in the order they stack.
func chartLegend(days []autocred.DayCount) template.HTML {
	var b strings.Builder
	b.WriteString(`<ul class="legend">`)
	for _, s := range chartShown(days) {
		fmt.Fprintf(&b, `<li><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="%s"/></svg> %s</li>`, s.colour, s.name)
	}
	b.WriteString(`</ul>`)
	return template.HTML(b.String())
}
