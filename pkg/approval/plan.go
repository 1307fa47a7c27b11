// Package approval is the finance control between checking a sheet and
// buying it: a plan records exactly what a sheet will buy (its hash, its
// carts and lines, totals), a controller approves the plan, and a
// submission refuses to send anything that differs from it.
package approval

import (
	"sort"
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
			for _, l := range pc.Lines {
				p.Lines++
				add(customers, pc.CustomerID, l.Quantity)
				add(products, l.CatalogItemID, l.Quantity)
			}
		}
		p.Carts = append(p.Carts, pc)
	}
	p.Customers, p.Products = sorted(customers), sorted(products)
	return p
}

func sorted(m map[string]*Total) []Total {
	out := make([]Total, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
