package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"
)

// parseTemplates parses each page with the shared layout, so every page has its own
// "content" block.
func parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"bytes":   func(v int64) string { return bytesText(float64(v)) },
		"bytesp":  optBytes,
		"time":    timeText,
		"timep":   optTime,
		"ago":     ago,
		"pct":     func(p float64) string { return fmt.Sprintf("%.0f%%", p*100) },
		"add":     func(a, b int) int { return a + b },
		"int64":   func(a int) int64 { return int64(a) },
		"lower":   strings.ToLower,
		"smstime": smsTime,
		"list":    func(v ...string) []string { return v },
		"deref":   func(b *bool) bool { return b != nil && *b },
		"urlpath": urlPathEscape,
	}
	layout, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("web: %s: %w", n, err)
		}
		out[base] = t
	}
	return out, nil
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func optTime(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return timeText(*t)
}

func optBytes(v *int64) string {
	if v == nil {
		return "—"
	}
	return bytesText(float64(*v))
}

// ago is how long before now t was, roughly, as people say it.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

func urlPathEscape(s string) string  { return url.PathEscape(s) }
func urlQueryEscape(s string) string { return url.QueryEscape(s) }
