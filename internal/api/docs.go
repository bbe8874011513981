package api

import (
	"embed"
	"net/http"
)

// The interactive API documentation is oncefleet's own small page that renders
// /openapi.json in the browser: no CDN, nothing fetched from the internet at run time.
//
//go:embed docs
var docsFS embed.FS

func serveDocs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, docsFS, "docs/index.html")
}

func serveDocsAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	switch name {
	case "docs.js", "docs.css":
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeFileFS(w, r, docsFS, "docs/"+name)
}
