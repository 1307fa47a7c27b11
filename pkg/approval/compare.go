package approval

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// Differences lists, for a person, how what a sheet would buy now differs
// from the approved plan; none means it is exactly what was approved.
// At most a few dozen are listed: one is enough to refuse.
func Differences(approved, now *Plan) []string {
	const most = 30
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if approved.SHA256 != now.SHA256 {
		add("the sheet changed after it was approved (saving it again in Excel changes it too, even when no cell changed): its SHA-256 is %s, the approved sheet's is %s", short(now.SHA256), short(approved.SHA256))
	}
	if approved.Batch != now.Batch {
		add("batch %q, the plan's is %q", now.Batch, approved.Batch)
	}
	if approved.Rows != now.Rows {
		add("%d rows, the plan has %d", now.Rows, approved.Rows)
	}
	if !slices.Equal(approved.InvalidRows, now.InvalidRows) {
		add("invalid rows %v, the plan's are %v", now.InvalidRows, approved.InvalidRows)
	}
	type key struct{ customer, group string }
	carts := func(p *Plan) map[key]*Cart {
		m := map[key]*Cart{}
		for i := range p.Carts {
			c := &p.Carts[i]
			m[key{strings.ToLower(c.CustomerID), c.CartGroup}] = c
		}
		return m
	}
	was, is := carts(approved), carts(now)
	var keys []key
	for k := range was {
		keys = append(keys, k)
	}
	for k := range is {
		if was[k] == nil {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].customer < keys[j].customer || keys[i].customer == keys[j].customer && keys[i].group < keys[j].group
	})
	for _, k := range keys {
		a, b := was[k], is[k]
		switch {
		case b == nil:
			add("cart %s is in the plan but not in the sheet", a.Name)
			continue
		case a == nil:
			add("cart %s is in the sheet but not in the plan", b.Name)
			continue
		}
		if a.HeldBack != b.HeldBack {
			add("cart %s: held back (invalid rows) %v, in the plan %v", b.Name, b.HeldBack, a.HeldBack)
		}
		if a.Attested != b.Attested {
			add("cart %s: partner-of-record attestation %v, in the plan %v", b.Name, b.Attested, a.Attested)
		}
		if len(a.Lines) != len(b.Lines) {
			add("cart %s: %d lines, the plan has %d", b.Name, len(b.Lines), len(a.Lines))
		}
		for n := range min(len(a.Lines), len(b.Lines)) {
			for _, d := range lineDifferences(a.Lines[n], b.Lines[n]) {
				add("cart %s, row %d: %s", b.Name, b.Lines[n].Row, d)
			}
		}
	}
	// What it costs, where both were priced: an amount other than the one
	// approved is not what was approved.
	if len(approved.Costs) > 0 && len(now.Prices) > 0 && !reflect.DeepEqual(totalsByCurrency(approved), totalsByCurrency(now)) {
		add("the estimated cost is %s, the plan's is %s", costText(now), costText(approved))
	}
	if len(out) == 0 && !sameTotals(approved, now) {
		add("the plan's totals do not add up to its carts' lines: the plan was edited after it was made")
	}
	if len(out) > most {
		out = append(out[:most], fmt.Sprintf("… and %d more differences", len(out)-most))
	}
	return out
}

// lineDifferences names the fields of a line that differ.
func lineDifferences(a, b Line) []string {
	fa, fb := fields(a), fields(b)
	names := slices.Sorted(maps.Keys(fa))
	for k := range fb {
		if _, ok := fa[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var out []string
	for _, k := range names {
		if !reflect.DeepEqual(fa[k], fb[k]) {
			out = append(out, fmt.Sprintf("%s %s, in the plan %s", k, show(fb[k]), show(fa[k])))
		}
	}
	return out
}

// fields is a line as the request sends it, field by field.
func fields(l Line) map[string]any {
	b, _ := json.Marshal(l)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func show(v any) string {
	if v == nil {
		return "(none)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func sameTotals(a, b *Plan) bool {
	return a.Lines == b.Lines && reflect.DeepEqual(a.Customers, b.Customers) && reflect.DeepEqual(a.Products, b.Products)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12] + "…"
	}
	return sha
}

func totalsByCurrency(p *Plan) map[string]float64 {
	m := map[string]float64{}
	for _, c := range p.Costs {
		m[c.Currency] = c.Total
	}
	return m
}

func costText(p *Plan) string {
	var parts []string
	for _, c := range p.Costs {
		parts = append(parts, fmt.Sprintf("%.2f %s", c.Total, c.Currency))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " + ")
}
