package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestValidatePrices: with the sample price list every license-based row
// of the sample gets its price, the totals are what the list and the sheet
// add up to (computed here from the two files), the amounts are numbers in
// the workbook, and a row without a price says why.
func TestValidatePrices(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	list := filepath.Join("..", "..", "samples", "pricelist.csv")
	abs, _ := filepath.Abs(list)
	r := cli(t, dir, "validate", "--json", clock, "--prices", abs, name)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var s struct {
		Costs []struct {
			Currency  string  `json:"currency"`
			Total     float64 `json:"total"`
			Customers []struct {
				Key    string  `json:"key"`
				Name   string  `json:"name"`
				Amount float64 `json:"amount"`
			} `json:"customers"`
		} `json:"costs"`
		Unpriced int `json:"unpricedRows"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	// The expected total: each row of the sheet at the price list's price
	// in force on the clock's day (2026-11-21), for its product, SKU, term
	// and billing plan.
	prices := map[string]float64{}
	f, err := os.Open(list)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		if rec[14] <= "2026-11-21" && rec[15] >= "2026-11-21" {
			p, _ := strconv.ParseFloat(rec[11], 64)
			prices[strings.Join([]string{rec[1], rec[2], rec[7], strings.ToLower(rec[8])}, "|")] = p
		}
	}
	want, priced, perCustomer := 0.0, 0, map[string]float64{}
	for _, row := range orderRows(t, filepath.Join(dir, "monthly-orders.results.xlsx")) {
		parts := strings.Split(row["SKU"], ":")
		if len(parts) != 3 {
			continue
		}
		p, ok := prices[strings.Join([]string{parts[0], parts[1], row["Term"], strings.ReplaceAll(row["Billing Cycle"], "_", "")}, "|")]
		if !ok {
			if row["Unit Price"] != "" || !strings.Contains(row["Import Message"], "Note: no price: ") {
				t.Errorf("a row the list has no price for: %v", row)
			}
			continue
		}
		q, _ := strconv.Atoi(row["Qty"])
		want += p * float64(q)
		perCustomer[row["Customer Name"]] += p * float64(q)
		priced++
		if got, _ := strconv.ParseFloat(strings.ReplaceAll(row["Estimated Cost"], ",", ""), 64); math.Abs(got-p*float64(q)) > 0.005 {
			t.Errorf("row %v: Estimated Cost %s, want %.2f", row, row["Estimated Cost"], p*float64(q))
		}
	}
	if priced == 0 || len(s.Costs) != 1 || s.Costs[0].Currency != "USD" || math.Abs(s.Costs[0].Total-want) > 0.005 || s.Unpriced != 30-priced {
		t.Fatalf("costs %+v, unpriced %d; want %.2f USD over %d rows", s.Costs, s.Unpriced, want, priced)
	}
	for _, c := range s.Costs[0].Customers {
		if math.Abs(c.Amount-perCustomer[c.Name]) > 0.005 {
			t.Errorf("customer %s (%s): %.2f, want %.2f", c.Name, c.Key, c.Amount, perCustomer[c.Name])
		}
	}
	// Amounts are numbers, so Excel adds them up.
	book, err := excelize.OpenFile(filepath.Join(dir, "monthly-orders.results.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	rows, _ := book.GetRows("Orders")
	col := -1
	for i, h := range rows[2] {
		if h == "Estimated Cost" {
			col = i + 1
		}
	}
	cell, _ := excelize.CoordinatesToCellName(col, 4)
	if typ, _ := book.GetCellType("Orders", cell); col < 0 || typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("Estimated Cost %s is a %v, want a number", cell, typ)
	}
	summary, _ := book.GetRows("Summary")
	found := false
	for _, r := range summary {
		found = found || (len(r) > 2 && strings.HasPrefix(r[0], "All to buy") && r[2] != "")
	}
	if !found {
		t.Errorf("the Summary sheet has no cost total:\n%v", summary)
	}
	// A price list that is not one is refused, naming it.
	bad := writeFile(t, dir, "bad.csv", "a,b\n1,2\n")
	if r := cli(t, dir, "validate", "--prices", bad, name); r.code != 2 || !strings.Contains(r.stderr, "bad.csv") || !strings.Contains(r.stderr, "license-based price list") {
		t.Errorf("a bad price list: exit %d\n%s", r.code, r.stderr)
	}
}

// TestPlanWithPrices: a plan made with prices carries the totals a
// controller approves; a submission whose prices add up to another amount
// is refused, nothing sent; with the same prices it goes through.
func TestPlanWithPrices(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	list, _ := filepath.Abs(filepath.Join("..", "..", "samples", "pricelist.csv"))
	r := cli(t, dir, "validate", "--json", clock, "--prices", list, "--plan", "nov.plan.json", name)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var sum struct {
		Costs []struct {
			Currency string  `json:"currency"`
			Total    float64 `json:"total"`
		} `json:"costs"`
	}
	if err := json.Unmarshal([]byte(outJSON(r.stdout)), &sum); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "nov.plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Costs []struct {
			Currency string  `json:"currency"`
			Total    float64 `json:"total"`
		} `json:"costs"`
		Prices   []json.RawMessage `json:"prices"`
		Unpriced int               `json:"unpricedLines"`
	}
	if err := json.Unmarshal(b, &plan); err != nil {
		t.Fatal(err)
	}
	if len(plan.Costs) != 1 || len(sum.Costs) != 1 || plan.Costs[0] != sum.Costs[0] || len(plan.Prices)+plan.Unpriced != 30 {
		t.Fatalf("plan costs %+v (%d prices, %d unpriced), summary %+v", plan.Costs, len(plan.Prices), plan.Unpriced, sum.Costs)
	}
	dearer := writeFile(t, dir, "dearer.csv", strings.Replace(readFile(t, list), ",US,USD,7.20,", ",US,USD,7.90,", 1))
	refused := cli(t, dir, "submit", "--sandbox", clock, "--prices", dearer, "--plan", "nov.plan.json", name)
	if refused.code != 2 || !strings.Contains(refused.stderr, "the estimated cost is") {
		t.Errorf("other prices: exit %d\n%s", refused.code, refused.stderr)
	}
	if ok := cli(t, dir, "submit", "--sandbox", clock, "--prices", list, "--plan", "nov.plan.json", name); ok.code != 0 {
		t.Errorf("the approved prices: exit %d\n%s", ok.code, ok.stderr)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCreateOnlyPrices: --create-only records the price Partner Center
// gives each cart line, in the price columns, saying it is Partner
// Center's; a rerun writes the same from the journal.
func TestCreateOnlyPrices(t *testing.T) {
	dir, name := sample(t, "monthly-orders.xlsx")
	results := filepath.Join(dir, "monthly-orders.results.xlsx")
	for run := range 2 {
		if r := cli(t, dir, "submit", "--sandbox", "--create-only", clock, name); r.code != 0 {
			t.Fatalf("run %d: exit %d\n%s", run, r.code, r.stderr)
		}
		rows := orderRows(t, results)
		// The sandbox prices Business Basic at 6.00 a month and E3 at 36.00.
		for n, want := range map[int][2]string{0: {"6.00", "150.00"}, 1: {"432.00", "4,320.00"}} {
			row := rows[n]
			if row["Unit Price"] != want[0] || row["Estimated Cost"] != want[1] || row["Currency"] != "USD" ||
				!strings.Contains(row["Import Message"], "the price is Partner Center's for this cart line") {
				t.Errorf("run %d, row %d: %s %s %s: %s", run, n+4, row["Unit Price"], row["Currency"], row["Estimated Cost"], row["Import Message"])
			}
		}
		if row := rows[2]; row["Estimated Cost"] != "" { // the Azure plan: no price
			t.Errorf("run %d: the Azure plan has a price: %v", run, row)
		}
	}
}
