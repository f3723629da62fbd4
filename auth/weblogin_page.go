package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/authdeck/authdeck/internal/textsafe"
)

// The pages the loopback listener shows in the browser. They are
// self-contained (no scripts, images, fonts or links), so the only thing the
// Content-Security-Policy allows is the one inline style block, by hash.

// webPageStyle is the inline stylesheet of every page.
const webPageStyle = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1f2328}` +
	`main{max-width:34rem;margin:12vh auto;padding:2rem 2.25rem;background:#fff;border:1px solid #d0d7de;border-radius:12px}` +
	`h1{font-size:1.4rem;margin:0 0 .75rem}p{margin:.5rem 0}.app{color:#59636e;font-size:.9rem;margin:0 0 1rem}` +
	`.ok h1{color:#1a7f37}.bad h1{color:#cf222e}code{background:#f0f2f4;padding:.1rem .3rem;border-radius:4px;word-break:break-all}` +
	`@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}main{background:#161b22;border-color:#30363d}` +
	`.app{color:#9198a1}.ok h1{color:#3fb950}.bad h1{color:#f85149}code{background:#262c36}}`

// webPageTemplate renders a page; html/template escapes every value.
const webPageTemplate = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>{{.Style}}</style>
</head><body><main class="{{.Class}}">
{{if .App}}<p class="app">{{.App}}</p>{{end}}<h1>{{.Title}}</h1>
{{range .Lines}}<p>{{.}}</p>
{{end}}{{if .Detail}}<p><code>{{.Detail}}</code></p>
{{end}}</main></body></html>
`

// webPage is one page shown to the browser.
type webPage struct {
	Status int
	Title  string
	Lines  []string
	Detail string // a server-supplied value, shown as code
	OK     bool
}

// webPageData is what webPageTemplate sees.
type webPageData struct {
	Title, App, Class, Detail string
	Lines                     []string
	Style                     template.CSS
}

// webMaxPageText caps any server-supplied text shown on a page.
const webMaxPageText = 300

// webPageText makes server-supplied text safe and short for a page:
// html/template does the escaping, this strips control characters and
// truncates.
func webPageText(s string) string {
	s = textsafe.Clean(s)
	if utf8.RuneCountInString(s) <= webMaxPageText {
		return s
	}
	r := []rune(s)
	return string(r[:webMaxPageText]) + "…"
}

// writeWebPage writes p with headers that keep the page inert: a strict
// CSP (no script, no external loads, no forms, no framing), no caching, no
// referrer (the callback URL carries the authorization code) and no MIME
// sniffing. closeConn asks the browser not to keep the connection alive, so
// the listener can shut down at once.
func writeWebPage(w http.ResponseWriter, app string, p webPage, closeConn bool) {
	class := "bad"
	if p.OK {
		class = "ok"
	}
	data := webPageData{
		Title:  p.Title,
		App:    webPageText(app),
		Class:  class,
		Detail: webPageText(p.Detail),
		Lines:  p.Lines,
		Style:  template.CSS(webPageStyle),
	}
	var b strings.Builder
	if err := template.Must(template.New("page").Parse(webPageTemplate)).Execute(&b, data); err != nil {
		http.Error(w, "cannot render page", http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256([]byte(webPageStyle))
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'sha256-"+
		base64.StdEncoding.EncodeToString(sum[:])+"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	if closeConn {
		h.Set("Connection", "close")
	}
	w.WriteHeader(p.Status)
	_, _ = w.Write([]byte(b.String()))
}
