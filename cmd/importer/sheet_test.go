package main

import (
	"slices"
	"testing"

	"github.com/cspimporter/importer/pkg/report"
)

func TestProblemGroups(t *testing.T) {
	same := func(row int) report.ProblemEntry {
		return report.ProblemEntry{Row: row, Severity: "error", Kind: "submit: not submitted", Message: "nothing was sent", Text: "row ?: nothing was sent"}
	}
	problems := []report.ProblemEntry{
		{Row: 4, Column: "Quantity", Severity: "error", Kind: "quantity", Message: "'0' must be a whole number above 0", Text: "row 4, column Quantity: '0' must be a whole number above 0"},
		same(7), same(9),
		{Row: 8, Severity: "note", Kind: "submit: ordered", Message: "provisioning", Text: "row 8: provisioning"},
		{Row: 10, Column: "Attest", Severity: "error", Kind: "attestation", Message: "no attestation", Text: "row 10, column Attest: no attestation"},
		{Row: 11, Column: "Attest", Severity: "error", Kind: "attestation", Message: "no attestation", Text: "row 11, column Attest: no attestation"},
		same(12),
	}
	want := []string{
		"row 4, column Quantity: '0' must be a whole number above 0",
		"3 rows (7, 9 and 12): nothing was sent",
		"2 rows (10 and 11), column Attest: no attestation",
	}
	if got := problemGroups(problems); !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
