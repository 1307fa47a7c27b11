package web

import (
	"embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cspimporter/importer/pkg/approval"
	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/store"
)

//go:embed templates/*.html static
var pageFiles embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"join":  strings.Join,
	"lower": strings.ToLower,
	"has":   func(c *Caller, roles ...string) bool { return c.Has(roles...) },
	"cell":  cell,
	"amounts": func(as []store.Amount) string {
		var parts []string
		for _, a := range as {
			parts = append(parts, report.Money(a.Total)+" "+a.Currency)
		}
		return strings.Join(parts, " + ")
	},
	"when": func(t time.Time) string { return t.Format("2006-01-02 15:04 MST") },
	"dec":  func(n int) int { return n - 1 },
}).ParseFS(pageFiles, "templates/*.html"))

// static serves the pages' style sheet from the binary: nothing from
// elsewhere.
func static() http.Handler {
	sub, _ := fs.Sub(pageFiles, "static")
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}

// page writes a page with the headers every page has: no script or style
// from elsewhere, no framing.
func page(w http.ResponseWriter, status int, name string, data any) {
	pageHeaders(w)
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, data)
}

// fragment writes a part of a page, which a page's script puts in place.
func fragment(w http.ResponseWriter, name string, data any) {
	pageHeaders(w)
	_ = pages.ExecuteTemplate(w, name, data)
}

func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

// signedPage wraps a page handler: a signed-in person with one of roles;
// a form they send carries the page's CSRF token. Errors are pages.
func (s *Server) signedPage(h func(w http.ResponseWriter, r *http.Request, c *Caller, csrf string) error, roles ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, sess := s.fromSession(r)
		if c == nil && r.Header.Get("HX-Request") == "true" {
			// A part of a page asked for by its script: the whole page
			// goes to sign-in, not just the part.
			w.Header().Set("HX-Redirect", "/")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if c == nil {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet {
			if err := s.checkCSRF(r, sess); err != nil {
				status := http.StatusForbidden
				var ae *apiError
				if errors.As(err, &ae) {
					status = ae.status
				}
				page(w, status, "error.html", map[string]any{"Caller": c, "CSRF": sess.csrf, "Error": err.Error()})
				return
			}
		}
		if !c.Has(roles...) {
			page(w, http.StatusForbidden, "error.html", map[string]any{"Caller": c, "CSRF": sess.csrf, "Error": "your roles (" + strings.Join(c.Roles, ", ") + ") do not allow this"})
			return
		}
		if err := h(w, r.WithContext(withCaller(r.Context(), c)), c, sess.csrf); err != nil {
			status, msg := http.StatusInternalServerError, "this could not be done; the server's log says why"
			var ae *apiError
			var no *importer.Refusal
			switch {
			case errors.As(err, &ae):
				status, msg = ae.status, ae.msg
			case errors.As(err, &no):
				status, msg = refusalStatus(no.Kind), no.Msg
			case errors.Is(err, store.ErrNotFound):
				status, msg = http.StatusNotFound, "there is no such batch"
			default:
				s.o.Log.WithError(err).WithField("path", r.URL.Path).Error("page")
			}
			page(w, status, "error.html", map[string]any{"Caller": c, "CSRF": sess.csrf, "Error": msg})
		}
	})
}

// home is the batches page of a signed-in person, or the way to sign in.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	c, sess := s.fromSession(r)
	if c == nil {
		page(w, http.StatusOK, "signin.html", map[string]any{"SignIn": s.o.OIDC != nil})
		return
	}
	all, err := s.o.Store.Batches()
	if err != nil {
		s.answer(w, r, err)
		return
	}
	want := r.URL.Query().Get("status")
	var rows []batchView
	for _, b := range all {
		if v := s.view(b, false); want == "" || v.Status == want {
			rows = append(rows, v)
		}
	}
	page(w, http.StatusOK, "batches.html", map[string]any{"Caller": c, "CSRF": sess.csrf, "Batches": rows, "Status": want,
		"Statuses": importer.BatchStatuses})
}

func (s *Server) uploadPage(w http.ResponseWriter, r *http.Request, c *Caller, csrf string) error {
	page(w, http.StatusOK, "upload.html", map[string]any{"Caller": c, "CSRF": csrf, "Online": s.o.Conn != nil, "MaxUpload": size(s.o.MaxUpload),
		"Batch": r.URL.Query().Get("batch"), "Prices": priceListName(s.o.Prices)})
	return nil
}

func (s *Server) uploadForm(w http.ResponseWriter, r *http.Request, _ *Caller, _ string) error {
	b, err := s.doUpload(w, r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/batches/"+b.ID, http.StatusSeeOther)
	return nil
}

// batchPage is a batch: its summary, its rows (a page at a time, problems
// only if asked), its plan's decision and purchase.
func (s *Server) batchPage(w http.ResponseWriter, r *http.Request, c *Caller, csrf string) error {
	b, err := s.o.Store.Batch(r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.view(b, false)
	plan, err := s.plan(r.Context(), b, b.Current().N)
	if err != nil {
		return err
	}
	var sum report.Summary
	if raw, err := s.file(b, b.Current().N, store.FileSummary); err == nil {
		_ = json.Unmarshal(raw, &sum)
	}
	all, err := s.rowsOf(b)
	if err != nil {
		return err
	}
	problemsOnly := r.URL.Query().Get("problems") == "1"
	var rows []rowView
	for _, row := range all {
		if !problemsOnly || row.Message != "" {
			rows = append(rows, row)
		}
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	n = max(1, n)
	pages := max(1, (len(rows)+pageSize-1)/pageSize)
	n = min(n, pages)
	from, to := min((n-1)*pageSize, len(rows)), min(n*pageSize, len(rows))
	page(w, http.StatusOK, "batch.html", map[string]any{"Caller": c, "CSRF": csrf, "B": v, "Summary": sum, "Rows": rows[from:to],
		"Since": s.sinceDecided(r, b),
		"Page":  n, "Pages": pages, "Total": len(rows), "ProblemsOnly": problemsOnly, "Prev": n - 1, "Next": next(n, pages),
		"MayDecide":  c.Has(RoleApprover) && importer.MayDecide(b, c.ID) == nil,
		"MayApprove": b.Current().Invalid == 0, "Invalid": b.Current().Invalid,
		"MayAsk":    c.Has(RoleSubmitter) && importer.MayAsk(b) == nil,
		"MayUpload": c.Has(RoleSubmitter) && importer.MayUpload(b) == nil,
		"Current":   b.Current(), "Versions": newestFirst(b.Versions), "Costs": costsText(plan.Costs), "PerCustomer": perCustomer(plan),
		"MayBuy": c.Has(RoleBuyer) && importer.MayBuy(b) == nil})
	return nil
}

func (s *Server) decisionForm(w http.ResponseWriter, r *http.Request, _ *Caller, _ string) error {
	b, err := s.decide(r, decision{Decision: r.PostFormValue("decision"), PlanSHA256: r.PostFormValue("planSha256"), Comment: r.PostFormValue("comment")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/batches/"+b.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) requestForm(w http.ResponseWriter, r *http.Request, _ *Caller, _ string) error {
	b, err := s.askApproval(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/batches/"+b.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) purchaseForm(w http.ResponseWriter, r *http.Request, _ *Caller, _ string) error {
	b, err := s.startPurchase(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/batches/"+b.ID, http.StatusSeeOther)
	return nil
}

// auditCSV is the audit log as a CSV file, for a spreadsheet. Cells that
// a spreadsheet would take for a formula are written as text.
func (s *Server) auditCSV(w http.ResponseWriter, r *http.Request, _ *Caller, _ string) error {
	log, err := s.o.Store.AuditLog()
	if err != nil {
		return err
	}
	if err := s.auditOf(r, "download", "", "the audit log"); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="importer-audit.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"seq", "at", "who", "from", "action", "batch", "detail"})
	for _, e := range log {
		_ = cw.Write([]string{strconv.FormatUint(e.Seq, 10), e.At.Format(time.RFC3339), text(e.Who), text(e.From), text(e.Action), text(e.Batch), text(e.Detail)})
	}
	cw.Flush()
	return cw.Error()
}

// text keeps a cell a text in a spreadsheet: one that starts as a formula
// does (=, +, -, @, a tab) gets a leading apostrophe.
func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, c *Caller, csrf string) error {
	log, err := s.o.Store.AuditLog()
	if err != nil {
		return err
	}
	for i, j := 0, len(log)-1; i < j; i, j = i+1, j-1 { // newest first
		log[i], log[j] = log[j], log[i]
	}
	page(w, http.StatusOK, "audit.html", map[string]any{"Caller": c, "CSRF": csrf, "Log": log})
	return nil
}

// next is the page after n, or 0 at the last.
func next(n, pages int) int {
	if n < pages {
		return n + 1
	}
	return 0
}

// sinceDecided is how the current plan differs from the plan of the last
// version someone decided on (approved or rejected), for the person who
// decides now; nil when there is no such version or it is this one.
func (s *Server) sinceDecided(r *http.Request, b *store.Batch) map[string]any {
	if len(b.History) == 0 {
		return nil
	}
	last := b.History[len(b.History)-1]
	cur := b.Current()
	if last.Version == cur.N {
		return nil
	}
	was, err1 := s.plan(r.Context(), b, last.Version)
	now, err2 := s.plan(r.Context(), b, cur.N)
	if err1 != nil || err2 != nil {
		return nil
	}
	return map[string]any{"Version": last.Version, "Decision": last.Decision, "Differences": approval.Differences(was, now)}
}

func newestFirst(vs []store.Version) []store.Version {
	out := slices.Clone(vs)
	slices.Reverse(out)
	return out
}

// priceListName names the settings' price list without its folders ("": none).
func priceListName(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Base(path)
}
