package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/prices"
)

// BenchmarkPriceList measures loading a price list of 300,000 rows, the
// size of Partner Center's license-based list, in its exported shape.
func BenchmarkPriceList(b *testing.B) {
	const rows = 300_000
	path := filepath.Join(b.TempDir(), "pricelist.csv")
	var sb strings.Builder
	sb.WriteString("\ufeffProductTitle,ProductId,SkuId,SkuTitle,Publisher,SkuDescription,UnitOfMeasure,TermDuration,BillingPlan,Market,Currency,UnitPrice,PricingTierRangeMin,PricingTierRangeMax,EffectiveStartDate,EffectiveEndDate,Tags,ERP Price\n")
	terms := []string{"P1M,Monthly", "P1Y,Monthly", "P1Y,Annual", "P3Y,Monthly", "P3Y,Annual", "P3Y,Triennial"}
	markets := []string{"US,USD", "DE,EUR", "GB,GBP", "FR,EUR", "JP,JPY"}
	for i := range rows {
		fmt.Fprintf(&sb, "Product %d with a long title as Partner Center has them,CFQ7TTC%05X,%04d,SKU title %d,Microsoft Corporation,\"A description, with a comma\",Licenses,%s,%s,%d.%02d,,,2026-%02d-01T00:00:00Z,2026-12-31T23:59:59Z,,\n",
			i/30, i/30%0xFFFFF, i%30, i, terms[i%len(terms)], markets[i/6%len(markets)], 10+i%500, i%100, 1+i%12)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(path)
	for name, keep := range map[string]func(string) bool{
		"a sheet's 100 products": func(p string) bool { return p < "CFQ7TTC00064" },
		"every product":          nil,
	} {
		b.Run(name, func(b *testing.B) {
			var elapsed time.Duration
			for range b.N {
				start := time.Now()
				if _, err := prices.Load(context.Background(), path, keep); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(elapsed.Seconds()/float64(b.N), "s")
			b.ReportMetric(float64(info.Size())/(1<<20), "file-MiB")
			b.ReportMetric(rows*float64(b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}
