// Package validate checks order rows one by one and as carts, and builds
// the cart requests that would be sent. A bad row never stops the others
// from being checked, and every problem of a row is reported.
package validate

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/cspimporter/importer/pkg/order"
)

// Options tune the rules.
type Options struct {
	// Catalog is the user's catalog (--catalog); it wins over the built-in.
	Catalog *Catalog
	// Attest accepts the partner-of-record attestation for every cart whose
	// rows do not say otherwise (--attest).
	Attest bool
	// Today is the date coterm dates are compared with.
	Today time.Time
	// Types are product types Partner Center gave (validate --online), by
	// product id: used where the sheet and Catalog are silent, before the
	// built-in knowledge.
	Types map[string]ProductType
}

// Validator applies the rules; it is safe to reuse.
type Validator struct {
	opt     Options
	fields  *validator.Validate
	builtin *Catalog
}

// New returns a Validator.
func New(opt Options) *Validator {
	if opt.Today.IsZero() {
		opt.Today = time.Now()
	}
	return &Validator{opt: opt, fields: newValidator(), builtin: Builtin()}
}

// Check validates rows and groups them into carts.
func (v *Validator) Check(rows []order.Row) *order.Checked {
	checks := make([]*rowCheck, len(rows))
	for i := range rows {
		checks[i] = v.checkRow(&rows[i])
	}
	carts, cartOf := order.Group(rows)
	for _, cart := range carts {
		v.checkCart(cart, rows, checks)
	}
	res := &order.Checked{Rows: rows, Carts: carts, CartOf: cartOf, Outcomes: make([]order.Outcome, len(rows))}
	for i, c := range checks {
		o := order.Outcome{Problems: append(append([]order.Problem(nil), rows[i].Problems...), c.problems...), Status: order.StatusValid}
		if o.Failed() {
			o.Status = order.StatusInvalid
		}
		if cartOf[i] >= 0 {
			o.Cart = carts[cartOf[i]].Name
		}
		res.Outcomes[i] = o
	}
	return res
}

// checkCart applies the rules across the rows of one cart and builds its
// request: line ids 0,1,2… in sheet order.
func (v *Validator) checkCart(cart *order.Cart, rows []order.Row, checks []*rowCheck) {
	v.attestation(cart, rows, checks)

	type lineKey struct{ catalog, billing, term string }
	first := map[lineKey]int{}
	for n, i := range cart.Rows {
		c := checks[i]
		if !c.failed(order.CatalogItemID) && c.line.CatalogItemID != "" {
			k := lineKey{strings.ToUpper(c.line.CatalogItemID), c.line.BillingCycle, c.line.TermDuration}
			if j, dup := first[k]; dup {
				c.fail(order.CatalogItemID, "duplicate line in cart",
					"duplicate of row %d (same customer, cart group, catalog item, billing cycle and term); merge the quantities into one row", rows[j].Line)
			} else {
				first[k] = i
			}
		}
		line := c.line
		line.ID = n
		cart.Request.LineItems = append(cart.Request.LineItems, line)
	}
}

// attestation requires the partner-of-record attestation for the cart:
// from the sheet (the same answer on every row that gives one) or --attest.
func (v *Validator) attestation(cart *order.Cart, rows []order.Row, checks []*rowCheck) {
	var yes, no []int
	for _, i := range cart.Rows {
		c := checks[i]
		if c.porSet {
			if c.porValue {
				yes = append(yes, rows[i].Line)
			} else {
				no = append(no, rows[i].Line)
			}
		}
	}
	var msg, kind string
	switch {
	case len(yes) > 0 && len(no) > 0:
		kind = "attestation differs within cart"
		msg = fmt.Sprintf("the rows of this cart disagree (yes on row %s, no on row %s); use the same answer on every row of the cart", lines(yes), lines(no))
	case len(no) > 0:
		kind = "attestation not accepted"
		msg = "the sheet says no, so this cart cannot be ordered; Partner Center requires the partner-of-record attestation on every cart"
	case len(yes) == 0 && !v.opt.Attest:
		kind = "attestation missing"
		msg = "this cart has no partner-of-record attestation; put yes in the PartnerOnRecordAttestationAccepted column on its rows, or run with --attest to accept it for every cart"
	default:
		cart.Request.PartnerOnRecordAttestationAccepted = true
		return
	}
	for _, i := range cart.Rows {
		checks[i].fail(order.PartnerOnRecordAttestationAccepted, kind, "%s", msg)
	}
}

func lines(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
