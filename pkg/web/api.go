package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cspimporter/importer/pkg/approval"
	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/order"
	"github.com/cspimporter/importer/pkg/report"
	"github.com/cspimporter/importer/pkg/store"
)

// Batch statuses (the core's).
const (
	StatusInvalid  = importer.BatchInvalid
	StatusReady    = importer.BatchReady
	StatusAwaiting = importer.BatchAwaiting
	StatusApproved = importer.BatchApproved
	StatusRejected = importer.BatchRejected
	StatusBuying   = importer.BatchBuying
	StatusDone     = importer.BatchDone
	StatusProblems = importer.BatchProblems
	StatusFailed   = importer.BatchFailed
)

// request asks for a decision on the current plan (a batch whose rows are
// all valid).
func (s *Server) request(w http.ResponseWriter, r *http.Request) error {
	b, err := s.askApproval(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(b, false))
	return nil
}

func (s *Server) askApproval(r *http.Request) (*store.Batch, error) {
	caller := callerOf(r.Context())
	b, err := s.o.Store.UpdateBatch(r.PathValue("id"), func(b *store.Batch) error {
		return importer.AskApproval(b, caller.ID, s.o.Now())
	})
	if err != nil {
		return nil, err
	}
	return b, s.auditOf(r, "ask for approval", b.ID, "version "+strconv.Itoa(b.Current().N))
}

// batchView is a batch as the API shows it.
type batchView struct {
	ID         string            `json:"id"`
	Batch      string            `json:"batch"`
	Status     string            `json:"status"`
	Version    int               `json:"version"`
	UploadedBy string            `json:"uploadedBy"`
	Summary    json.RawMessage   `json:"summary,omitempty"`
	Plan       map[string]string `json:"plan"`
	Approval   *store.Approval   `json:"approval"`
	Purchase   *store.Purchase   `json:"purchase,omitempty"`
	Progress   *progressView     `json:"progress,omitempty"` // while buying
	// Asking: this instance is asking Partner Center about the orders;
	// purchase.followUp has the answer once it is in.
	Asking   bool            `json:"askingPartnerCenter,omitempty"`
	Versions []store.Version `json:"versions"`
}

func (s *Server) view(b *store.Batch, withSummary bool) batchView {
	v := b.Current()
	out := batchView{ID: b.ID, Batch: b.Name, Status: importer.BatchStatus(b), Version: v.N, UploadedBy: v.UploadedBy,
		Plan: map[string]string{"sha256": v.PlanSHA256}, Versions: b.Versions}
	if a := b.Approval; a != nil && a.PlanSHA256 == v.PlanSHA256 {
		out.Approval = a
	}
	if p := b.Purchase; p != nil && p.PlanSHA256 == v.PlanSHA256 {
		shown := *p
		shown.Progress = nil // the view's own, wherever it is bought
		out.Purchase, out.Progress = &shown, s.progressOf(b)
	}
	out.Asking = s.buying.isFollowing(b.ID)
	if withSummary {
		if raw, err := s.file(b, v.N, store.FileSummary); err == nil {
			out.Summary = raw
		}
	}
	return out
}

var safeName = regexp.MustCompile(`[^A-Za-z0-9 ._-]+`)

// upload takes a sheet (multipart field file; optional batch), checks it
// with the core and keeps it as a new batch, or as a new version of the
// batch it names.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) error {
	b, err := s.doUpload(w, r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.view(b, true))
	return nil
}

// doUpload takes the sheet of a request (the API's or the upload page's).
func (s *Server) doUpload(w http.ResponseWriter, r *http.Request) (*store.Batch, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.o.MaxUpload+1<<20)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fail(http.StatusRequestEntityTooLarge, "the sheet is over "+size(s.o.MaxUpload))
		}
		return nil, fail(http.StatusBadRequest, "send the sheet as the multipart field file")
	}
	defer f.Close()
	if hdr.Size > s.o.MaxUpload {
		return nil, fail(http.StatusRequestEntityTooLarge, "the sheet is over "+size(s.o.MaxUpload))
	}
	name := strings.TrimSpace(safeName.ReplaceAllString(filepath.Base(hdr.Filename), "_"))
	ext := strings.ToLower(filepath.Ext(name))
	if ext != ".xlsx" && ext != ".csv" {
		return nil, fail(http.StatusUnsupportedMediaType, "upload an .xlsx workbook or a .csv file")
	}
	batchName := strings.TrimSpace(r.FormValue("batch"))
	if batchName == "" {
		batchName = report.BaseName(name)
	}
	caller := callerOf(r.Context())
	b, n, err := s.o.Store.Reserve(batchName, s.o.Now().UTC(), importer.MayUpload)
	if err != nil {
		return nil, err
	}
	v := &store.Version{N: n, Name: name, File: "sheet/" + name, UploadedBy: caller.ID, At: s.o.Now().UTC()}
	wk, err := s.newWork(b.ID, n)
	if err != nil {
		return nil, err
	}
	defer wk.close()
	if err := save(f, wk.path(v.File)); err != nil {
		return nil, err
	}
	if err := s.check(r, wk, b, v, r.FormValue("online") == "true"); err != nil {
		return nil, err
	}
	if err := wk.put(v.Files()...); err != nil {
		return nil, err
	}
	// Added to the batch as stored: a decision made meanwhile stays.
	if b, err = s.o.Store.AddVersion(b.ID, *v); err != nil {
		return nil, err
	}
	if err := s.auditOf(r, "upload", b.ID, fmt.Sprintf("%s, version %d, %d rows, %d invalid", name, v.N, v.Rows, v.Invalid)); err != nil {
		return nil, err
	}
	return b, nil
}

func save(f multipart.File, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, f); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// check runs the core's dry run on the version's sheet: its results
// workbook, JSON summary, rows and the plan an approval is bound to.
func (s *Server) check(r *http.Request, wk *work, b *store.Batch, v *store.Version, online bool) error {
	select {
	case s.checks <- struct{}{}:
		defer func() { <-s.checks }()
	case <-r.Context().Done():
		return r.Context().Err()
	}
	input := wk.path(v.File)
	co := importer.CheckOptions{Results: wk.path(store.FileResults), Now: s.o.Now(), Log: s.o.Log, Prices: s.o.Prices}
	if online {
		if s.o.Conn == nil {
			return fail(http.StatusConflict, "this server has no connection to Partner Center to check online with")
		}
		co.Online = &importer.OnlineOptions{Conn: s.o.Conn, Concurrency: 5, State: s.journal(b)}
		v.Online = true
	}
	done, err := importer.Validate(r.Context(), input, co, wk.path(store.FileSummary))
	if done == nil {
		if importer.FaultOf(err) == importer.FaultSheet {
			return fail(http.StatusUnprocessableEntity, strings.ReplaceAll(importer.Message(err), wk.dir+string(filepath.Separator), ""))
		}
		return err
	}
	plan := done.Sheet.Plan(b.Name)
	planPath := wk.path(store.FilePlan)
	if err := approval.Write(r.Context(), planPath, plan); err != nil {
		return err
	}
	raw, err := os.ReadFile(planPath)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	v.SHA256, v.PlanSHA256 = done.Sheet.File.SHA256, hex.EncodeToString(sum[:])
	v.Rows, v.Invalid = len(done.Sheet.Rows), done.Sheet.Count(order.StatusInvalid)
	for _, c := range plan.Costs {
		v.Costs = append(v.Costs, store.Amount{Currency: c.Currency, Total: c.Total})
	}
	return writeRows(wk.path(store.FileRows), done.Run)
}

// rowView is one row as the API lists it.
type rowView struct {
	Row           int    `json:"row"`
	Status        string `json:"status"`
	Message       string `json:"message,omitempty"`
	Cart          string `json:"cart,omitempty"`
	CustomerID    string `json:"customerId"`
	CatalogItemID string `json:"catalogItemId"`
	Quantity      string `json:"quantity"`
	BillingCycle  string `json:"billingCycle"`
	TermDuration  string `json:"termDuration"`
	// ProblemColumns name the columns whose cells are at fault (errors).
	ProblemColumns []string `json:"problemColumns,omitempty"`
	// OrderStatus and Provisioning are what the last follow-up found.
	OrderStatus  string `json:"orderStatus,omitempty"`
	Provisioning string `json:"provisioning,omitempty"`
}

// rowsOf are the rows of b's current version, as its check or purchase
// (or follow-up) last wrote them.
func (s *Server) rowsOf(b *store.Batch) ([]rowView, error) {
	raw, err := s.file(b, b.Current().N, store.FileRows)
	if err != nil {
		return nil, err
	}
	var all []rowView
	return all, json.Unmarshal(raw, &all)
}

func writeRows(path string, run *report.Run) error {
	rows := make([]rowView, len(run.Rows))
	for i := range run.Rows {
		r, o := &run.Rows[i], &run.Outcomes[i]
		rows[i] = rowView{Row: r.Line, Status: string(o.Status), Message: report.RunMessage(run, i), Cart: o.Cart,
			CustomerID: r.Get(order.CustomerID), CatalogItemID: r.Get(order.CatalogItemID), Quantity: r.Get(order.Quantity),
			BillingCycle: r.Get(order.BillingCycle), TermDuration: r.Get(order.TermDuration),
			OrderStatus: o.OrderStatus, Provisioning: o.Provisioning}
		for _, p := range o.Problems {
			if p.Severity == order.Error && p.Field != order.NoField && !slices.Contains(rows[i].ProblemColumns, p.Field.String()) {
				rows[i].ProblemColumns = append(rows[i].ProblemColumns, p.Field.String())
			}
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) error {
	all, err := s.o.Store.Batches()
	if err != nil {
		return err
	}
	want := r.URL.Query().Get("status")
	out := []batchView{}
	for _, b := range all {
		if v := s.view(b, false); want == "" || v.Status == want {
			out = append(out, v)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) error {
	b, err := s.o.Store.Batch(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(b, true))
	return nil
}

// pageSize is how many rows a page of rows has: a sheet of 100,000 rows
// is never sent at once.
const pageSize = 100

func (s *Server) rows(w http.ResponseWriter, r *http.Request) error {
	b, err := s.o.Store.Batch(r.PathValue("id"))
	if err != nil {
		return err
	}
	all, err := s.rowsOf(b)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	var rows []rowView
	for _, row := range all {
		if status == "" || strings.EqualFold(row.Status, status) {
			rows = append(rows, row)
		}
	}
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		if page, err = strconv.Atoi(p); err != nil || page < 1 {
			return fail(http.StatusBadRequest, "page is a number from 1")
		}
	}
	from, to := min((page-1)*pageSize, len(rows)), min(page*pageSize, len(rows))
	writeJSON(w, http.StatusOK, map[string]any{"page": page, "pages": (len(rows) + pageSize - 1) / pageSize, "total": len(rows), "rows": append([]rowView{}, rows[from:to]...)})
	return nil
}

// results and summary are the current version's files, as attachments.
func (s *Server) results(w http.ResponseWriter, r *http.Request) error {
	return s.download(w, r, "results.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
}

func (s *Server) summary(w http.ResponseWriter, r *http.Request) error {
	return s.download(w, r, "summary.json", "application/json")
}

func (s *Server) download(w http.ResponseWriter, r *http.Request, file, typ string) error {
	b, err := s.o.Store.Batch(r.PathValue("id"))
	if err != nil {
		return err
	}
	v := b.Current()
	data, err := s.file(b, v.N, file)
	if err != nil {
		return err
	}
	if err := s.auditOf(r, "download", b.ID, fmt.Sprintf("%s of version %d", file, v.N)); err != nil {
		return err
	}
	name := safeName.ReplaceAllString(b.Name, "_") + "-v" + strconv.Itoa(v.N) + "." + strings.TrimPrefix(filepath.Ext(file), ".")
	if file == "results.xlsx" {
		name = safeName.ReplaceAllString(b.Name, "_") + "-v" + strconv.Itoa(v.N) + ".results.xlsx"
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err = w.Write(data)
	return err
}

// approve records a decision on the current plan. Four eyes: nobody
// decides on a version they uploaded; the decision names the plan it is
// for, so a batch changed since is not approved by it.
func (s *Server) approve(w http.ResponseWriter, r *http.Request) error {
	var in decision
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		return fail(http.StatusBadRequest, "send {\"decision\": \"approve\" or \"reject\", \"planSha256\": …, \"comment\": …}")
	}
	b, err := s.decide(r, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(b, false))
	return nil
}

// decision is a decision on a plan, as the API and the approval form send it.
type decision struct {
	Decision   string `json:"decision"`
	PlanSHA256 string `json:"planSha256"`
	Comment    string `json:"comment"`
}

// decide records a decision on the current plan.
func (s *Server) decide(r *http.Request, in decision) (*store.Batch, error) {
	caller := callerOf(r.Context())
	b, err := s.o.Store.UpdateBatch(r.PathValue("id"), func(b *store.Batch) error {
		return importer.Decide(b, caller.ID, in.Decision, in.PlanSHA256, in.Comment, s.o.Now())
	})
	if err != nil {
		return nil, err
	}
	if err := s.auditOf(r, in.Decision, b.ID, fmt.Sprintf("version %d, plan %s: %s", b.Current().N, b.Current().PlanSHA256, in.Comment)); err != nil {
		return nil, err
	}
	return b, nil
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request) error {
	log, err := s.o.Store.AuditLog()
	if err != nil {
		return err
	}
	if log == nil {
		log = []store.Entry{}
	}
	writeJSON(w, http.StatusOK, log)
	return nil
}

// size says a number of bytes as people do: 25 MB, 64 KB.
func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", max(1, n>>10))
}
