// Package online checks a sheet against Partner Center without buying:
// whether each customer is the partner's and where it is, whether each
// item is sold there on the row's terms, what the customer already has.
// It reads once per customer and once per item and country
// (../shared/reference/partner-center-live.md), concurrently, and turns
// the answers into row problems of kind "online: …".
package online

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
	"github.com/cspimporter/importer/pkg/validate"
)

// Reader is what the checks read from Partner Center (the client).
type Reader interface {
	GetCustomer(ctx context.Context, customer string) (*pc.Customer, error)
	ListSubscriptions(ctx context.Context, customer string) ([]pc.Subscription, error)
	GetProduct(ctx context.Context, product, country string) (*pc.Product, error)
	GetSKU(ctx context.Context, product, sku, country string) (*pc.SKU, error)
	GetAvailabilities(ctx context.Context, product, sku, country string) ([]pc.Availability, error)
}

// Options tune the reads.
type Options struct {
	// Concurrency is how many reads are in flight at once (the client's
	// rate limit paces them all).
	Concurrency int
}

// Customer is what Partner Center said of a customer.
type Customer struct {
	Found         bool
	Country       string
	Name          string
	Subscriptions []pc.Subscription
	Err           error // the customer or its subscriptions could not be read
}

// Item is what Partner Center said of a product's SKU in one country.
type Item struct {
	Found          bool // the SKU exists there
	SKU            *pc.SKU
	Availabilities []pc.Availability
	Err            error
}

// Product is a product's type, for rows whose type the sheet does not say.
type Product struct {
	Found bool
	Type  pc.ProductType
	Err   error
}

// Facts are everything read for a sheet.
type Facts struct {
	Customers map[string]*Customer // by lower-case customer id
	Items     map[ItemKey]*Item
	Products  map[string]*Product // by upper-case product id
}

// ItemKey is a SKU in a country.
type ItemKey struct{ Product, SKU, Country string }

// Read asks Partner Center about every customer and item of the checked
// sheet c. A read that fails (after the client's retries) is kept in the
// facts as that customer's or item's Err; only an interrupt, or a sign-in
// that fails, stops the reading, as an error.
func Read(ctx context.Context, r Reader, c *order.Checked, o Options) (*Facts, error) {
	f := &Facts{Customers: map[string]*Customer{}, Items: map[ItemKey]*Item{}, Products: map[string]*Product{}}
	conc := max(1, o.Concurrency)
	var mu sync.Mutex

	// First the customers (their country decides which catalog to read).
	ids := customersOf(c)
	if err := each(ctx, conc, ids, func(ctx context.Context, id string) error {
		cu := readCustomer(ctx, r, id)
		mu.Lock()
		f.Customers[id] = cu
		mu.Unlock()
		return fatal(cu.Err)
	}); err != nil {
		return nil, err
	}
	// Then each item in each country it is bought in, and the types of
	// products the sheet does not name.
	items, products := itemsOf(c, f)
	if err := each(ctx, conc, items, func(ctx context.Context, k ItemKey) error {
		it := readItem(ctx, r, k)
		mu.Lock()
		f.Items[k] = it
		mu.Unlock()
		return fatal(it.Err)
	}); err != nil {
		return nil, err
	}
	if err := each(ctx, conc, keys(products), func(ctx context.Context, id string) error {
		p, err := r.GetProduct(ctx, id, products[id])
		fp := &Product{Err: err}
		if err == nil {
			fp.Found, fp.Type = true, p.ProductType
		} else if pc.IsNotFound(err) {
			fp.Err = nil
		}
		mu.Lock()
		f.Products[id] = fp
		mu.Unlock()
		return fatal(fp.Err)
	}); err != nil {
		return nil, err
	}
	return f, nil
}

func readCustomer(ctx context.Context, r Reader, id string) *Customer {
	got, err := r.GetCustomer(ctx, id)
	if pc.IsNotFound(err) {
		return &Customer{}
	}
	if err != nil {
		return &Customer{Err: err}
	}
	cu := &Customer{Found: true, Country: got.Country(), Name: got.Name()}
	if cu.Country == "" {
		cu.Err = errors.New("no country in the customer's billing or company profile")
		return cu
	}
	if cu.Subscriptions, err = r.ListSubscriptions(ctx, id); err != nil {
		cu.Err = fmt.Errorf("its subscriptions: %w", err)
	}
	return cu
}

func readItem(ctx context.Context, r Reader, k ItemKey) *Item {
	sku, err := r.GetSKU(ctx, k.Product, k.SKU, k.Country)
	if pc.IsNotFound(err) {
		return &Item{}
	}
	if err != nil {
		return &Item{Err: err}
	}
	it := &Item{Found: true, SKU: sku}
	av, err := r.GetAvailabilities(ctx, k.Product, k.SKU, k.Country)
	switch {
	case pc.IsNotFound(err):
	case err != nil:
		it.Err = err
	default:
		it.Availabilities = av
	}
	return it
}

// fatal is the error that stops all reading: an interrupt or a sign-in
// that fails. Anything else stays with the customer or item it concerns.
func fatal(err error) error {
	var auth *pc.AuthError
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &auth) {
		return err
	}
	return nil
}

// each runs f for every key, conc at a time; a panic in one is an error
// of that key, not the end of the program.
func each[K comparable](ctx context.Context, conc int, ks []K, f func(context.Context, K) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for _, k := range ks {
		g.Go(func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("internal error reading %v: %v\n%s", k, p, debug.Stack())
				}
			}()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return f(ctx, k)
		})
	}
	return g.Wait()
}

// customersOf lists the sheet's customers whose id is well formed.
func customersOf(c *order.Checked) []string {
	seen := map[string]bool{}
	var out []string
	for _, cart := range c.Carts {
		id := cart.Key.CustomerID
		if !seen[id] && checkable(c, cart) {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// checkable: the cart's customer id is one Partner Center could know.
func checkable(c *order.Checked, cart *order.Cart) bool {
	for _, i := range cart.Rows {
		if hasError(&c.Outcomes[i], order.CustomerID) {
			return false
		}
	}
	return guid(cart.Key.CustomerID)
}

// itemsOf lists each new-commerce item (product and SKU) in the country of
// each customer buying it, and the products whose type the offline check
// did not know, with a country to ask in.
func itemsOf(c *order.Checked, f *Facts) ([]ItemKey, map[string]string) {
	seen := map[ItemKey]bool{}
	var items []ItemKey
	products := map[string]string{}
	for _, cart := range c.Carts {
		cu := f.Customers[cart.Key.CustomerID]
		if cu == nil || !cu.Found || cu.Country == "" {
			continue
		}
		for n, i := range cart.Rows {
			product, sku, _, ok := splitItem(cart.Request.LineItems[n].CatalogItemID)
			if !ok || hasError(&c.Outcomes[i], order.CatalogItemID) {
				continue
			}
			k := ItemKey{product, sku, cu.Country}
			if !seen[k] {
				seen[k] = true
				items = append(items, k)
			}
			if typeUnknown(&c.Outcomes[i]) {
				products[product] = cu.Country
			}
		}
	}
	return items, products
}

func typeUnknown(o *order.Outcome) bool {
	for _, p := range o.Problems {
		if p.Kind == validate.KindTypeUnknown {
			return true
		}
	}
	return false
}

func hasError(o *order.Outcome, f order.Field) bool {
	for _, p := range o.Problems {
		if p.Field == f && p.Severity == order.Error {
			return true
		}
	}
	return false
}

// splitItem splits a new-commerce catalog item id (product:sku:availability),
// upper-cased; legacy offer ids are not in the new catalog.
func splitItem(id string) (product, sku, availability string, ok bool) {
	parts := strings.Split(strings.ToUpper(strings.TrimSpace(id)), ":")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

func guid(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
