package validate

import (
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Product is what the rules know of a catalog item.
type Product struct {
	Type          ProductType
	Terms         []string // allowed TermDurations; empty: not known
	BillingCycles []string // allowed billing cycles; empty: not known
	MinQuantity   int      // 0: not known
	MaxQuantity   int      // 0: not known
}

// Catalog maps catalog ids to products. Keys are upper-case product ids,
// productId:skuId, or whole catalog item ids; the most specific wins.
type Catalog struct {
	items map[string]Product
	Name  string
}

//go:embed builtin_catalog.csv
var builtinCSV string

// Builtin is the knowledge the tool ships with: the products of the Partner
// Center documents' examples. It is never used to guess from an id prefix.
func Builtin() *Catalog {
	c, err := parseCatalog(strings.NewReader(builtinCSV), "built-in catalog")
	if err != nil {
		panic(fmt.Sprintf("built-in catalog: %v", err)) // a build defect, caught by tests
	}
	return c
}

// Lookup finds the most specific entry for a catalog item id.
func (c *Catalog) Lookup(catalogItemID string) (Product, bool) {
	if c == nil {
		return Product{}, false
	}
	id := strings.ToUpper(catalogItemID)
	if p, ok := c.items[id]; ok {
		return p, true
	}
	parts := strings.Split(id, ":")
	for n := len(parts) - 1; n >= 1; n-- {
		if p, ok := c.items[strings.Join(parts[:n], ":")]; ok {
			return p, true
		}
	}
	return Product{}, false
}

// LoadCatalog reads a catalog CSV with the header
// ProductId,ProductType,Terms,BillingCycles[,MinQuantity,MaxQuantity];
// lists inside a cell are separated by ';' or spaces. A catalog is small:
// ctx is looked at once, before it is read.
func LoadCatalog(ctx context.Context, path string) (*Catalog, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	defer f.Close()
	c, err := parseCatalog(f, path)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

func parseCatalog(r io.Reader, name string) (*Catalog, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("no header row: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[fold(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, need := range []string{"productid", "producttype"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("header must have ProductId and ProductType columns (has %s)", strings.Join(header, ", "))
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	c := &Catalog{items: map[string]Product{}, Name: name}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		id := strings.ToUpper(get(rec, "productid"))
		if id == "" {
			continue
		}
		t, ok := ParseProductType(get(rec, "producttype"))
		if !ok {
			return nil, fmt.Errorf("line %d: unknown ProductType %q (use one of: %s)", line, get(rec, "producttype"), strings.Join(ProductTypeNames(), ", "))
		}
		p := Product{Type: t}
		for _, term := range splitList(get(rec, "terms")) {
			norm, ok := parseTerm(term)
			if !ok {
				return nil, fmt.Errorf("line %d: term %q is not P1M, P1Y or P3Y", line, term)
			}
			p.Terms = append(p.Terms, norm)
		}
		for _, bc := range splitList(get(rec, "billingcycles")) {
			norm, ok := parseBillingCycle(bc)
			if !ok {
				return nil, fmt.Errorf("line %d: billing cycle %q is not known", line, bc)
			}
			p.BillingCycles = append(p.BillingCycles, norm)
		}
		for _, q := range []struct {
			name string
			dst  *int
		}{{"minquantity", &p.MinQuantity}, {"maxquantity", &p.MaxQuantity}} {
			if v := get(rec, q.name); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("line %d: %s %q is not a whole number", line, q.name, v)
				}
				*q.dst = n
			}
		}
		c.items[id] = p
	}
	return c, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '|' })
}
