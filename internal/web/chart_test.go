package web

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

// wellFormed fails unless s parses as XML (an SVG the browser draws, not a broken tag soup).
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := d.Token(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, s)
		}
	}
}

func TestBarChart(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		vals []float64
		want []string
	}{
		{"empty period", []float64{0, 0, 0}, []string{"No usage recorded"}},
		{"no days", nil, []string{"No usage recorded"}},
		{"bytes", []float64{0, 150 << 20, 30 << 20}, []string{`class="bar"`, "200 MiB", "1 Nov", "3 Nov"}},
		{"one day", []float64{5}, []string{"5 B"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pts := make([]barPoint, len(tc.vals))
			for i, v := range tc.vals {
				pts[i] = barPoint{Day: day.AddDate(0, 0, i), Value: v}
			}
			svg := string(barChart(`usage <"&'>`, pts, bytesText, niceBytes))
			wellFormed(t, svg)
			for _, w := range append(tc.want, "&lt;&#34;&amp;&#39;&gt;") {
				if !strings.Contains(svg, w) {
					t.Errorf("chart lacks %q:\n%s", w, svg)
				}
			}
		})
	}
}

func TestGauge(t *testing.T) {
	for _, tc := range []struct {
		name        string
		left, total int64
		want        []string
	}{
		{"full", 100, 100, []string{"100%", "gauge-ok"}},
		{"low", 10, 100, []string{"10%", "gauge-low"}},
		{"empty", 0, 100, []string{"0%", "gauge-empty"}},
		{"unknown total", 5, 0, []string{"0%"}},
		{"more than total", 300, 100, []string{"100%"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg := string(gauge("Data", tc.left, tc.total, bytesText))
			wellFormed(t, svg)
			for _, w := range tc.want {
				if !strings.Contains(svg, w) {
					t.Errorf("gauge lacks %q:\n%s", w, svg)
				}
			}
		})
	}
}

func TestNiceScales(t *testing.T) {
	for _, tc := range []struct{ in, ceil, bytes float64 }{
		{0, 1, 1}, {1, 1, 1}, {3, 5, 5}, {7, 10, 10}, {120, 200, 200},
		{1500, 2000, 2 * 1024}, {150 << 20, 200, 200 << 20},
	} {
		if tc.in == 150<<20 {
			if got := niceBytes(tc.in); got != tc.bytes {
				t.Errorf("niceBytes(%g) = %g, want %g", tc.in, got, tc.bytes)
			}
			continue
		}
		if got := niceCeil(tc.in); got != tc.ceil {
			t.Errorf("niceCeil(%g) = %g, want %g", tc.in, got, tc.ceil)
		}
		if got := niceBytes(tc.in); got != tc.bytes {
			t.Errorf("niceBytes(%g) = %g, want %g", tc.in, got, tc.bytes)
		}
	}
}

func TestTextHelpers(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ got, want string }{
		{bytesText(0), "0 B"}, {bytesText(1536), "1.5 KiB"}, {bytesText(500 << 20), "500 MiB"},
		{ago(now, time.Time{}), "never"}, {ago(now, now.Add(-30*time.Second)), "30s ago"},
		{ago(now, now.Add(-5*time.Minute)), "5 min ago"}, {ago(now, now.Add(-72*time.Hour)), "3 days ago"},
		{ago(now, now.Add(time.Minute)), "just now"}, {timeText(time.Time{}), "—"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
