// Package webui serves Vigil's browser console: a single-page application
// written in plain JavaScript modules, embedded into the binary so that the
// server needs no files on disk and makes no requests to other origins.
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assetFS embed.FS

// ContentSecurityPolicy is sent with every response of the handler. It allows
// only same-origin scripts, styles and connections, plus data: images (the
// TOTP enrolment QR code), and forbids framing.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"

// contentTypes maps file extensions to the types the console's assets are
// served with; it does not depend on the host's MIME database.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".txt":  "text/plain; charset=utf-8",
}

type asset struct {
	data        []byte
	contentType string
	etag        string
}

// loadAssets reads every embedded file once, so that serving needs no
// directory handling (there are no listings) and each file has a stable ETag.
func loadAssets() map[string]asset {
	out := make(map[string]asset)
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(data)
		out[strings.TrimPrefix(p, "assets/")] = asset{
			data:        data,
			contentType: ct,
			etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	if err != nil {
		// The assets are compiled into the binary; failing to read them is a
		// build defect, not a runtime condition.
		panic("webui: reading embedded assets: " + err.Error())
	}
	return out
}

// Handler returns the handler for the console: GET / answers index.html and
// GET /assets/... the static files. Everything else is 404 (or 405 for
// methods other than GET and HEAD). The server mounts it as its fallback.
func Handler() http.Handler {
	assets := loadAssets()
	index, ok := assets["index.html"]
	if !ok {
		panic("webui: assets/index.html is missing")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")

		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}

		switch {
		case r.URL.Path == "/" || r.URL.Path == "/index.html":
			h.Set("Cache-Control", "no-store")
			serve(w, r, index, false)
		case strings.HasPrefix(r.URL.Path, "/assets/"):
			name := strings.TrimPrefix(r.URL.Path, "/assets/")
			a, ok := assets[name]
			if !ok || name == "index.html" {
				http.NotFound(w, r)
				return
			}
			// Revalidate on every use: the files are small and this keeps a
			// browser from mixing modules of two different versions.
			h.Set("Cache-Control", "no-cache")
			serve(w, r, a, true)
		default:
			http.NotFound(w, r)
		}
	})
}

func serve(w http.ResponseWriter, r *http.Request, a asset, withETag bool) {
	w.Header().Set("Content-Type", a.contentType)
	if withETag {
		w.Header().Set("ETag", a.etag)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}
