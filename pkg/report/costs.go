package report

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/cspimporter/importer/pkg/order"
)

// CostTotal is what the rows cost in one currency: for the batch, per
// customer and per product (catalog item).
type CostTotal struct {
	Currency  string   `json:"currency"`
	Total     float64  `json:"total"`
	Customers []Amount `json:"customers"`
	Products  []Amount `json:"products"`
}

// Amount is a total of one customer or product.
type Amount struct {
	Key    string  `json:"key"`
	Name   string  `json:"name,omitempty"` // the customer's name, where the sheet has one
	Rows   int     `json:"rows"`
	Amount float64 `json:"amount"`
}

// counted: the row is (dry run: valid) or was (submit: bought) bought.
func counted(run *Run, o *order.Outcome) bool {
	if run.Submit {
		return o.Bought()
	}
	return o.Status == order.StatusValid
}

// costs totals the priced rows that count, per currency, largest first;
// unpriced counts those without a price.
func costs(run *Run) (totals []CostTotal, unpriced int) {
	type acc struct {
		total               float64
		customers, products map[string]*Amount
	}
	by := map[string]*acc{}
	named := customerNameColumn(run.Columns)
	for i := range run.Rows {
		o := &run.Outcomes[i]
		if !counted(run, o) {
			continue
		}
		if o.Price == nil {
			unpriced++
			continue
		}
		a := by[o.Price.Currency]
		if a == nil {
			a = &acc{customers: map[string]*Amount{}, products: map[string]*Amount{}}
			by[o.Price.Currency] = a
		}
		a.total += o.Price.Cost
		r := &run.Rows[i]
		cu := add(a.customers, order.KeyOf(r).CustomerID, o.Price.Cost)
		if cu.Name == "" && named >= 0 && named < len(r.Cells) {
			cu.Name = strings.TrimSpace(r.Cells[named])
		}
		add(a.products, strings.ToUpper(r.Get(order.CatalogItemID)), o.Price.Cost)
	}
	for cur, a := range by {
		totals = append(totals, CostTotal{Currency: cur, Total: round2(a.total), Customers: sorted(a.customers), Products: sorted(a.products)})
	}
	sort.Slice(totals, func(i, j int) bool { return totals[i].Total > totals[j].Total })
	return totals, unpriced
}

func add(m map[string]*Amount, key string, v float64) *Amount {
	a := m[key]
	if a == nil {
		a = &Amount{Key: key}
		m[key] = a
	}
	a.Rows++
	a.Amount += v
	return a
}

// sorted lists amounts, largest first, rounded to cents.
func sorted(m map[string]*Amount) []Amount {
	out := make([]Amount, 0, len(m))
	for _, a := range m {
		a.Amount = round2(a.Amount)
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Amount != out[j].Amount {
			return out[i].Amount > out[j].Amount
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// verb says what the totals are of: what would be bought, or was.
func (r *Run) verb() string {
	if r.Submit {
		return "bought"
	}
	return "to buy (valid rows)"
}

// Money writes an amount as people read it: 12,345.60.
func Money(v float64) string {
	neg := v < 0
	s := strconv.FormatFloat(math.Abs(v), 'f', 2, 64)
	whole, cents, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String() + "." + cents
	if neg {
		out = "-" + out
	}
	return out
}
