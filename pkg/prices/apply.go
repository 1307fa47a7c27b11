package prices

import (
	"math"
	"strings"
	"time"

	"github.com/cspimporter/importer/pkg/order"
)

// KindNoPrice is the kind of the note on a row the list cannot price.
const KindNoPrice = "price: none"

// Apply prices every row of c the list can: on day (the purchase date),
// in the customer's country where it is known (countries, by lower-case
// customer id, from the online check), else in the list's only market. A
// row it cannot price gets a note saying why; a row whose item, quantity,
// billing or term is refused already gets nothing.
func Apply(c *order.Checked, l *List, countries map[string]string, day time.Time) {
	for _, cart := range c.Carts {
		for n, i := range cart.Rows {
			o, line := &c.Outcomes[i], &cart.Request.LineItems[n]
			if refused(o) {
				continue
			}
			note := func(why string) {
				o.Problems = append(o.Problems, order.Problem{Kind: KindNoPrice, Severity: order.Note, Message: "no price: " + why})
			}
			parts := strings.Split(line.CatalogItemID, ":")
			switch {
			case len(parts) != 3:
				note("legacy offers are not in the license-based price list")
				continue
			case strings.EqualFold(line.BillingCycle, "none"):
				note("a trial is not in the price list")
				continue
			}
			e, why, ok := l.Price(Key{Product: parts[0], SKU: parts[1], Term: line.TermDuration, Billing: line.BillingCycle}, countries[cart.Key.CustomerID], day, line.Quantity)
			if !ok {
				note(why)
				continue
			}
			o.Price = &order.Price{Unit: e.UnitPrice, Currency: e.Currency, Cost: Round(float64(line.Quantity) * e.UnitPrice)}
		}
	}
}

// refused: the row's item, quantity, billing or term has an error, so
// there is nothing sure to price.
func refused(o *order.Outcome) bool {
	for _, p := range o.Problems {
		if p.Severity != order.Error {
			continue
		}
		switch p.Field {
		case order.CatalogItemID, order.Quantity, order.BillingCycle, order.TermDuration:
			return true
		}
	}
	return false
}

// Round rounds an amount to cents.
func Round(v float64) float64 { return math.Round(v*100) / 100 }
