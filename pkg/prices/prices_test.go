package prices

import (
	"context"
	"strings"
	"testing"
	"time"
)

const header = "ProductTitle,ProductId,SkuId,SkuTitle,Publisher,SkuDescription,UnitOfMeasure,TermDuration,BillingPlan,Market,Currency,UnitPrice,PricingTierRangeMin,PricingTierRangeMax,EffectiveStartDate,EffectiveEndDate,Tags,ERP Price\n"

func read(t *testing.T, body string) *List {
	t.Helper()
	l, err := Read(context.Background(), strings.NewReader(body), "test.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var day = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

func TestPrice(t *testing.T) {
	l := read(t, "\ufeff"+header+
		"Microsoft 365 Business Basic,CFQ7TTC0LH0Z,0001,Basic,Microsoft,,Licenses,P1Y,Monthly,US,USD,72.00,,,2026-01-01,2026-12-31,,\n"+
		"Microsoft 365 Business Basic,CFQ7TTC0LH0Z,0001,Basic,Microsoft,,Licenses,P1Y,Monthly,US,USD,60.00,,,2025-01-01,2025-12-31,,\n"+
		"Microsoft 365 Business Basic,CFQ7TTC0LH0Z,0001,Basic,Microsoft,,Licenses,P1Y,Annual,US,USD,70.00,,,2026-03-01T00:00:00Z,,,\n"+
		"Microsoft 365 Business Basic,CFQ7TTC0LH0Z,0001,Basic,Microsoft,,Licenses,P1Y,Annual,US,USD,69.00,,,2026-02-01T00:00:00.0000000Z,,,\n"+
		"Microsoft 365 Business Basic,CFQ7TTC0LH0Z,0001,Basic,Microsoft,,Licenses,P1M,Monthly,US,USD,7.20,1,100,2026-01-01,,,\n"+
		"Microsoft 365 Business Basic,CFQ7TTC0LH0Z,0001,Basic,Microsoft,,Licenses,P1M,Monthly,US,USD,6.90,101,,2026-01-01,,,\n"+
		"Microsoft 365 E3,CFQ7TTC0LFLS,0002,E3,Microsoft,,Licenses,P1Y,Monthly,US,USD,432.00,,,2026-01-01,,,\n"+
		"Microsoft 365 E3,CFQ7TTC0LFLS,0002,E3,Microsoft,,Licenses,P1Y,Monthly,US,USD,440.00,,,2026-01-01,,,\n"+
		"Microsoft 365 E3,CFQ7TTC0LFLS,0002,E3,Microsoft,,Licenses,P3Y,Triennial,US,USD,1296.00,,,2026-01-01,,,\n"+
		"Microsoft 365 E3,CFQ7TTC0LFLS,0002,E3,Microsoft,,Licenses,P3Y,Triennial,US,USD,1296.00,,,2026-01-01,,,\n")
	tests := []struct {
		name     string
		key      Key
		market   string
		qty      int
		want     float64
		whyNoKey string
	}{
		{"the price in force", Key{"cfq7ttc0lh0z", "0001", "p1y", "monthly"}, "", 5, 72, ""},
		{"the latest start wins", Key{"CFQ7TTC0LH0Z", "0001", "P1Y", "annual"}, "us", 5, 70, ""},
		{"a tier", Key{"CFQ7TTC0LH0Z", "0001", "P1M", "monthly"}, "", 100, 7.2, ""},
		{"the next tier", Key{"CFQ7TTC0LH0Z", "0001", "P1M", "monthly"}, "", 150, 6.9, ""},
		{"repeated rows that agree", Key{"CFQ7TTC0LFLS", "0002", "P3Y", "triennial"}, "", 5, 1296, ""},
		{"two prices that differ", Key{"CFQ7TTC0LFLS", "0002", "P1Y", "monthly"}, "", 5, 0, "two prices"},
		{"no such billing", Key{"CFQ7TTC0LH0Z", "0001", "P3Y", "triennial"}, "", 5, 0, "no price for CFQ7TTC0LH0Z:0001 on P3Y, billed triennial, in market US on 2026-11-21"},
		{"another market", Key{"CFQ7TTC0LH0Z", "0001", "P1Y", "monthly"}, "DE", 5, 0, "in market DE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, why, ok := l.Price(tt.key, tt.market, day, tt.qty)
			if tt.whyNoKey != "" {
				if ok || !strings.Contains(why, tt.whyNoKey) {
					t.Errorf("%v %q, want no price: %q", e, why, tt.whyNoKey)
				}
				return
			}
			if !ok || e.UnitPrice != tt.want || e.Currency != "USD" {
				t.Errorf("%+v %q, want %v USD", e, why, tt.want)
			}
		})
	}
}

// TestExcelRoundTrip: the list as Excel saves it again: semicolons and
// decimal commas (a European Excel), dates as Excel writes them.
func TestExcelRoundTrip(t *testing.T) {
	semi := strings.ReplaceAll(header, ",", ";")
	for name, tt := range map[string]struct {
		body string
		want float64
	}{
		"US dates":        {header + "B,P,0001,,,,,P1Y,Monthly,US,USD,72.5,,,1/1/2026 12:00:00 AM,12/31/2026 12:00:00 AM,,\n", 72.5},
		"European":        {semi + "B;P;0001;;;;;P1Y;Monthly;DE;EUR;72,50;;;01.01.2026;31.12.2026;;\n", 72.5},
		"day first":       {header + "B,P,0001,,,,,P1Y,Monthly,GB,GBP,72.50,,,01/01/2026,31/12/2026,,\n", 72.5},
		"Excel serials":   {header + "B,P,0001,,,,,P1Y,Monthly,US,USD,72.50,,,46023,46387,,\n", 72.5},
		"thousands":       {header + "B,P,0001,,,,,P1Y,Monthly,US,USD,\"1,272.50\",,,2026-01-01,,,\n", 1272.5},
		"extra columns":   {"X," + strings.TrimSuffix(header, "\n") + ",More\nx,B,P,0001,,,,,P1Y,Monthly,US,USD,72.5,,,2026-01-01,,,,y\n", 72.5},
		"tab-separated":   {strings.ReplaceAll(header, ",", "\t") + "B\tP\t0001\t\t\t\t\tP1Y\tMonthly\tUS\tUSD\t72.5\t\t\t2026-01-01\t\t\t\n", 72.5},
		"trailing blanks": {header + "B,P,0001,,,,,P1Y,Monthly,US,USD,72.5,,,2026-01-01,,,\n,,,,,,,,,,,,,,,,,\n\n", 72.5},
	} {
		t.Run(name, func(t *testing.T) {
			l := read(t, tt.body)
			e, why, ok := l.Price(Key{"P", "0001", "P1Y", "monthly"}, "", day, 1)
			if !ok || e.UnitPrice != tt.want {
				t.Errorf("%+v %q, want %v", e, why, tt.want)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	for name, tt := range map[string]struct{ body, want string }{
		"not a price list":  {"a,b,c\n1,2,3\n", "no ProductId, SkuId, TermDuration, BillingPlan, Market, Currency, UnitPrice column"},
		"ambiguous dates":   {header + "B,P,0001,,,,,P1Y,Monthly,US,USD,72.5,,,03/04/2026,05/06/2026,,\n", "could be day or month first"},
		"mixed date orders": {header + "B,P,0001,,,,,P1Y,Monthly,US,USD,72.5,,,13/04/2026,04/13/2026,,\n", "both day first"},
		"not a price":       {header + "B,P,0001,,,,,P1Y,Monthly,US,USD,free,,,2026-01-01,,,\n", "line 2: UnitPrice \"free\" is not a number"},
		"not a date":        {header + "B,P,0001,,,,,P1Y,Monthly,US,USD,1,,,soon,,,\n", "line 2: \"soon\" is not a date"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Read(context.Background(), strings.NewReader(tt.body), "x.csv", nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%v, want %q", err, tt.want)
			}
		})
	}
	if _, err := Load(context.Background(), "testdata/nope.csv", nil); err == nil || !strings.Contains(err.Error(), "there is no file testdata/nope.csv") {
		t.Errorf("a missing file: %v", err)
	}
}
