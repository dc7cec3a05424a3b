package web

import (
	"fmt"
	"html/template"
	"strings"
)

// sparkline draws counts per day as a small inline SVG: drawn on the
// server, so the list needs no chart library and no script.
func sparkline(counts []int) template.HTML {
	const w, h, pad = 112.0, 28.0, 2.0
	peak, total := 0, 0
	for _, n := range counts {
		peak, total = max(peak, n), total+n
	}
	var pts strings.Builder
	step := (w - 2*pad) / float64(max(len(counts)-1, 1))
	for i, n := range counts {
		y := h - pad
		if peak > 0 {
			y -= float64(n) / float64(peak) * (h - 2*pad)
		}
		fmt.Fprintf(&pts, "%.1f,%.1f ", pad+float64(i)*step, y)
	}
	label := fmt.Sprintf("%d credentials issued in the last %d days; at most %d in a day", total, len(counts), peak)
	return template.HTML(fmt.Sprintf(`<svg class="spark" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s"><title>%s</title>`+
		`<polyline points="%s" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/></svg>`,
		w, h, w, h, template.HTMLEscapeString(label), template.HTMLEscapeString(label), strings.TrimSpace(pts.String())))
}
