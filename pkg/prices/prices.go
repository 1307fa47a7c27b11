// Package prices reads Partner Center's license-based price list, as it is
// exported (../shared/reference/partner-center-live.md §5), and finds the
// price of a line: product, SKU, term and billing plan, in a market, on a
// date, for a quantity. A line it cannot price says why; it never guesses.
package prices

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Entry is one price of the list.
type Entry struct {
	Market     string
	Currency   string
	UnitPrice  float64 // one seat for the whole term
	Start, End time.Time
	// TierMin and TierMax bound the quantity the price is for; 0 is open.
	TierMin, TierMax int
}

// Key is what a price is for.
type Key struct {
	Product, SKU, Term, Billing string // upper-case ids, term; billing as the importer writes it (monthly, one_time…)
}

// List is a price list, indexed.
type List struct {
	Name    string
	entries map[Key][]Entry
	markets map[string]bool
}

// the columns read; the others are ignored.
var columns = []string{"ProductId", "SkuId", "TermDuration", "BillingPlan", "Market", "Currency", "UnitPrice",
	"PricingTierRangeMin", "PricingTierRangeMax", "EffectiveStartDate", "EffectiveEndDate"}

// Load reads the price list at path: UTF-8 (with or without a BOM), comma,
// semicolon or tab separated, dates as ISO 8601 or as Excel writes them.
// keep, if not nil, says which products (upper-case ids) to keep: the
// sheet's, so a list of hundreds of thousands of prices costs little.
func Load(ctx context.Context, path string, keep func(product string) bool) (*List, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("price list: there is no file %s", path)
		}
		return nil, fmt.Errorf("price list: %w", err)
	}
	defer f.Close()
	l, err := Read(ctx, f, path, keep)
	if err != nil {
		return nil, fmt.Errorf("price list %s: %w", path, err)
	}
	return l, nil
}

// Read reads a price list from r; name is what it is called in errors.
func Read(ctx context.Context, r io.Reader, name string, keep func(product string) bool) (*List, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	first, _ := br.Peek(4096)
	cr := csv.NewReader(br)
	cr.Comma = separator(first)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("the header row: %w", err)
	}
	at, err := headerIndexes(head)
	if err != nil {
		return nil, err
	}
	l := &List{Name: name, entries: map[Key][]Entry{}, markets: map[string]bool{}}
	p := &dateParser{}
	dates := map[Key][][2]string{} // each entry's dates, read once their order is known
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if line%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		get := func(c int) string {
			if i := at[c]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if get(0) == "" && get(1) == "" {
			continue // a blank line
		}
		e, err := parseEntry(get, p)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		l.markets[e.Market] = true
		if keep != nil && !keep(e.key.Product) {
			continue
		}
		l.entries[e.key] = append(l.entries[e.key], e.Entry)
		dates[e.key] = append(dates[e.key], [2]string{e.start, e.end})
	}
	if err := p.settle(); err != nil {
		return nil, err
	}
	for k, es := range l.entries {
		for i := range es {
			var err1, err2 error
			es[i].Start, err1 = p.date(dates[k][i][0])
			es[i].End, err2 = p.date(dates[k][i][1])
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("%s:%s: %w", k.Product, k.SKU, err)
			}
		}
	}
	return l, nil
}

type rawEntry struct {
	key        Key
	start, end string
	Entry
}

func parseEntry(get func(int) string, p *dateParser) (rawEntry, error) {
	e := rawEntry{key: Key{Product: strings.ToUpper(get(0)), SKU: strings.ToUpper(get(1)), Term: strings.ToUpper(get(2)), Billing: Billing(get(3))}}
	e.Market, e.Currency = strings.ToUpper(get(4)), strings.ToUpper(get(5))
	price, err := number(get(6))
	if err != nil {
		return e, fmt.Errorf("UnitPrice %q is not a number", get(6))
	}
	e.UnitPrice = price
	for i, dst := range []*int{&e.TierMin, &e.TierMax} {
		if s := get(7 + i); s != "" {
			v, err := number(s)
			if err != nil {
				return e, fmt.Errorf("%s %q is not a number", columns[7+i], s)
			}
			*dst = int(v)
		}
	}
	e.start, e.end = get(9), get(10)
	for _, s := range []string{e.start, e.end} {
		if err := p.see(s); err != nil {
			return e, err
		}
	}
	return e, nil
}

// headerIndexes finds the columns read, in any case and spacing.
func headerIndexes(head []string) ([]int, error) {
	at := make([]int, len(columns))
	var missing []string
	for c, want := range columns {
		at[c] = -1
		for i, h := range head {
			if norm(h) == norm(want) {
				at[c] = i
				break
			}
		}
		if at[c] < 0 && c < 9 && c != 7 && c != 8 {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no %s column: is this Partner Center's license-based price list (its header starts ProductTitle,ProductId,SkuId)?", strings.Join(missing, ", "))
	}
	for c := range at {
		if at[c] < 0 {
			at[c] = 1 << 30 // read as empty
		}
	}
	return at, nil
}

// norm lower-cases s and drops spaces, '_', '-' and a BOM.
func norm(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == ' ' || r == '_' || r == '-' || r == '\ufeff' || r == '\t':
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r+'a'-'A'))
		case r < 0x80:
			b = append(b, byte(r))
		default:
			b = append(b, string(r)...)
		}
	}
	return string(b)
}

// separator is the first line's: comma, semicolon (European Excel) or tab.
func separator(b []byte) rune {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	best, n := ',', bytes.Count(line, []byte(","))
	for _, c := range []rune{';', '\t'} {
		if m := bytes.Count(line, []byte(string(c))); m > n {
			best, n = c, m
		}
	}
	return best
}

// number reads 30.4, 30,4 (a decimal comma), 1,234.56 and 1.234,56.
func number(s string) (float64, error) {
	s = strings.TrimSpace(s)
	dot, comma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	switch {
	case comma > dot:
		s = strings.ReplaceAll(strings.ReplaceAll(s, ".", ""), ",", ".")
	case comma >= 0:
		s = strings.ReplaceAll(s, ",", "")
	}
	return strconv.ParseFloat(s, 64)
}

// Billing names a BillingPlan (Monthly, Annual, Triennial, OneTime) as the
// importer writes billing cycles (monthly, annual, triennial, one_time).
func Billing(s string) string {
	switch norm(s) {
	case "onetime", "one_time":
		return "one_time"
	case "":
		return ""
	}
	return norm(s)
}

// Markets are the markets the list has prices for.
func (l *List) Markets() []string {
	var out []string
	for m := range l.markets {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Price finds the price of k in market (where "" is the list's only
// market) on day for quantity; ok false with why when there is none, or
// more than one that differ.
func (l *List) Price(k Key, market string, day time.Time, quantity int) (e Entry, why string, ok bool) {
	k = Key{strings.ToUpper(k.Product), strings.ToUpper(k.SKU), strings.ToUpper(k.Term), Billing(k.Billing)}
	if market == "" {
		if len(l.markets) != 1 {
			return Entry{}, fmt.Sprintf("the price list has prices for several markets (%s); check online (--online) so the customer's country picks one", strings.Join(l.Markets(), ", ")), false
		}
		market = l.Markets()[0]
	}
	market = strings.ToUpper(market)
	what := fmt.Sprintf("%s:%s", k.Product, k.SKU)
	if k.Term != "" {
		what += " on " + k.Term
	}
	what += ", billed " + k.Billing + ", in market " + market
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	var best []Entry
	for _, e := range l.entries[k] {
		if e.Market != market || (!e.Start.IsZero() && day.Before(e.Start)) || (!e.End.IsZero() && day.After(e.End)) ||
			(e.TierMin > 0 && quantity < e.TierMin) || (e.TierMax > 0 && quantity > e.TierMax) {
			continue
		}
		switch {
		case len(best) == 0 || e.Start.After(best[0].Start):
			best = []Entry{e}
		case e.Start.Equal(best[0].Start):
			best = append(best, e)
		}
	}
	if len(best) == 0 {
		return Entry{}, fmt.Sprintf("the price list has no price for %s on %s", what, day.Format("2006-01-02")), false
	}
	for _, e := range best[1:] {
		if e.UnitPrice != best[0].UnitPrice || e.Currency != best[0].Currency {
			return Entry{}, fmt.Sprintf("the price list has two prices for %s on %s (%s %s and %s %s)", what, day.Format("2006-01-02"),
				Amount(best[0].UnitPrice), best[0].Currency, Amount(e.UnitPrice), e.Currency), false
		}
	}
	return best[0], "", true
}

// Amount writes an amount of money with two decimals.
func Amount(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
