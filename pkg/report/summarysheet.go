package report

import (
	"fmt"
	"slices"
	"sort"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/order"
)

const summaryTitle = "Import summary"

// SandboxNote is what every output of a sandbox run says, plainly.
const SandboxNote = order.SandboxMark + " nothing was bought (simulated Partner Center)"

// addOurSheet adds a sheet of ours (Summary, Problems) beside the user's:
// under the first of names the workbook has no sheet of, or in place of
// one that ours says an earlier run wrote; failing both, under a numbered
// "Import …" name. It returns the name.
func addOurSheet(f *excelize.File, names []string, ours func(name string) bool) (string, error) {
	name := fmt.Sprintf("%s %d", names[len(names)-1], len(f.GetSheetList())+1)
	for _, n := range names {
		if idx, _ := f.GetSheetIndex(n); idx < 0 {
			name = n
			break
		}
		if ours(n) {
			if err := f.DeleteSheet(n); err != nil {
				return "", err
			}
			name = n
			break
		}
	}
	_, err := f.NewSheet(name)
	return name, err
}

// writeSummarySheet adds the Summary sheet. It is streamed, with inline
// strings, so a workbook's large shared-strings table is never loaded.
func writeSummarySheet(f *excelize.File, run *Run, out string) error {
	sum := Summarize(run, out)
	// "Summary", unless the user's workbook has a Summary sheet of its own.
	name, err := addOurSheet(f, []string{"Summary", "Import Summary"}, func(name string) bool {
		v, _ := f.GetCellValue(name, "A1")
		return v == summaryTitle
	})
	if err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	sheetName := run.Sheet
	if sheetName == "" {
		sheetName = "Orders"
	}
	statuses := statusOrder(sum.Statuses)
	var rows [][]any
	put := func(style int, vals ...any) {
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = excelize.Cell{StyleID: style, Value: v}
		}
		rows = append(rows, row)
	}
	put(st.title, summaryTitle)
	if run.Sandbox {
		put(st.bad, SandboxNote)
	}
	put(0, "Input", run.Input)
	if run.SHA256 != "" {
		put(0, "Input SHA-256", run.SHA256)
	}
	put(0, "Orders sheet", sheetName)
	put(0, "Run", run.Mode)
	for _, kv := range [][2]string{{"Batch", run.Batch}, {"Run id", run.RunID}, {"Journal", run.Journal}} {
		if kv[1] != "" {
			put(0, kv[0], kv[1])
		}
	}
	put(0, "Finished", run.Finished.Format("2006-01-02 15:04:05 MST"))
	if run.Online != nil {
		style := 0
		if run.Online.Unchecked > 0 {
			style = st.bad
		}
		put(style, "Checked online", run.Online.Note())
	}
	put(0, "Rows", sum.Rows)
	put(0, "Carts", len(sum.Carts))
	if run.Submit {
		put(0, "Orders", len(sum.Orders))
	}
	// A table's header: its first column names the rows; the others are
	// numbers, so their headers stand right, over them.
	heading := func(names ...any) {
		row := []any{excelize.Cell{StyleID: st.header, Value: names[0]}}
		for _, n := range names[1:] {
			row = append(row, excelize.Cell{StyleID: st.headerRight, Value: n})
		}
		rows = append(rows, row)
	}
	put(0)
	heading("Status", "Rows")
	for _, s := range statuses {
		put(0, s, sum.Statuses[s])
	}
	put(0)
	head := []any{"Customer", "Rows"}
	for _, s := range statuses {
		head = append(head, s)
	}
	heading(head...)
	for _, c := range sum.Customers {
		who := c.CustomerID
		if c.Name != "" {
			who = c.Name + " (" + c.CustomerID + ")"
		}
		vals := []any{who, c.Rows}
		for _, s := range statuses {
			vals = append(vals, c.Statuses[s])
		}
		put(0, vals...)
	}
	// What it costs, per currency: the batch, then by customer and by
	// product; amounts are numbers, so Excel can add them up again.
	money := func(v float64) excelize.Cell { return excelize.Cell{StyleID: st.money, Value: v} }
	for _, c := range sum.Costs {
		put(0)
		heading("Estimated cost ("+c.Currency+")", "Rows", "Amount")
		rows = append(rows, []any{excelize.Cell{StyleID: st.bold, Value: "All " + run.verb()}, "", excelize.Cell{StyleID: st.money, Value: c.Total}})
		for _, a := range c.Customers {
			who := a.Key
			if a.Name != "" {
				who = a.Name + " (" + a.Key + ")"
			}
			rows = append(rows, []any{who, a.Rows, money(a.Amount)})
		}
		put(0)
		heading("By product ("+c.Currency+")", "Rows", "Amount")
		for _, a := range c.Products {
			rows = append(rows, []any{a.Key, a.Rows, money(a.Amount)})
		}
	}
	if sum.Unpriced > 0 {
		put(0)
		put(st.bad, "Without a price", Plural(sum.Unpriced, "row")+" (each row says why)")
	}
	// Problems, then notes (an order's status, say), each in a table of
	// its own: a run where everything was bought lists no problem.
	for _, t := range []struct {
		title, severity string
	}{{"Problem", "error"}, {"Warning", "warning"}, {"Note", "note"}} {
		var of []ProblemEntry
		for _, p := range sum.Problems {
			if p.Severity == t.severity {
				of = append(of, p)
			}
		}
		if len(of) == 0 {
			continue
		}
		put(0)
		rows = append(rows, []any{excelize.Cell{StyleID: st.header, Value: t.title}, excelize.Cell{StyleID: st.headerRight, Value: "Count"},
			excelize.Cell{StyleID: st.headerIndent, Value: "Where"}})
		for _, k := range TallyKinds(of, false) {
			label := k.Kind
			if t.severity == "note" {
				label = noteLabel(of, k.Kind)
			}
			rows = append(rows, []any{excelize.Cell{Value: label}, excelize.Cell{Value: k.Count}, excelize.Cell{StyleID: st.indent, Value: Rows(k.Rows, 30)}})
		}
	}
	return streamSheet(f, name, rows, []float64{56, 16, 16})
}

// noteLabel names a kind of note in words: the note itself where every
// note of the kind says the same ("order status: pending"), not the kind
// ("submit: ordered"), which is the engineer's name for where it came from.
func noteLabel(notes []ProblemEntry, kind string) string {
	msg := ""
	for _, p := range notes {
		if p.Kind != kind {
			continue
		}
		if msg != "" && p.Message != msg {
			return kind
		}
		msg = p.Message
	}
	if msg == "" {
		return kind
	}
	return msg
}

// statusOrder lists statuses in a stable, meaningful order.
func statusOrder(counts map[string]int) []string {
	var out, rest []string
	for _, st := range order.Statuses {
		if _, ok := counts[string(st)]; ok {
			out = append(out, string(st))
		}
	}
	for s := range counts {
		if !slices.Contains(order.Statuses, order.Status(s)) {
			rest = append(rest, s)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
