package report

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const hostile = "../ingest/testdata/hostile/"

// TestWorkbookVariants: workbooks that some generators or Excel's other
// formats write are copied with their results, as a plain, transitional
// workbook with a status on every row.
func TestWorkbookVariants(t *testing.T) {
	for _, name := range []string{"valid", "strict-open-xml", "no-styles", "empty-styles", "macro-enabled", "prefixed-namespace"} {
		t.Run(name, func(t *testing.T) {
			out, _ := results(t, hostile+name+".xlsx")
			parts := unzipAll(t, out)
			for p, body := range parts {
				if strings.Contains(p, "vbaProject") || strings.Contains(body, "vbaProject") || strings.Contains(body, "macroEnabled") {
					t.Errorf("%s: macro content left in the results copy", p)
				}
				if strings.Contains(body, "purl.oclc.org") {
					t.Errorf("%s: a Strict namespace left beside transitional ones", p)
				}
			}
			if !strings.Contains(parts["[Content_Types].xml"], "spreadsheetml.sheet.main+xml") {
				t.Errorf("content types: %s", parts["[Content_Types].xml"])
			}
			f, err := excelize.OpenFile(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows("Orders")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 11 || rows[0][5] != "Import Status" {
				t.Fatalf("%d rows, header %q", len(rows), rows[0])
			}
			for _, r := range rows[1:] {
				if len(r) < 6 || (r[5] != "Valid" && r[5] != "Invalid") {
					t.Errorf("row without a status: %q", r)
				}
			}
		})
	}
}

// TestNoRoomForResults: a sheet that already uses column XFD is refused
// before anything is written (the result cells had nowhere to go and were
// lost).
func TestNoRoomForResults(t *testing.T) {
	run := runOf(t, hostile+"column-xfd.xlsx")
	out := filepath.Join(t.TempDir(), "r.xlsx")
	for _, f := range []func(context.Context, *Run, string) error{CheckWorkbook, WriteWorkbook} {
		if err := f(context.Background(), run, out); err == nil || !strings.Contains(err.Error(), "no room for the 6 result columns") {
			t.Errorf("err = %v", err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
		t.Errorf("files were left: %v", entries)
	}
}

// TestCheckWorkbookLeavesNothing: the check before buying writes the whole
// workbook aside and removes it; a folder as the target is refused.
func TestCheckWorkbookLeavesNothing(t *testing.T) {
	run := runOf(t, "../../samples/monthly-orders.xlsx")
	dir := t.TempDir()
	if err := CheckWorkbook(context.Background(), run, filepath.Join(dir, "r.xlsx")); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files were left: %v", entries)
	}
	if err := CheckWorkbook(context.Background(), run, dir); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("a folder: %v", err)
	}
	if err := CheckWorkbook(context.Background(), run, filepath.Join(dir, "gone", "r.xlsx")); err == nil {
		t.Error("a missing folder passed")
	}
}

func unzipAll(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range zr.File {
		rc, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name] = string(b)
	}
	return out
}
