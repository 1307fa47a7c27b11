package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/cspimporter/importer/pkg/approval"
	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/report"
)

// cartsPerPage bounds the plan page: a cart has at most a few dozen lines,
// so a page stays readable however large the sheet.
const cartsPerPage = 20

// planPage is what an approver approves: the plan of the batch's current
// version, every cart and line as it will be sent (a page of carts at a
// time), the totals per customer and product with their cost, how it
// differs from the version decided on last, and the decision.
func (s *Server) planPage(w http.ResponseWriter, r *http.Request, c *Caller, csrf string) error {
	b, err := s.o.Store.Batch(r.PathValue("id"))
	if err != nil {
		return err
	}
	plan, err := s.plan(r.Context(), b, b.Current().N)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pages := max(1, (len(plan.Carts)+cartsPerPage-1)/cartsPerPage)
	n = min(max(1, n), pages)
	from, to := (n-1)*cartsPerPage, min(n*cartsPerPage, len(plan.Carts))
	page(w, http.StatusOK, "plan.html", map[string]any{"Caller": c, "CSRF": csrf, "B": s.view(b, false), "Plan": plan,
		"Carts": planCarts(plan, plan.Carts[from:to]), "Named": named(plan.Carts[from:to]), "Customers": totals(plan.Customers, plan.Costs, true),
		"Products": totals(plan.Products, plan.Costs, false), "Costs": costsText(plan.Costs),
		"Since": s.sinceDecided(r, b), "Page": n, "Pages": pages, "Prev": n - 1, "Next": next(n, pages),
		"MayDecide":  c.Has(RoleApprover) && importer.MayDecide(b, c.ID) == nil,
		"MayApprove": b.Current().Invalid == 0, "Invalid": b.Current().Invalid,
		"Uploader": b.Current().UploadedBy == c.ID})
	return nil
}

// cartView is a cart of the plan with its lines' prices.
type cartView struct {
	approval.Cart
	Lines []lineView
}

type lineView struct {
	approval.Line
	Price string // "12.50 EUR" a seat, "" unpriced
	Cost  string
}

func planCarts(p *approval.Plan, carts []approval.Cart) []cartView {
	prices := map[int]approval.LinePrice{}
	for _, lp := range p.Prices {
		prices[lp.Row] = lp
	}
	out := make([]cartView, len(carts))
	for i, c := range carts {
		out[i].Cart = c
		for _, l := range c.Lines {
			lv := lineView{Line: l}
			if lp, ok := prices[l.Row]; ok {
				lv.Price, lv.Cost = report.Money(lp.UnitPrice)+" "+lp.Currency, report.Money(lp.Cost)+" "+lp.Currency
			}
			out[i].Lines = append(out[i].Lines, lv)
		}
	}
	return out
}

// totalView is a customer's or a product's total: lines, seats and cost
// (one amount per currency).
type totalView struct {
	approval.Total
	Cost  string
	Carts int // a customer's
}

func totals(ts []approval.Total, costs []approval.Cost, customers bool) []totalView {
	amounts := map[string][]string{}
	for _, c := range costs {
		part := c.Products
		if customers {
			part = c.Customers
		}
		for _, a := range part {
			amounts[a.Key] = append(amounts[a.Key], report.Money(a.Amount)+" "+c.Currency)
		}
	}
	out := make([]totalView, len(ts))
	for i, t := range ts {
		out[i] = totalView{Total: t, Cost: strings.Join(amounts[t.Key], " + ")}
	}
	return out
}

func costsText(costs []approval.Cost) string {
	var parts []string
	for _, c := range costs {
		parts = append(parts, report.Money(c.Total)+" "+c.Currency)
	}
	return strings.Join(parts, " + ")
}

// perCustomer is the customers' totals with their carts.
func perCustomer(p *approval.Plan) []totalView {
	out := totals(p.Customers, p.Costs, true)
	carts := map[string]int{}
	for _, c := range p.Carts {
		if !c.HeldBack {
			carts[c.CustomerID]++
		}
	}
	for i := range out {
		out[i].Carts = carts[out[i].Key]
	}
	return out
}

// cellView is a cell of the rows' grid: bad when its column is at fault.
type cellView struct {
	Value, Class string
	Bad          bool
}

func cell(r rowView, column, value, class string) cellView {
	return cellView{Value: value, Class: class, Bad: slices.Contains(r.ProblemColumns, column)}
}

// named: some line of the carts has a friendly name (else the column is
// left out).
func named(carts []approval.Cart) bool {
	for _, c := range carts {
		for _, l := range c.Lines {
			if l.FriendlyName != "" {
				return true
			}
		}
	}
	return false
}
