// Package approval is the finance control between checking a sheet and
// buying it: a plan records exactly what a sheet will buy (its hash, its
// carts and lines, totals), a controller approves the plan, and a
// submission refuses to send anything that differs from it.
package approval

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/cspimporter/importer/pkg/order"
)

// Version is the plan format's version.
const Version = 1

// Plan is what a controller approves.
type Plan struct {
	Version int       `json:"version"`
	Sheet   string    `json:"sheet"` // the file's name when the plan was made
	SHA256  string    `json:"sha256"`
	Batch   string    `json:"batch"`
	Created time.Time `json:"created"`
	// CheckedOnline: when the sheet was also checked against Partner
	// Center (validate --online); nil for the offline rules only.
	CheckedOnline *time.Time `json:"checkedOnline,omitempty"`
	Rows          int        `json:"rows"`
	Lines         int        `json:"lines"`       // lines of the carts that will be sent
	InvalidRows   []int      `json:"invalidRows"` // sheet rows that will not be sent
	Carts         []Cart     `json:"carts"`
	Customers     []Total    `json:"totalsPerCustomer"`
	Products      []Total    `json:"totalsPerProduct"`
	// Prices are the lines' prices and Costs their totals per currency,
	// where the sheet was priced (--prices); Unpriced counts the lines to
	// buy without a price. Plans made before prices have none.
	Prices   []LinePrice `json:"prices,omitempty"`
	Costs    []Cost      `json:"costs,omitempty"`
	Unpriced int         `json:"unpricedLines,omitempty"`
}

// LinePrice is the price of the line of a sheet row.
type LinePrice struct {
	Row       int     `json:"row"`
	UnitPrice float64 `json:"unitPrice"`
	Currency  string  `json:"currency"`
	Cost      float64 `json:"estimatedCost"`
}

// Cost is what the lines to buy cost in one currency: in all, per
// customer and per product.
type Cost struct {
	Currency  string       `json:"currency"`
	Total     float64      `json:"total"`
	Customers []CostAmount `json:"perCustomer"`
	Products  []CostAmount `json:"perProduct"`
}

// CostAmount is a customer's or a product's part of a Cost.
type CostAmount struct {
	Key    string  `json:"key"`
	Amount float64 `json:"amount"`
}

// Cart is one cart, with the lines the create-cart request will carry.
type Cart struct {
	Name       string `json:"name"`
	CustomerID string `json:"customerId"`
	CartGroup  string `json:"cartGroup,omitempty"`
	Attested   bool   `json:"partnerOnRecordAttestationAccepted"`
	// HeldBack: the cart has an invalid row, so it is not sent (with
	// --skip-invalid) or nothing is (without).
	HeldBack bool   `json:"heldBack,omitempty"`
	Lines    []Line `json:"lines"`
}

// Total adds up the lines of the carts that will be sent, per customer or
// per product (catalog item).
type Total struct {
	Key      string `json:"key"`
	Lines    int    `json:"lines"`
	Quantity int    `json:"quantity"`
}

// Of says what a plan is of: the sheet (its file name and the SHA-256 of
// the bytes that were checked), the batch it is for, and when it was made.
type Of struct {
	Sheet, SHA256, Batch string
	Created              time.Time
	CheckedOnline        *time.Time
}

// Build makes the plan of a checked sheet.
func Build(of Of, c *order.Checked) *Plan {
	rows, carts, outcomes := c.Rows, c.Carts, c.Outcomes
	p := &Plan{Version: Version, Sheet: of.Sheet, SHA256: of.SHA256, Batch: of.Batch, Created: of.Created.UTC(), Rows: len(rows),
		InvalidRows: []int{}, Carts: []Cart{}, Customers: []Total{}, Products: []Total{}}
	if of.CheckedOnline != nil {
		t := of.CheckedOnline.UTC()
		p.CheckedOnline = &t
	}
	for i := range rows {
		if outcomes[i].Status == order.StatusInvalid {
			p.InvalidRows = append(p.InvalidRows, rows[i].Line)
		}
	}
	customers, products := map[string]*Total{}, map[string]*Total{}
	costs := costTotals{}
	add := func(m map[string]*Total, key string, q int) {
		t := m[key]
		if t == nil {
			t = &Total{Key: key}
			m[key] = t
		}
		t.Lines++
		t.Quantity += q
	}
	for _, c := range carts {
		pc := Cart{Name: c.Name, CustomerID: c.Key.CustomerID, CartGroup: c.Key.Group, Attested: c.Request.PartnerOnRecordAttestationAccepted, Lines: []Line{}}
		for n, i := range c.Rows {
			if outcomes[i].Status == order.StatusInvalid {
				pc.HeldBack = true
			}
			if n < len(c.Request.LineItems) {
				pc.Lines = append(pc.Lines, lineOf(rows[i].Line, c.Request.LineItems[n]))
			}
		}
		if !pc.HeldBack {
			for n, l := range pc.Lines {
				p.Lines++
				add(customers, pc.CustomerID, l.Quantity)
				add(products, l.CatalogItemID, l.Quantity)
				if pr := outcomes[c.Rows[n]].Price; pr != nil {
					p.Prices = append(p.Prices, LinePrice{Row: l.Row, UnitPrice: pr.Unit, Currency: pr.Currency, Cost: pr.Cost})
					costs.add(pr.Currency, pc.CustomerID, l.CatalogItemID, pr.Cost)
				} else {
					p.Unpriced++
				}
			}
		}
		p.Carts = append(p.Carts, pc)
	}
	p.Customers, p.Products = sorted(customers), sorted(products)
	p.Costs = costs.list()
	if len(p.Prices) == 0 {
		p.Unpriced = 0 // not priced at all
	}
	return p
}

// costTotal adds up one currency's costs.
type costTotal struct {
	total               float64
	customers, products map[string]float64
}

// costTotals add up costs per currency, customer and product.
type costTotals map[string]*costTotal

func (c costTotals) add(currency, customer, product string, v float64) {
	t := c[currency]
	if t == nil {
		t = &costTotal{customers: map[string]float64{}, products: map[string]float64{}}
		c[currency] = t
	}
	t.total += v
	t.customers[customer] += v
	t.products[strings.ToUpper(product)] += v
}

func (c costTotals) list() []Cost {
	var out []Cost
	for cur, t := range c {
		out = append(out, Cost{Currency: cur, Total: cents(t.total), Customers: amounts(t.customers), Products: amounts(t.products)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

func amounts(m map[string]float64) []CostAmount {
	out := make([]CostAmount, 0, len(m))
	for k, v := range m {
		out = append(out, CostAmount{Key: k, Amount: cents(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func cents(v float64) float64 { return math.Round(v*100) / 100 }

func sorted(m map[string]*Total) []Total {
	out := make([]Total, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
