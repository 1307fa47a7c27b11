package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/cspimporter/importer/pkg/atomicfile"
	"github.com/cspimporter/importer/pkg/order"
)

// Summary is the machine-readable account of a run (--json).
type Summary struct {
	Input   string `json:"input"`
	SHA256  string `json:"sha256,omitempty"` // of the input's bytes as read
	Sheet   string `json:"sheet,omitempty"`
	Results string `json:"results,omitempty"`
	Mode    string `json:"mode"`
	// Sandbox: the simulated Partner Center; nothing was bought.
	Sandbox bool   `json:"sandbox,omitempty"`
	Batch   string `json:"batch,omitempty"`
	RunID   string `json:"runId,omitempty"`
	Journal string `json:"journal,omitempty"`
	// Online: the sheet was also checked against Partner Center.
	Online *Online `json:"online,omitempty"`
	Rows   int     `json:"rows"`
	// Columns says which header was read for each field.
	Columns   map[string]string `json:"columns,omitempty"`
	Orders    []string          `json:"orders,omitempty"` // ids of the orders the rows are in, in row order
	Statuses  map[string]int    `json:"statuses"`
	Customers []CustomerTally   `json:"customers"`
	Kinds     []KindTally       `json:"problemKinds"`
	Problems  []ProblemEntry    `json:"problems"`
	Carts     []CartSummary     `json:"carts"`
	// Costs total the priced rows that are (in a dry run) or were (after
	// submit) bought, per currency; Unpriced counts those without a price.
	Costs    []CostTotal `json:"costs,omitempty"`
	Unpriced int         `json:"unpricedRows,omitempty"`
	// OrderStatuses and Provisioning count the ordered rows by what
	// Partner Center said of their orders (importer status).
	OrderStatuses map[string]int `json:"orderStatuses,omitempty"`
	Provisioning  map[string]int `json:"provisioning,omitempty"`
}

// CustomerTally counts the rows of one customer by status.
type CustomerTally struct {
	CustomerID string         `json:"customerId"`
	Name       string         `json:"name,omitempty"` // from the sheet's name column, if it has one
	Rows       int            `json:"rows"`
	Statuses   map[string]int `json:"statuses"`
}

// KindTally counts one kind of problem and where it happens.
type KindTally struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
	Rows  []int  `json:"rows"`
}

// ProblemEntry is one problem of one row.
type ProblemEntry struct {
	Row      int    `json:"row"`
	Column   string `json:"column,omitempty"`
	Severity string `json:"severity"`
	Kind     string `json:"kind"`
	Message  string `json:"message"`
	Text     string `json:"text"`
}

// CartSummary is one cart: its rows, their statuses, and the request that
// would be sent.
type CartSummary struct {
	Name       string         `json:"name"`
	CustomerID string         `json:"customerId"`
	CartGroup  string         `json:"cartGroup,omitempty"`
	Rows       []int          `json:"rows"`
	Statuses   map[string]int `json:"statuses"`
	Request    CartRequest    `json:"request"`
}

// severityName is a severity as the JSON summary names it.
var severityName = map[order.Severity]string{order.Error: "error", order.Warning: "warning", order.Note: "note"}

// Summarize counts a run.
func Summarize(run *Run, results string) *Summary {
	s := &Summary{
		Input: run.Input, SHA256: run.SHA256, Sheet: run.Sheet, Results: results, Mode: run.Mode, Sandbox: run.Sandbox, Online: run.Online, Batch: run.Batch, RunID: run.RunID, Journal: run.Journal,
		Rows: len(run.Rows), Columns: order.HeadersByField(run.Columns), Statuses: map[string]int{},
		Customers: []CustomerTally{}, Kinds: []KindTally{}, Problems: []ProblemEntry{}, Carts: []CartSummary{},
	}
	customers := map[string]int{}
	orders := map[string]bool{}
	named := customerNameColumn(run.Columns)
	for i := range run.Rows {
		r, o := &run.Rows[i], &run.Outcomes[i]
		s.Statuses[string(o.Status)]++
		if o.OrderID != "" && !orders[o.OrderID] {
			orders[o.OrderID] = true
			s.Orders = append(s.Orders, o.OrderID)
		}

		cust := order.KeyOf(r).CustomerID
		n, ok := customers[cust]
		if !ok {
			n = len(s.Customers)
			customers[cust] = n
			s.Customers = append(s.Customers, CustomerTally{CustomerID: cust, Statuses: map[string]int{}})
		}
		s.Customers[n].Rows++
		s.Customers[n].Statuses[string(o.Status)]++
		if c := named; c >= 0 && c < len(r.Cells) && s.Customers[n].Name == "" {
			s.Customers[n].Name = strings.TrimSpace(r.Cells[c])
		}

		for _, p := range o.Problems {
			sev := severityName[p.Severity]
			s.Problems = append(s.Problems, ProblemEntry{
				Row: r.Line, Column: p.Field.String(), Severity: sev, Kind: p.Kind,
				Message: p.Message, Text: Describe(r, p),
			})
		}
	}
	s.Kinds = TallyKinds(s.Problems, false)
	if run.Prices {
		s.Costs, s.Unpriced = costs(run)
	}
	if run.FollowUp {
		s.OrderStatuses, s.Provisioning = map[string]int{}, map[string]int{}
		for i := range run.Outcomes {
			o := &run.Outcomes[i]
			if o.OrderStatus != "" {
				s.OrderStatuses[o.OrderStatus]++
			}
			if o.Provisioning != "" {
				s.Provisioning[o.Provisioning]++
			}
		}
	}
	for _, c := range run.Carts {
		cs := CartSummary{Name: c.Name, CustomerID: c.Key.CustomerID, CartGroup: c.Key.Group, Statuses: map[string]int{}, Request: requestOf(c.Request)}
		for _, i := range c.Rows {
			cs.Rows = append(cs.Rows, run.Rows[i].Line)
			cs.Statuses[string(run.Outcomes[i].Status)]++
		}
		s.Carts = append(s.Carts, cs)
	}
	return s
}

// TallyKinds counts problems by kind, with the rows of each, most first;
// errorsOnly leaves out notes (such as an order still provisioning).
func TallyKinds(problems []ProblemEntry, errorsOnly bool) []KindTally {
	out := []KindTally{}
	at := map[string]int{}
	for _, p := range problems {
		if errorsOnly && p.Severity != "error" {
			continue
		}
		n, ok := at[p.Kind]
		if !ok {
			n = len(out)
			at[p.Kind] = n
			out = append(out, KindTally{Kind: p.Kind})
		}
		out[n].Count++
		if rows := out[n].Rows; len(rows) == 0 || rows[len(rows)-1] != p.Row {
			out[n].Rows = append(out[n].Rows, p.Row)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// WriteSummary writes the summary as indented JSON, atomically.
// A summary is small: ctx is looked at once, before it is written.
func WriteSummary(ctx context.Context, path string, s *Summary) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
}

// StatusCount is how many rows have one status.
type StatusCount struct {
	Status order.Status
	Rows   int
}

// Tally lists the statuses of counts (a Summary's Statuses) that have rows,
// in the order of order.Statuses, and those of always even without.
func Tally(counts map[string]int, always ...order.Status) []StatusCount {
	var t []StatusCount
	for _, st := range order.Statuses {
		if n := counts[string(st)]; n > 0 || slices.Contains(always, st) {
			t = append(t, StatusCount{Status: st, Rows: n})
		}
	}
	return t
}

// TallyText says a tally as people do: "28 ordered, 2 failed".
func TallyText(t []StatusCount) string {
	parts := make([]string, len(t))
	for i, c := range t {
		parts[i] = fmt.Sprintf("%d %s", c.Rows, strings.ToLower(string(c.Status)))
	}
	return strings.Join(parts, ", ")
}
