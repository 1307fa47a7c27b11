package online

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// Kinds of the problems the online checks find.
const (
	KindCustomerUnknown  = "online: customer unknown"
	KindNotSold          = "online: not sold in the customer's country"
	KindTermNotOffered   = "online: term not offered"
	KindBillingNotOffer  = "online: billing cycle not offered"
	KindQuantityLimits   = "online: quantity outside limits"
	KindTrial            = "online: trial mismatch"
	KindAddonWithoutBase = "online: add-on without its prerequisite"
	KindSubscriptionHeld = "online: customer already has the subscription"
	KindSeatLimit        = "online: seats above the limit"
	KindNotChecked       = "online: not checked"
)

// Apply adds what the facts show to c's outcomes: errors (the row becomes
// Invalid), warnings and notes. It returns how many rows could not be
// checked because Partner Center did not answer (each gets a note).
func Apply(c *order.Checked, f *Facts) (unchecked int) {
	for _, cart := range c.Carts {
		cu := f.Customers[cart.Key.CustomerID]
		if cu == nil {
			continue // its customer id is refused offline
		}
		for n, i := range cart.Rows {
			r := &rowCheck{c: c, f: f, cart: cart, i: i, line: &cart.Request.LineItems[n], cu: cu, o: &c.Outcomes[i]}
			if !r.check() {
				unchecked++
			}
		}
	}
	seatLimits(c, f)
	for i := range c.Outcomes {
		if o := &c.Outcomes[i]; o.Status == order.StatusValid && o.Failed() {
			o.Status = order.StatusInvalid
		}
	}
	return unchecked
}

// rowCheck is one row against what Partner Center said.
type rowCheck struct {
	c    *order.Checked
	f    *Facts
	cart *order.Cart
	i    int
	line *order.LineItem
	cu   *Customer
	o    *order.Outcome
}

func (r *rowCheck) add(sev order.Severity, f order.Field, kind, format string, args ...any) {
	r.o.Problems = append(r.o.Problems, order.Problem{Field: f, Kind: kind, Message: fmt.Sprintf(format, args...), Severity: sev})
}

// check applies the rules to the row; false when it could not be checked.
func (r *rowCheck) check() bool {
	if r.cu.Err != nil {
		r.add(order.Note, order.NoField, KindNotChecked, "not checked online: Partner Center did not answer about customer %s (%v); run again to check", r.cart.Key.CustomerID, r.cu.Err)
		return false
	}
	if !r.cu.Found {
		r.add(order.Error, order.CustomerID, KindCustomerUnknown,
			"Partner Center does not know customer %s, or it is not your customer; check the id in Partner Center > Customers", r.cart.Key.CustomerID)
		return true
	}
	product, sku, availability, ok := splitItem(r.line.CatalogItemID)
	if !ok || hasError(r.o, order.CatalogItemID) {
		return true // a legacy offer, or an id refused offline
	}
	it := r.f.Items[ItemKey{product, sku, r.cu.Country}]
	if it == nil {
		return true
	}
	if it.Err != nil {
		r.add(order.Note, order.NoField, KindNotChecked, "not checked online: Partner Center did not answer about %s:%s in %s (%v); run again to check", product, sku, r.cu.Country, it.Err)
		return false
	}
	if !it.Found {
		r.add(order.Error, order.CatalogItemID, KindNotSold, "Partner Center has no SKU %s of product %s in %s, the customer's country; check the catalog item id", sku, product, r.cu.Country)
		return true
	}
	av := findAvailability(it.Availabilities, availability)
	if av == nil {
		r.add(order.Error, order.CatalogItemID, KindNotSold, "availability %s of %s:%s is not sold in %s, the customer's country%s", availability, product, sku, r.cu.Country, offered(it.Availabilities))
		return true
	}
	r.terms(av)
	r.trial(it.SKU) // before billing: a trial's "none" is the trial's mistake
	r.billing(it.SKU, av)
	r.quantity(it.SKU)
	r.addon(it.SKU)
	r.existing(product + ":" + sku)
	return true
}

func findAvailability(avs []pc.Availability, id string) *pc.Availability {
	for i := range avs {
		if strings.EqualFold(avs[i].ID, id) && avs[i].IsPurchasable {
			return &avs[i]
		}
	}
	return nil
}

func offered(avs []pc.Availability) string {
	var ids []string
	for _, a := range avs {
		if a.IsPurchasable {
			ids = append(ids, a.CatalogItemID)
		}
	}
	if len(ids) == 0 {
		return "; the SKU has no purchasable availability there"
	}
	return "; buy " + strings.Join(ids, " or ") + " instead"
}

// durations are an availability's terms, each once, in its order.
func durations(av *pc.Availability) []string {
	var out []string
	for _, t := range av.Terms {
		d := strings.ToUpper(strings.TrimSpace(t.Duration))
		if d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

func (r *rowCheck) terms(av *pc.Availability) {
	if hasError(r.o, order.TermDuration) {
		return
	}
	have, term := durations(av), strings.ToUpper(r.line.TermDuration)
	switch {
	case term != "" && len(have) == 0:
		r.add(order.Error, order.TermDuration, KindTermNotOffered, "%s is sold without a term; clear TermDuration", r.line.CatalogItemID)
	case term == "" && len(have) > 0:
		r.add(order.Error, order.TermDuration, KindTermNotOffered, "%s needs a term: %s", r.line.CatalogItemID, strings.Join(have, ", "))
	case term != "" && !slices.Contains(have, term):
		r.add(order.Error, order.TermDuration, KindTermNotOffered, "%s is not a term of %s in %s; it is sold for %s", term, r.line.CatalogItemID, r.cu.Country, strings.Join(have, ", "))
	}
}

// billing: the cycles the availability's terms name for the row's term,
// or (where its terms name none) the SKU's supported cycles.
func (r *rowCheck) billing(sku *pc.SKU, av *pc.Availability) {
	cycle := fold(r.line.BillingCycle)
	if cycle == "" || hasError(r.o, order.BillingCycle) || hasError(r.o, order.TermDuration) {
		return
	}
	var allowed []string
	for _, t := range av.Terms {
		if strings.EqualFold(strings.TrimSpace(t.Duration), r.line.TermDuration) && t.BillingCycle != "" {
			allowed = appendNew(allowed, string(t.BillingCycle))
		}
	}
	if len(allowed) == 0 {
		for _, b := range sku.SupportedBillingCycles {
			allowed = appendNew(allowed, string(b))
		}
	}
	if len(allowed) == 0 || slices.ContainsFunc(allowed, func(a string) bool { return fold(a) == cycle }) {
		return
	}
	with := ""
	if r.line.TermDuration != "" {
		with = " with the " + r.line.TermDuration + " term"
	}
	r.add(order.Error, order.BillingCycle, KindBillingNotOffer, "%s billing is not offered for %s%s; use %s", r.line.BillingCycle, r.line.CatalogItemID, with, strings.Join(allowed, " or "))
}

func (r *rowCheck) quantity(sku *pc.SKU) {
	q := r.line.Quantity
	if q <= 0 || hasError(r.o, order.Quantity) {
		return
	}
	switch {
	case sku.MinimumQuantity > 0 && q < sku.MinimumQuantity:
		r.add(order.Error, order.Quantity, KindQuantityLimits, "%d is below Partner Center's minimum of %d for %s", q, sku.MinimumQuantity, r.line.CatalogItemID)
	case sku.MaximumQuantity > 0 && q > sku.MaximumQuantity:
		r.add(order.Error, order.Quantity, KindQuantityLimits, "%d is above Partner Center's maximum of %d for %s", q, sku.MaximumQuantity, r.line.CatalogItemID)
	}
}

func (r *rowCheck) trial(sku *pc.SKU) {
	if hasError(r.o, order.BillingCycle) || r.line.BillingCycle == "" {
		return
	}
	trialLine := fold(r.line.BillingCycle) == "none"
	switch {
	case sku.IsTrial && !trialLine:
		r.add(order.Error, order.BillingCycle, KindTrial, "%s is a trial; a trial's billing cycle is none", r.line.CatalogItemID)
	case !sku.IsTrial && trialLine:
		r.add(order.Error, order.BillingCycle, KindTrial, "%s is not a trial, and billing cycle none is for trials; use %s", r.line.CatalogItemID, joinCycles(sku.SupportedBillingCycles))
	}
}

func joinCycles(cs []pc.BillingCycle) string {
	var out []string
	for _, c := range cs {
		if fold(string(c)) != "none" {
			out = append(out, string(c))
		}
	}
	if len(out) == 0 {
		return "a billing cycle Partner Center offers"
	}
	return strings.Join(out, " or ")
}

// addon: an add-on needs one of its prerequisite SKUs, active for the
// customer or bought in the same cart.
func (r *rowCheck) addon(sku *pc.SKU) {
	need := sku.DynamicAttributes.PrerequisiteSKUs()
	if !sku.DynamicAttributes.IsAddon() || len(need) == 0 {
		return
	}
	for i := range need {
		need[i] = strings.ToUpper(need[i])
	}
	for _, s := range r.cu.Subscriptions {
		if s.Active() && slices.Contains(need, s.ProductSKU()) {
			return
		}
	}
	for n := range r.cart.Rows {
		if p, s, _, ok := splitItem(r.cart.Request.LineItems[n].CatalogItemID); ok && slices.Contains(need, p+":"+s) {
			return
		}
	}
	r.add(order.Error, order.CatalogItemID, KindAddonWithoutBase,
		"%s is an add-on: the customer needs %s, and has none active nor buys one in this cart; add it to the cart, or buy the add-on once the customer has it",
		r.line.CatalogItemID, strings.Join(need, " or "))
}

// existing warns where the customer already has this product and SKU on
// the same term and billing: new commerce buys a second subscription.
func (r *rowCheck) existing(productSKU string) {
	for _, s := range r.cu.Subscriptions {
		if !s.Active() || s.ProductSKU() != productSKU || !strings.EqualFold(s.TermDuration, r.line.TermDuration) || fold(string(s.BillingCycle)) != fold(r.line.BillingCycle) {
			continue
		}
		ends := ""
		if !s.CommitmentEndDate.IsZero() {
			ends = ", ends " + s.CommitmentEndDate.Format("2006-01-02")
		}
		name := s.ID
		if s.FriendlyName != "" {
			name = "'" + s.FriendlyName + "' (" + s.ID + ")"
		}
		r.add(order.Warning, order.CatalogItemID, KindSubscriptionHeld,
			"the customer already has subscription %s (%s%s); buying creates a second subscription — to add seats, change that subscription's quantity instead",
			name, plural(s.Quantity, "seat"), ends)
		return
	}
}

// seatLimits: Partner Center's maximum holds across all of a customer's
// subscriptions of a SKU, so the seats it has plus every row of the sheet
// buying the SKU for it may not pass the maximum.
func seatLimits(c *order.Checked, f *Facts) {
	type key struct{ customer, productSKU string }
	rows := map[key][]int{}
	buying := map[key]int{}
	maxOf := map[key]int{}
	for _, cart := range c.Carts {
		cu := f.Customers[cart.Key.CustomerID]
		if cu == nil || !cu.Found || cu.Err != nil {
			continue
		}
		for n, i := range cart.Rows {
			line := &cart.Request.LineItems[n]
			p, s, _, ok := splitItem(line.CatalogItemID)
			it := f.Items[ItemKey{p, s, cu.Country}]
			if !ok || it == nil || !it.Found || it.SKU.MaximumQuantity <= 0 || line.Quantity <= 0 || hasError(&c.Outcomes[i], order.Quantity) {
				continue
			}
			k := key{cart.Key.CustomerID, p + ":" + s}
			rows[k] = append(rows[k], i)
			buying[k] += line.Quantity
			maxOf[k] = it.SKU.MaximumQuantity
		}
	}
	for k, is := range rows {
		have := 0
		for _, s := range f.Customers[k.customer].Subscriptions {
			if s.Active() && s.ProductSKU() == k.productSKU {
				have += s.Quantity
			}
		}
		if have+buying[k] <= maxOf[k] || (have == 0 && len(is) == 1) {
			continue
		}
		msg := fmt.Sprintf("the customer has %s of %s already and this sheet buys %d more (%d in all), above Partner Center's maximum of %d across its subscriptions; buy fewer",
			plural(have, "seat"), k.productSKU, buying[k], have+buying[k], maxOf[k])
		if have == 0 {
			msg = fmt.Sprintf("the rows of this sheet buy %d seats of %s for the customer in all, above Partner Center's maximum of %d across its subscriptions; buy fewer",
				buying[k], k.productSKU, maxOf[k])
		}
		for _, i := range is {
			o := &c.Outcomes[i]
			o.Problems = append(o.Problems, order.Problem{Field: order.Quantity, Kind: KindSeatLimit, Message: msg, Severity: order.Error})
		}
	}
}

// fold lower-cases and drops '_', '-' and spaces: "OneTime" is one_time.
func fold(s string) string {
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(s)))
}

func appendNew(list []string, s string) []string {
	if slices.ContainsFunc(list, func(x string) bool { return fold(x) == fold(s) }) {
		return list
	}
	return append(list, s)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
