package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/sandbox"
)

// editCell sets one cell of the sample's Orders sheet, by column header.
func editCell(t *testing.T, path, header string, line int, value any) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Orders")
	if err != nil {
		t.Fatal(err)
	}
	for _, head := range rows {
		for i, h := range head {
			if h == header {
				cell, _ := excelize.CoordinatesToCellName(i+1, line)
				if err := f.SetCellValue("Orders", cell, value); err != nil {
					t.Fatal(err)
				}
				if err := f.Save(); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
	}
	t.Fatalf("no column %s", header)
}

func TestPlanGate(t *testing.T) {
	base, env, _ := external(t)
	dir, name := sample(t, "monthly-orders.xlsx")
	plan := filepath.Join(dir, "approved.json")
	if r := cli(t, dir, "validate", clock, "--plan", plan, name); r.code != 0 || !strings.Contains(r.stdout, "Plan for approval: ") ||
		!strings.Contains(r.stdout, "For people: "+filepath.Join(dir, "approved.plan.xlsx")) {
		t.Fatalf("validate --plan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if f, err := excelize.OpenFile(filepath.Join(dir, "approved.plan.xlsx")); err != nil {
		t.Errorf("the plan for people: %v", err)
	} else {
		f.Close()
	}
	approved, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	refused := func(t *testing.T, want string, args ...string) {
		t.Helper()
		os.Remove(filepath.Join(dir, "monthly-orders.results.xlsx"))
		b, err := submitTo(t, dir, base, env, append([]string{"--state", filepath.Join(dir, "j")}, args...)...).CombinedOutput()
		if code := exitCode(t, err); code != 2 || !strings.Contains(string(b), want) {
			t.Errorf("exit %d, want 2 and %q:\n%s", code, want, b)
		}
		if len(ledger(t, base)) != 0 {
			t.Error("a refused submission sent something")
		}
		if _, err := os.Stat(filepath.Join(dir, "monthly-orders.results.xlsx")); err == nil {
			t.Error("a refused submission wrote a results workbook")
		}
	}

	t.Run("one cell edited after approval", func(t *testing.T) {
		editCell(t, filepath.Join(dir, name), "Qty", 5, 250)
		refused(t, "row 5: quantity 250, in the plan", "--plan", plan, name)
	})
	t.Run("a cell that buys nothing", func(t *testing.T) {
		// The carts are as approved, but the file is not: the hash is the
		// control, so this is refused too.
		editCell(t, filepath.Join(dir, name), "Qty", 5, 10)
		editCell(t, filepath.Join(dir, name), "Cost Center", 5, "CC-999")
		refused(t, "the sheet changed after it was approved", "--plan", plan, name)
	})
	if err := os.WriteFile(filepath.Join(dir, name), approved, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("saved again, no cell changed", func(t *testing.T) {
		resave(t, filepath.Join(dir, name))
		// The hint names the real plan file, not a placeholder.
		refused(t, "saving it again in Excel changes it too, even when no cell changed", "--plan", plan, name)
		refused(t, "make a new plan of this one and have it approved: importer validate --plan "+plan+" "+name, "--plan", plan, name)
	})
	if err := os.WriteFile(filepath.Join(dir, name), approved, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("another batch", func(t *testing.T) {
		refused(t, `batch "dec", the plan's is "monthly-orders"`, "--plan", plan, "--batch", "dec", name)
	})
	t.Run("another flag changes the carts", func(t *testing.T) {
		// A catalog that caps a product at 5 makes a row invalid: same
		// bytes, but not what was approved.
		catalog := filepath.Join(dir, "catalog.csv")
		if err := os.WriteFile(catalog, []byte("ProductId,ProductType,Terms,BillingCycles,MinQuantity,MaxQuantity\nCFQ7TTC0LFLS,OnlineServicesNCE,P1M;P1Y,monthly;annual,1,5\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		refused(t, "held back (invalid rows) true, in the plan false", "--plan", plan, "--catalog", catalog, name)
	})
	t.Run("no plan file", func(t *testing.T) {
		refused(t, "no plan", "--plan", filepath.Join(dir, "nope.json"), name)
	})
	t.Run("the approved sheet", func(t *testing.T) {
		b, err := submitTo(t, dir, base, env, "--state", filepath.Join(dir, "j"), "--plan", plan, name).CombinedOutput()
		if code := exitCode(t, err); code != 0 {
			t.Fatalf("exit %d\n%s", code, b)
		}
		checkLedger(t, base)
		orders := 0
		for _, e := range ledger(t, base) {
			if e.Kind == sandbox.LedgerOrder {
				orders++
			}
		}
		if orders == 0 {
			t.Error("nothing ordered")
		}
	})
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if ee, ok := err.(interface{ ExitCode() int }); ok {
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// TestPlanBatchPattern: validate --plan and submit expand {name} in --batch
// alike, so the README's own config (batch: contoso-{name}) submits the
// approved sheet instead of refusing it.
func TestPlanBatchPattern(t *testing.T) {
	base, env, _ := external(t)
	dir, name := sample(t, "monthly-orders.xlsx")
	plan := filepath.Join(dir, "approved.json")
	if r := cli(t, dir, "validate", clock, "--batch", "contoso-{name}", "--plan", plan, name); r.code != 0 || !strings.Contains(r.stdout, "batch contoso-monthly-orders,") {
		t.Fatalf("validate --plan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, err := submitTo(t, dir, base, env, "--state", filepath.Join(dir, "j"), "--batch", "contoso-{name}", "--plan", plan, name).CombinedOutput()
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("submit of the approved sheet: exit %d\n%s", code, b)
	}
	checkLedger(t, base)
}

// resave writes the workbook at path again as a program saving it would:
// every part the same, the archive's bytes not (stored, not deflated).
func resave(t *testing.T, path string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store, Modified: f.Modified})
		if err == nil {
			_, err = io.Copy(w, r)
		}
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
