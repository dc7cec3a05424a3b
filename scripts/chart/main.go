// Command chart draws the progress of BenchmarkBatch runs
// (e2e/batchbench_test.go) as a self-contained SVG. Each CSV (columns
// seconds, credentials, bound_credentials) becomes a solid line, the share
// of its batch with a credential over time, and a dashed line of the same
// colour, the most the rate limits allow by then:
//
//	go run ./scripts/chart -o docs/batch-progress.svg /tmp/batch/batch-*.csv
//
// The y axis is a share of each batch, so batches of different sizes fit
// one chart. Their lengths differ as much (seconds for 1,000 entrants,
// minutes for 100,000), so by default the x axis turns logarithmic when the
// longest run is more than ten times the shortest: on it, the horizontal gap
// between a run and its bound is their ratio, comparable across sizes.
package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	out := flag.String("o", "", "write the SVG to this `file` (default: standard output)")
	scale := flag.String("x", "auto", "x axis scale: linear, log, or auto (log when the longest run is over ten times the shortest)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: chart [-o file.svg] [-x auto|linear|log] batch-N.csv...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *scale, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

func run(out, scale string, files []string) error {
	var all []series
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		s, err := parseSeries(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		all = append(all, s)
	}
	var buf bytes.Buffer
	if err := render(&buf, all, scale); err != nil {
		return err
	}
	if out == "" {
		_, err := os.Stdout.Write(buf.Bytes())
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// series is one run: the credentials created and the bound, sampled over
// time.
type series struct {
	n           int // the batch: the largest count in the file
	seconds     []float64
	credentials []int
	bound       []int
}

// parseSeries reads one CSV written by BenchmarkBatch.
func parseSeries(r io.Reader) (series, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return series{}, err
	}
	if len(rows) == 0 || !slices.Equal(rows[0], []string{"seconds", "credentials", "bound_credentials"}) {
		return series{}, errors.New("the header must be seconds,credentials,bound_credentials")
	}
	var s series
	for i, row := range rows[1:] {
		t, err1 := strconv.ParseFloat(row[0], 64)
		c, err2 := strconv.Atoi(row[1])
		b, err3 := strconv.Atoi(row[2])
		if err := errors.Join(err1, err2, err3); err != nil {
			return series{}, fmt.Errorf("line %d: %w", i+2, err)
		}
		if t < 0 || c < 0 || b < 0 || math.IsNaN(t) || math.IsInf(t, 0) {
			return series{}, fmt.Errorf("line %d: negative or infinite values", i+2)
		}
		if i > 0 && t <= s.seconds[i-1] {
			return series{}, fmt.Errorf("line %d: seconds must increase", i+2)
		}
		s.seconds = append(s.seconds, t)
		s.credentials = append(s.credentials, c)
		s.bound = append(s.bound, b)
		s.n = max(s.n, c, b)
	}
	if s.n == 0 {
		return series{}, errors.New("no credentials: nothing to draw")
	}
	return s, nil
}

// reached is the first time counts reach the batch; the last sample if
// they never do.
func (s series) reached(counts []int) float64 {
	for i, c := range counts {
		if c >= s.n {
			return s.seconds[i]
		}
	}
	return s.seconds[len(s.seconds)-1]
}

// firstPositive is the first time either count is above zero.
func (s series) firstPositive() float64 {
	for i := range s.seconds {
		if s.credentials[i] > 0 || s.bound[i] > 0 {
			return s.seconds[i]
		}
	}
	return s.seconds[len(s.seconds)-1]
}

// axis maps data values to pixels.
type axis struct {
	lo, hi   float64
	log      bool
	px0, px1 float64
}

// pos is the pixel of v; values outside the axis are drawn at its ends.
func (a axis) pos(v float64) float64 {
	v = min(max(v, a.lo), a.hi)
	var f float64 // the share of the axis below v
	if a.log {
		f = math.Log(v/a.lo) / math.Log(a.hi/a.lo)
	} else {
		f = (v - a.lo) / (a.hi - a.lo)
	}
	return a.px0 + f*(a.px1-a.px0)
}

// ticks are round values within the axis: 1, 2 and 5 times powers of ten
// on a log axis, multiples of a round step on a linear one.
func (a axis) ticks() []float64 {
	var out []float64
	if a.log {
		for e := math.Floor(math.Log10(a.lo)); math.Pow(10, e) <= a.hi; e++ {
			for _, m := range []float64{1, 2, 5} {
				if v := roundTo(m * math.Pow(10, e)); v >= a.lo*(1-1e-9) && v <= a.hi*(1+1e-9) {
					out = append(out, v)
				}
			}
		}
		return out
	}
	step := niceCeil((a.hi - a.lo) / 6)
	for v := math.Ceil(a.lo/step) * step; v <= a.hi+step*1e-9; v += step {
		out = append(out, roundTo(v))
	}
	return out
}

// niceCeil is the smallest of 1, 2 and 5 times a power of ten that is at
// least x.
func niceCeil(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5} {
		if m*p >= x*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// niceFloor is the largest of 1, 2 and 5 times a power of ten at most x.
func niceFloor(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{5, 2, 1} {
		if m*p <= x*(1+1e-9) {
			return m * p
		}
	}
	return p
}

// roundTo drops the float noise of sums and powers (0.30000000000000004).
func roundTo(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// xAxis fits the runs and their bounds on the x axis.
func xAxis(all []series, scale string, px0, px1 float64) (axis, error) {
	shortest, longest := math.Inf(1), 0.0
	first := math.Inf(1)
	for _, s := range all {
		end := s.seconds[len(s.seconds)-1]
		shortest, longest = min(shortest, end), max(longest, end)
		first = min(first, s.firstPositive())
	}
	switch scale {
	case "auto":
		scale = "linear"
		if longest > 10*shortest {
			scale = "log"
		}
	case "linear", "log":
	default:
		return axis{}, fmt.Errorf("-x %q: want linear, log or auto", scale)
	}
	if longest <= 0 {
		return axis{}, errors.New("every run ends at 0 s: nothing to draw")
	}
	if scale == "log" {
		// Before the first credential (or the bound's) every curve is
		// flat at zero, so the axis begins just before it. It ends with
		// the longest run rather than at a round value, which could add
		// most of a decade of empty plot.
		lo := niceFloor(max(first, 0.1))
		return axis{lo: lo, hi: max(longest, 2*lo), log: true, px0: px0, px1: px1}, nil
	}
	step := niceCeil(longest / 6)
	return axis{lo: 0, hi: math.Ceil(longest/step-1e-9) * step, px0: px0, px1: px1}, nil
}

// The chart's geometry, in pixels. The legend goes under the plot: a
// corner inside it would hide some curve, since they cross the plot at
// very different times.
const (
	width                    = 860
	left, right, top, bottom = 72, 24, 70, 478 // the plot area
	legendTop, rowHeight     = bottom + 72, 20
)

// colours are Okabe and Ito's, told apart with any colour vision.
var colours = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}

// render writes the chart of the runs, smallest batch first. Each run is
// exactly two <path> elements (its line and its bound); nothing else is
// drawn with paths.
func render(w io.Writer, all []series, scale string) error {
	if len(all) == 0 {
		return errors.New("no runs to draw")
	}
	all = slices.Clone(all)
	slices.SortStableFunc(all, func(a, b series) int { return a.n - b.n })
	x, err := xAxis(all, scale, left, width-right)
	if err != nil {
		return err
	}
	y := axis{lo: 0, hi: 1, px0: bottom, px1: top}

	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	height := legendTop + rowHeight*len(all) + 16
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	p(`<rect width="%d" height="%d" fill="#fff"/>`+"\n", width, height)
	p(`<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", left, esc("Batch progress: share of the N entering contacts with a credential"))
	p(`<text x="%d" y="44" fill="#444">%s</text>`+"\n", left, esc("Solid: each run, from the mass tag change. Dashed, same colour: the most its two rate limits allow by then."))

	// Grid and ticks.
	xTitle := "seconds since the tag change"
	if x.log {
		xTitle += " (log scale)"
	}
	for _, v := range x.ticks() {
		px := x.pos(v)
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e4e4e4"/>`+"\n", px, top, px, bottom)
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000"/>`+"\n", px, bottom, px, bottom+5)
		p(`<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px, bottom+19, formatNumber(v))
	}
	for i := 0; i <= 5; i++ {
		v := float64(i) / 5
		py := y.pos(v)
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e4e4e4"/>`+"\n", left, py, width-right, py)
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#000"/>`+"\n", left-5, py, left, py)
		p(`<text x="%d" y="%.1f" text-anchor="end">%d%%</text>`+"\n", left-8, py+4, i*20)
	}
	p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>`+"\n", left, bottom, width-right, bottom)
	p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>`+"\n", left, top, left, bottom)
	p(`<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", (left+width-right)/2, bottom+44, esc(xTitle))
	p(`<text transform="translate(18 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", (top+bottom)/2, esc("credentials created (% of N)"))

	// The bounds first, so that each run is drawn over its own.
	for i, s := range all {
		p(`<path d="%s" fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4"/>`+"\n", pathData(curve(s, s.bound, x, y)), colours[i%len(colours)])
	}
	for i, s := range all {
		p(`<path d="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round"/>`+"\n", pathData(curve(s, s.credentials, x, y)), colours[i%len(colours)])
	}

	entry := func(row int, colour, dash, label string) {
		ly := legendTop + row*rowHeight
		p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2.5"%s/>`+"\n", left, ly, left+30, ly, colour, dash)
		p(`<text x="%d" y="%d">%s</text>`+"\n", left+38, ly+4, esc(label))
	}
	for i, s := range all {
		took, bound := s.reached(s.credentials), s.reached(s.bound)
		entry(i, colours[i%len(colours)], "", fmt.Sprintf("N = %s: done by %s; bound %s; ratio %.2f",
			thousands(s.n), formatSeconds(took), formatSeconds(bound), took/bound))
	}
	entry(len(all), "#666", ` stroke-dasharray="6 4"`, "dashed: its bound, the most the two rate limits allow by then")
	p("</svg>\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// point is a position on the chart, in pixels.
type point struct{ x, y float64 }

// curve places counts (a share of the run's batch) over time, to a tenth
// of a pixel, dropping points that land where the previous one did.
func curve(s series, counts []int, x, y axis) []point {
	var out []point
	for i, t := range s.seconds {
		pt := point{roundTenth(x.pos(t)), roundTenth(y.pos(float64(counts[i]) / float64(s.n)))}
		if len(out) == 0 || pt != out[len(out)-1] {
			out = append(out, pt)
		}
	}
	return out
}

func roundTenth(v float64) float64 { return math.Round(v*10) / 10 }

func pathData(pts []point) string {
	var d strings.Builder
	for i, pt := range pts {
		cmd := " L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&d, "%s%.1f %.1f", cmd, pt.x, pt.y)
	}
	return d.String()
}

func esc(s string) string { return html.EscapeString(s) }

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// formatSeconds writes a duration in seconds as a reader would: 7.9 s,
// 2 min 14 s.
func formatSeconds(s float64) string {
	if s < 60 {
		return strconv.FormatFloat(s, 'f', 1, 64) + " s"
	}
	m := int(math.Round(s))
	return fmt.Sprintf("%d min %d s", m/60, m%60)
}

// thousands writes n with comma separators: 100,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
