package approval

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/ingest"
	"github.com/cspimporter/importer/pkg/validate"
)

var created = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// planOf makes the plan of a CSV sheet given as text.
func planOf(t *testing.T, csv, batch string) *Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orders.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	return planOfFile(t, path, batch)
}

func planOfFile(t *testing.T, path, batch string) *Plan {
	t.Helper()
	sheet, err := ingest.Read(context.Background(), path, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := validate.New(validate.Options{Today: created}).Check(sheet.Rows)
	return Build(Of{Sheet: filepath.Base(path), SHA256: sheet.SHA256, Batch: batch, Created: created}, res)
}

func sampleCSV(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join("testdata", "orders.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuild(t *testing.T) {
	p := planOf(t, sampleCSV(t), "nov")
	if p.Rows != 4 || len(p.Carts) != 3 || p.Lines != 3 || len(p.InvalidRows) != 1 || p.InvalidRows[0] != 5 {
		t.Fatalf("plan: rows %d carts %d lines %d invalid %v", p.Rows, len(p.Carts), p.Lines, p.InvalidRows)
	}
	if !p.Carts[2].HeldBack || p.Carts[0].HeldBack || len(p.Carts[0].Lines) != 2 || p.Carts[0].Lines[1].Row != 3 || p.Carts[0].Lines[1].Quantity != 2 {
		t.Errorf("carts: %+v", p.Carts)
	}
	// Totals count only what will be sent: the held-back cart's line is out.
	if len(p.Customers) != 2 || p.Customers[0].Quantity != 7 || p.Customers[1].Quantity != 3 {
		t.Errorf("totals per customer: %+v", p.Customers)
	}
	if len(p.Products) != 1 || p.Products[0].Key != "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P" || p.Products[0].Lines != 3 || p.Products[0].Quantity != 10 {
		t.Errorf("totals per product: %+v", p.Products)
	}
	if len(p.SHA256) != 64 || p.Batch != "nov" || p.Version != Version {
		t.Errorf("header: %+v", p)
	}
}

func TestDifferences(t *testing.T) {
	orig := sampleCSV(t)
	approved := planOf(t, orig, "nov")
	tests := []struct {
		name string
		edit func(csv string) string
		now  func(p *Plan) // applied to the plan of the edited sheet
		want []string      // each must appear in some difference
	}{
		{name: "same sheet", edit: func(s string) string { return s }},
		{name: "one cell", edit: func(s string) string { return strings.Replace(s, ",2,annual", ",20,annual", 1) },
			want: []string{"SHA-256", "row 3: quantity 20, in the plan 2"}},
		{name: "a row added", edit: func(s string) string {
			return s + "9b8a7c6d-5e4f-4321-a0b9-c8d7e6f5a4b3,CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P,1,monthly,P1M,yes,\n"
		}, want: []string{"5 rows, the plan has 4", "is in the sheet but not in the plan"}},
		{name: "the invalid row fixed", edit: func(s string) string { return strings.Replace(s, ",0,annual", ",1,annual", 1) },
			want: []string{"invalid rows [], the plan's are [5]", "held back (invalid rows) false, in the plan true"}},
		{name: "same bytes, another batch", edit: func(s string) string { return s }, now: func(p *Plan) { p.Batch = "dec" },
			want: []string{`batch "dec", the plan's is "nov"`}},
		{name: "attestation", edit: func(s string) string { return s }, now: func(p *Plan) { p.Carts[1].Attested = false },
			want: []string{"partner-of-record attestation false, in the plan true"}},
		{name: "totals edited by hand", edit: func(s string) string { return s }, now: func(p *Plan) { p.Products[0].Quantity = 1 },
			want: []string{"totals do not add up"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := planOf(t, tt.edit(orig), "nov")
			if tt.now != nil {
				tt.now(now)
			}
			got := Differences(approved, now)
			if len(tt.want) == 0 && len(got) > 0 {
				t.Errorf("differences %q, want none", got)
			}
			if len(tt.want) > 0 && len(got) == 0 {
				t.Fatalf("no differences, want %q", tt.want)
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					found = found || strings.Contains(g, w)
				}
				if !found {
					t.Errorf("no difference says %q: %q", w, got)
				}
			}
		})
	}
}

func TestWriteLoad(t *testing.T) {
	dir := t.TempDir()
	p := planOf(t, sampleCSV(t), "nov")
	path := filepath.Join(dir, "plan.json")
	if err := Write(context.Background(), path, p); err != nil {
		t.Fatal(err)
	}
	got, err := Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if d := Differences(p, got); len(d) > 0 || !got.Created.Equal(p.Created) {
		t.Errorf("round trip: %q", d)
	}

	if _, err := Load(context.Background(), filepath.Join(dir, "none.json")); !errors.Is(err, ErrNoPlan) {
		t.Errorf("missing plan: %v", err)
	}
	var m map[string]any
	b, _ := os.ReadFile(path)
	_ = json.Unmarshal(b, &m)
	for name, edit := range map[string]func(){
		"unknown field": func() { m["approvedBy"] = "someone" },
		"version":       func() { delete(m, "approvedBy"); m["version"] = 99 },
		"no hash":       func() { m["version"] = Version; m["sha256"] = "" },
	} {
		edit()
		b, _ := json.Marshal(m)
		bad := filepath.Join(dir, "bad.json")
		_ = os.WriteFile(bad, b, 0o644)
		if _, err := Load(context.Background(), bad); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// TestPlanFileOfEarlierVersionStillVerifies: a plan written by an earlier
// importer (testdata/plan-v1.json, from testdata/orders.csv) still loads
// and finds no difference from the same sheet checked now: the plan file's
// shape belongs to this package, and renaming a domain field must never
// change it.
func TestPlanFileOfEarlierVersionStillVerifies(t *testing.T) {
	for fixture, sheet := range map[string]string{
		"plan-v1.json":        filepath.Join("testdata", "orders.csv"),
		"plan-v1-sample.json": filepath.Join("..", "..", "samples", "monthly-orders.xlsx"),
	} {
		t.Run(fixture, func(t *testing.T) {
			fixture = filepath.Join("testdata", fixture)
			old, err := Load(context.Background(), fixture)
			if err != nil {
				t.Fatal(err)
			}
			now := planOfFile(t, sheet, "nov")
			if d := Differences(old, now); len(d) > 0 {
				t.Errorf("the sheet the plan was made from differs from it:\n%s", strings.Join(d, "\n"))
			}
			written := filepath.Join(t.TempDir(), "plan.json")
			if err := Write(context.Background(), written, now); err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(fixture)
			b, _ := os.ReadFile(written)
			if string(a) != string(b) {
				t.Errorf("a plan is written differently now:\n%s\nwas:\n%s", b, a)
			}
		})
	}
}
