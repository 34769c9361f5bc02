package webui

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

var catalogs = []string{"en", "zh-CN"}

func loadCatalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	data, err := assetFS.ReadFile("assets/i18n/" + lang + ".json")
	if err != nil {
		t.Fatalf("read catalog %s: %v", lang, err)
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("catalog %s is not a flat JSON object of strings: %v", lang, err)
	}
	return m
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var placeholderRE = regexp.MustCompile(`\{(\w+)\}`)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestCatalogsMatch: every catalog has the same keys, no empty values, and the
// same {placeholders} for each key.
func TestCatalogsMatch(t *testing.T) {
	ref := loadCatalog(t, catalogs[0])
	if len(ref) == 0 {
		t.Fatal("the English catalog is empty")
	}
	for _, lang := range catalogs {
		cat := loadCatalog(t, lang)
		for _, k := range sortedKeys(cat) {
			if strings.TrimSpace(cat[k]) == "" {
				t.Errorf("%s: key %q has an empty value", lang, k)
			}
			if _, ok := ref[k]; !ok {
				t.Errorf("%s: key %q is not in %s", lang, k, catalogs[0])
			}
		}
		for _, k := range sortedKeys(ref) {
			v, ok := cat[k]
			if !ok {
				t.Errorf("%s: key %q is missing", lang, k)
				continue
			}
			if a, b := placeholders(ref[k]), placeholders(v); !slices.Equal(a, b) {
				t.Errorf("%s: key %q has placeholders %v, %s has %v", lang, k, b, catalogs[0], a)
			}
		}
	}
}

var (
	// t('key') and t("key") in scripts.
	jsKeyRE = regexp.MustCompile(`\bt\(\s*(?:'([^']*)'|"([^"]*)")`)
	// t( followed by anything but a string literal: a computed key, which
	// this test could not check.
	jsDynamicRE = regexp.MustCompile(`\bt\(\s*[^'")\s]`)
	// data-i18n="key" and data-i18n-placeholder|title|aria-label="key" in markup.
	htmlKeyRE = regexp.MustCompile(`data-i18n(?:-placeholder|-title|-aria-label)?="([^"]*)"`)
)

type assetText struct{ name, text string }

func textAssets(t *testing.T, exts ...string) []assetText {
	t.Helper()
	var out []assetText
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !slices.Contains(exts, path.Ext(p)) {
			return err
		}
		data, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, assetText{p, string(data)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCatalogKeysUsed: every key the assets use exists, and every key in the
// catalogs is used somewhere.
func TestCatalogKeysUsed(t *testing.T) {
	cat := loadCatalog(t, "en")
	used := map[string][]string{}
	for _, a := range textAssets(t, ".js") {
		if path.Base(a.name) == "i18n.js" {
			// It implements t(); its calls pass keys through.
			continue
		}
		for _, m := range jsKeyRE.FindAllStringSubmatch(a.text, -1) {
			k := m[1] + m[2]
			used[k] = append(used[k], a.name)
		}
		for _, loc := range jsDynamicRE.FindAllStringIndex(a.text, -1) {
			line := strings.Count(a.text[:loc[0]], "\n") + 1
			t.Errorf("%s:%d: t() with a computed key; use a string literal so the catalogs can be checked", a.name, line)
		}
	}
	for _, a := range textAssets(t, ".html") {
		for _, m := range htmlKeyRE.FindAllStringSubmatch(a.text, -1) {
			used[m[1]] = append(used[m[1]], a.name)
		}
	}
	if len(used) == 0 {
		t.Fatal("found no catalog keys in the assets")
	}
	for k, files := range used {
		if _, ok := cat[k]; !ok {
			t.Errorf("key %q used in %s is not in the catalogs", k, strings.Join(slices.Compact(files), ", "))
		}
	}
	for _, k := range sortedKeys(cat) {
		if _, ok := used[k]; !ok {
			t.Errorf("catalog key %q is never used", k)
		}
	}
}

var importRE = regexp.MustCompile(`(?m)^import\s[^;]*?from\s+'\./([^']+)'|\bimport\(\s*'\./([^']+)'`)

// TestModuleImports: every module a script imports is among the embedded assets, so
// a renamed or forgotten file cannot leave the console blank.
func TestModuleImports(t *testing.T) {
	have := map[string]bool{}
	for _, a := range textAssets(t, ".js") {
		have[path.Base(a.name)] = true
	}
	n := 0
	for _, a := range textAssets(t, ".js") {
		for _, m := range importRE.FindAllStringSubmatch(a.text, -1) {
			n++
			if name := m[1] + m[2]; !have[name] {
				t.Errorf("%s imports ./%s, which is not an embedded asset", a.name, name)
			}
		}
	}
	if n == 0 {
		t.Fatal("found no imports in the scripts")
	}
}

// TestNoInlineCode: the CSP allows no inline scripts, event handlers or
// style attributes, and the scripts never parse HTML strings.
func TestNoInlineCode(t *testing.T) {
	inlineScript := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]`)
	handler := regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	styleAttr := regexp.MustCompile(`(?i)\sstyle\s*=`)
	for _, a := range textAssets(t, ".html") {
		if inlineScript.MatchString(a.text) {
			t.Errorf("%s has an inline script", a.name)
		}
		if handler.MatchString(a.text) {
			t.Errorf("%s has an inline event handler", a.name)
		}
		if styleAttr.MatchString(a.text) {
			t.Errorf("%s has a style attribute", a.name)
		}
		if strings.Contains(a.text, "http://") || strings.Contains(a.text, "https://") {
			t.Errorf("%s refers to another origin", a.name)
		}
	}
	unsafe := regexp.MustCompile(`\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(|setAttribute\(\s*'style'`)
	for _, a := range textAssets(t, ".js") {
		if m := unsafe.FindString(a.text); m != "" {
			t.Errorf("%s uses %q", a.name, m)
		}
		// The one other origin allowed: plain links (opened by the user, in a new
		// tab with rel=noopener, never loaded by the page) to the MITRE ATT&CK site.
		text := strings.ReplaceAll(a.text, "`https://attack.mitre.org/techniques/", "")
		if strings.Contains(text, "http://") || strings.Contains(text, "https://") {
			t.Errorf("%s refers to another origin", a.name)
		}
	}
}

func get(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestHandler(t *testing.T) {
	h := Handler()

	rec := get(t, h, http.MethodGet, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d", rec.Code)
	}
	if got := rec.Header().Get("Content-Security-Policy"); got != ContentSecurityPolicy {
		t.Errorf("GET / CSP = %q", got)
	}
	if !strings.Contains(ContentSecurityPolicy, "default-src 'self'") || !strings.Contains(ContentSecurityPolicy, "frame-ancestors 'none'") {
		t.Errorf("CSP lost a directive: %q", ContentSecurityPolicy)
	}
	for k, want := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("GET / %s = %q, want %q", k, got, want)
		}
	}
	if body := rec.Body.String(); !strings.Contains(body, `src="/assets/app.js"`) {
		t.Errorf("index.html does not load app.js")
	}

	rec = get(t, h, http.MethodGet, "/assets/app.js")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /assets/app.js = %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("app.js Content-Type = %q", ct)
	}
	if rec.Header().Get("Content-Security-Policy") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("app.js lacks security headers: %v", rec.Header())
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Error("app.js has no ETag")
	} else {
		req := httptest.NewRequest(http.MethodGet, "/assets/app.js", nil)
		req.Header.Set("If-None-Match", etag)
		rec2 := httptest.NewRecorder()
		h.ServeHTTP(rec2, req)
		if rec2.Code != http.StatusNotModified {
			t.Errorf("conditional GET = %d, want 304", rec2.Code)
		}
	}

	for target, want := range map[string]string{
		"/assets/style.css":       "text/css",
		"/assets/i18n/zh-CN.json": "application/json",
		"/assets/logo.svg":        "image/svg+xml",
		"/assets/i18n/en.json":    "application/json",
		"/index.html":             "text/html",
		"/assets/settings.js":     "text/javascript",
	} {
		rec := get(t, h, http.MethodGet, target)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), want) {
			t.Errorf("GET %s = %d %q, want 200 %s", target, rec.Code, rec.Header().Get("Content-Type"), want)
		}
	}

	for _, target := range []string{"/assets/missing.js", "/assets/", "/assets/i18n/", "/assets/i18n", "/assets/index.html", "/nope", "/assets/i18n/fr.json", "/assets/../go.mod"} {
		if rec := get(t, h, http.MethodGet, target); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", target, rec.Code)
		}
	}

	if rec := get(t, h, http.MethodPost, "/"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", rec.Code)
	}
	if rec := get(t, h, http.MethodHead, "/assets/app.js"); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD /assets/app.js = %d with %d bytes", rec.Code, rec.Body.Len())
	}
}
