package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// Charts are SVG drawn here, in the page: readable without JavaScript, styled by the page's
// CSS (colours follow light and dark mode through currentColor and CSS variables), and
// described for screen readers by a title and a table of the same numbers.

// barPoint is one bar: a day and its value.
type barPoint struct {
	Day   time.Time
	Value float64
}

// barChart draws daily values as bars with a y axis labelled in unit (format formats a
// value). The chart scales to its container (viewBox).
func barChart(title string, pts []barPoint, format func(float64) string, nice func(float64) float64) template.HTML {
	const w, h, left, bottom, top = 640.0, 200.0, 64.0, 24.0, 8.0
	maxV := 0.0
	for _, p := range pts {
		maxV = math.Max(maxV, p.Value)
	}
	scale := nice(maxV)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s">`, w, h, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(title))
	plotH := h - bottom - top
	if maxV <= 0 {
		// Nothing to scale: a baseline and the words, not an axis of fractions of a byte.
		fmt.Fprintf(&b, `<line class="grid" x1="%g" x2="%g" y1="%g" y2="%g"/>`, left, w, top+plotH, top+plotH)
		fmt.Fprintf(&b, `<text class="axis empty" x="%g" y="%g" text-anchor="middle">No usage recorded in this period</text>`, (left+w)/2, top+plotH/2)
		b.WriteString(`</svg>`)
		return template.HTML(b.String()) // #nosec: built from escaped parts above
	}
	for i := 0; i <= 4; i++ {
		y := top + plotH*float64(i)/4
		v := scale * float64(4-i) / 4
		fmt.Fprintf(&b, `<line class="grid" x1="%g" x2="%g" y1="%.1f" y2="%.1f"/>`, left, w, y, y)
		fmt.Fprintf(&b, `<text class="axis" x="%g" y="%.1f" text-anchor="end">%s</text>`, left-6, y+4, template.HTMLEscapeString(format(v)))
	}
	if n := len(pts); n > 0 {
		slot := (w - left) / float64(n)
		bw := math.Max(slot*0.75, 1)
		for i, p := range pts {
			bh := 0.0
			if scale > 0 {
				bh = plotH * p.Value / scale
			}
			x := left + float64(i)*slot + (slot-bw)/2
			fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
				x, top+plotH-bh, bw, bh, p.Day.Format("2 Jan"), template.HTMLEscapeString(format(p.Value)))
		}
		// Label the first, middle and last day so the time axis reads at any width.
		for _, i := range []int{0, n / 2, n - 1} {
			x := left + float64(i)*slot + slot/2
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%g" text-anchor="middle">%s</text>`, x, h-6, pts[i].Day.Format("2 Jan"))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec: built from escaped parts above
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so axis labels are round numbers.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// niceBytes rounds a byte count up to 1, 2 or 5 times a power of ten of the binary unit it
// is shown in (so the axis reads 0, 50, 100, 150, 200 MiB rather than 190.7 MiB).
func niceBytes(v float64) float64 {
	unit := 1.0
	for v/unit >= 1024 {
		unit *= 1024
	}
	return niceCeil(v/unit) * unit
}

// gauge draws how much of a quota is left as a half-circle with the share in the middle.
func gauge(label string, left, total int64, format func(float64) string) template.HTML {
	pct := 0.0
	if total > 0 {
		pct = math.Max(0, math.Min(100, float64(left)*100/float64(total)))
	}
	level := "ok"
	switch {
	case pct <= 0:
		level = "empty"
	case pct < 20:
		level = "low"
	}
	// Arc from the left end (180°) clockwise over the top, pct of the half-circle.
	const r, cx, cy = 80.0, 100.0, 100.0
	a := math.Pi * (1 - pct/100)
	x, y := cx+r*math.Cos(a), cy-r*math.Sin(a)
	var b strings.Builder
	text := fmt.Sprintf("%s: %s of %s left (%.0f%%)", label, format(float64(left)), format(float64(total)), pct)
	fmt.Fprintf(&b, `<svg class="gauge gauge-%s" viewBox="0 0 200 120" role="img" aria-label="%s">`, level, template.HTMLEscapeString(text))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(text))
	fmt.Fprintf(&b, `<path class="track" d="M20 100 A80 80 0 0 1 180 100"/>`)
	if pct > 0 {
		fmt.Fprintf(&b, `<path class="fill" d="M20 100 A80 80 0 0 1 %.2f %.2f"/>`, x, y)
	}
	fmt.Fprintf(&b, `<text class="gauge-value" x="100" y="92" text-anchor="middle">%.0f%%</text>`, pct)
	fmt.Fprintf(&b, `<text class="gauge-label" x="100" y="115" text-anchor="middle">%s left</text>`, template.HTMLEscapeString(format(float64(left))))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec: built from escaped parts above
}

// bytesText formats a byte count with binary units, as 1NCE's portal does.
func bytesText(v float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 || v >= 100 {
		return fmt.Sprintf("%.0f %s", v, units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// countText formats a count (SMS).
func countText(v float64) string { return fmt.Sprintf("%.0f", v) }
