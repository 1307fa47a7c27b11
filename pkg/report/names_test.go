package report

import (
	"path/filepath"
	"testing"
)

func TestDefaultNames(t *testing.T) {
	tests := []struct{ input, results, summary, base string }{
		{"orders.xlsx", "orders.results.xlsx", "orders.summary.json", "orders"},
		{"in/Nov 2026.xlsx", "in/Nov 2026.results.xlsx", "in/Nov 2026.summary.json", "Nov 2026"},
		{"orders.csv", "orders.csv.results.xlsx", "orders.csv.summary.json", "orders"},
		{"orders.CSV", "orders.CSV.results.xlsx", "orders.CSV.summary.json", "orders"},
		{"orders.xlsm", "orders.xlsm.results.xlsx", "orders.xlsm.summary.json", "orders"},
		{"orders.XLSX", "orders.XLSX.results.xlsx", "orders.XLSX.summary.json", "orders"},
		{"orders.csv.xlsx", "orders.csv.xlsx.results.xlsx", "orders.csv.xlsx.summary.json", "orders.csv"},
		{"orders.v2.xlsx", "orders.v2.results.xlsx", "orders.v2.summary.json", "orders.v2"},
		// A results workbook checked again gets the next number.
		{"orders.results.xlsx", "orders.results-2.xlsx", "orders.summary-2.json", "orders"},
		{"orders.results-2.xlsx", "orders.results-3.xlsx", "orders.summary-3.json", "orders"},
		{"orders.results-10.xlsx", "orders.results-11.xlsx", "orders.summary-11.json", "orders"},
		{"orders.csv.results.xlsx", "orders.csv.results-2.xlsx", "orders.csv.summary-2.json", "orders"},
		// Not results numbers: 1, and a leading 0, are names like any other.
		{"orders.results-1.xlsx", "orders.results-1.results.xlsx", "orders.results-1.summary.json", "orders.results-1"},
		{"orders.results-02.xlsx", "orders.results-02.results.xlsx", "orders.results-02.summary.json", "orders.results-02"},
	}
	for _, tt := range tests {
		if got := ResultsPath(tt.input); got != tt.results {
			t.Errorf("ResultsPath(%q) = %q, want %q", tt.input, got, tt.results)
		}
		if got := SummaryPath(tt.input); got != tt.summary {
			t.Errorf("SummaryPath(%q) = %q, want %q", tt.input, got, tt.summary)
		}
		if got := BaseName(tt.input); got != tt.base {
			t.Errorf("BaseName(%q) = %q, want %q", tt.input, got, tt.base)
		}
	}
}

// TestDefaultNamesNeverCollide: no two sheets a folder can hold get the
// same results workbook or summary, and no sheet's results overwrite it.
func TestDefaultNamesNeverCollide(t *testing.T) {
	stems := []string{"orders", "orders.results", "orders.results-2", "orders.results-1", "orders.csv", "orders.CSV",
		"orders.xlsx", "orders.csv.results", "orders.results.results", "a.b", "orders.summary"}
	exts := []string{".xlsx", ".XLSX", ".xlsm", ".csv", ".CSV", ".txt", ".tsv"}
	results, summaries := map[string]string{}, map[string]string{}
	for _, s := range stems {
		for _, e := range exts {
			in := filepath.Join("dir", s+e)
			if other, ok := results[ResultsPath(in)]; ok {
				t.Errorf("%s and %s both get %s", in, other, ResultsPath(in))
			}
			if other, ok := summaries[SummaryPath(in)]; ok {
				t.Errorf("%s and %s both get %s", in, other, SummaryPath(in))
			}
			results[ResultsPath(in)], summaries[SummaryPath(in)] = in, in
			if ResultsPath(in) == in || SummaryPath(in) == in {
				t.Errorf("%s would overwrite itself", in)
			}
		}
	}
}
