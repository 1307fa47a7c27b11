package web

import (
	"embed"
	"html/template"
	"net/http"
	"strings"
)

//go:embed templates/*.html
var pageFiles embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{"join": strings.Join}).ParseFS(pageFiles, "templates/*.html"))

// page writes a page with the headers every page has: no script or style
// from elsewhere, no framing.
func page(w http.ResponseWriter, name string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, "the page could not be made", http.StatusInternalServerError)
	}
}

// home is the batches page of a signed-in person, or the way to sign in.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	c, sess := s.fromSession(r)
	if c == nil {
		page(w, "signin.html", map[string]any{"SignIn": s.o.OIDC != nil})
		return
	}
	all, err := s.o.Store.Batches()
	if err != nil {
		s.answer(w, r, err)
		return
	}
	var rows []batchView
	for _, b := range all {
		rows = append(rows, s.view(b, false))
	}
	page(w, "batches.html", map[string]any{"Caller": c, "CSRF": sess.csrf, "Batches": rows})
}
