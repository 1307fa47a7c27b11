package report

import (
	"context"
	"io"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/approval"
	"github.com/cspimporter/importer/pkg/atomicfile"
)

// PlanWorkbookPath is where the plan at path is rendered for people:
// orders.plan.json gets orders.plan.xlsx, approved.json approved.plan.xlsx
// (never the name of a sheet beside it).
func PlanWorkbookPath(path string) string {
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	if !strings.HasSuffix(stem, ".plan") {
		stem += ".plan"
	}
	return stem + ".xlsx"
}

// WritePlanWorkbook renders a plan for the controller who approves it: what
// it is of (batch, sheet, hash, date), then one sheet per view, by
// customer and by product. The JSON stays the record submit --plan checks.
// Every value is written as a value: nothing from a sheet becomes a formula.
func WritePlanWorkbook(ctx context.Context, path string, p *approval.Plan) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", "By customer"); err != nil {
		return err
	}
	if _, err := f.NewSheet("By product"); err != nil {
		return err
	}
	if err := planByCustomer(f, st, p); err != nil {
		return err
	}
	if err := planByProduct(f, st, p); err != nil {
		return err
	}

	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := f.WriteTo(w)
		return err
	})
}

// planHead is what every view starts with: what the plan is of.
func planHead(st *styles, p *approval.Plan, view string) [][]any {
	cell := func(style int, v any) excelize.Cell { return excelize.Cell{StyleID: style, Value: v} }
	rows := [][]any{
		{cell(st.title, "Plan for approval: "+view)},
		{cell(st.bold, "Batch"), cell(0, p.Batch)},
		{cell(st.bold, "Sheet"), cell(0, p.Sheet)},
		{cell(st.bold, "Sheet SHA-256"), cell(0, p.SHA256)},
		{cell(st.bold, "Made"), cell(0, p.Created.Format("2006-01-02 15:04 MST"))},
		{cell(st.bold, "Checked online"), cell(0, checkedOnline(p))},
		{cell(st.bold, "Lines to buy"), cell(0, p.Lines)},
	}
	for _, c := range p.Costs {
		rows = append(rows, []any{cell(st.bold, "Estimated cost"), cell(st.bold, Money(c.Total)+" "+c.Currency)})
	}
	if p.Unpriced > 0 {
		rows = append(rows, []any{cell(st.bad, "Without a price"), cell(st.bad, Plural(p.Unpriced, "line")+" to buy: the results workbook says why")})
	}
	if n := len(p.InvalidRows); n > 0 {
		rows = append(rows, []any{cell(st.bad, "Invalid rows"), cell(st.bad, List(p.InvalidRows, 50)+": their carts are held back")})
	}
	return append(rows, nil)
}

// planPrices are the plan's line prices by sheet row.
func planPrices(p *approval.Plan) map[int]approval.LinePrice {
	m := map[int]approval.LinePrice{}
	for _, lp := range p.Prices {
		m[lp.Row] = lp
	}
	return m
}

// costOf is a customer's or product's cost in the plan's currencies.
func costOf(p *approval.Plan, key string, product bool) string {
	var parts []string
	for _, c := range p.Costs {
		list := c.Customers
		if product {
			list = c.Products
		}
		for _, a := range list {
			if strings.EqualFold(a.Key, key) {
				parts = append(parts, Money(a.Amount)+" "+c.Currency)
			}
		}
	}
	return strings.Join(parts, " + ")
}

// checkedOnline says whether, and when, Partner Center was asked.
func checkedOnline(p *approval.Plan) string {
	if p.CheckedOnline == nil {
		return "no: our own rules only (validate --online asks Partner Center too)"
	}
	return "yes, with Partner Center, " + p.CheckedOnline.Format("2006-01-02 15:04 MST")
}

func planByCustomer(f *excelize.File, st *styles, p *approval.Plan) error {
	rows := planHead(st, p, "by customer")
	head := []string{"Customer", "Cart group", "Row", "Catalog item", "Name", "Quantity", "Billing", "Term", "Sent"}
	priced := len(p.Prices) > 0
	if priced {
		head = append(head, "Unit price", "Currency", "Estimated cost")
	}
	rows = append(rows, headerCells(st, head))
	linePrices := planPrices(p)
	for _, c := range p.Carts {
		sent := "yes"
		if c.HeldBack {
			sent = "no: held back (an invalid row)"
		}
		for _, l := range c.Lines {
			row := []any{c.CustomerID, c.CartGroup, l.Row, excelize.Cell{StyleID: st.indent, Value: l.CatalogItemID},
				l.FriendlyName, l.Quantity, excelize.Cell{StyleID: st.indent, Value: l.BillingCycle}, l.TermDuration, sent}
			if lp, ok := linePrices[l.Row]; ok {
				row = append(row, excelize.Cell{StyleID: st.money, Value: lp.UnitPrice}, excelize.Cell{StyleID: st.indent, Value: lp.Currency}, excelize.Cell{StyleID: st.money, Value: lp.Cost})
			}
			rows = append(rows, row)
		}
	}
	totals := []string{"Customer", "Lines", "Quantity"}
	if priced {
		totals = append(totals, "Estimated cost")
	}
	rows = append(rows, nil, headerCells(st, totals))
	for _, t := range p.Customers {
		rows = append(rows, []any{t.Key, t.Lines, t.Quantity, costOf(p, t.Key, false)})
	}
	return streamSheet(f, "By customer", rows, []float64{40, 12, 10, 36, 24, 10, 10, 8, 30, 12, 10, 16})
}

func planByProduct(f *excelize.File, st *styles, p *approval.Plan) error {
	rows := planHead(st, p, "by product")
	head := []string{"Catalog item", "Lines", "Quantity"}
	if len(p.Prices) > 0 {
		head = append(head, "Estimated cost")
	}
	rows = append(rows, headerCells(st, head))
	for _, t := range p.Products {
		rows = append(rows, []any{t.Key, t.Lines, t.Quantity, costOf(p, t.Key, true)})
	}
	return streamSheet(f, "By product", rows, []float64{40, 10, 10, 24})
}

// headerCells is a table's header row; the headers of number columns
// stand right, over their numbers.
func headerCells(st *styles, names []string) []any {
	row := make([]any, len(names))
	for i, n := range names {
		style := st.header
		switch n {
		case "Row", "Lines", "Quantity", "Unit price", "Estimated cost":
			style = st.headerRight
		case "Currency":
			style = st.headerIndent
		}
		row[i] = excelize.Cell{StyleID: style, Value: n}
	}
	return row
}
