package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/cspimporter/importer/pkg/order"
)

const (
	cust = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	sku  = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func utf16(t *testing.T, s string, e unicode.Endianness, bom unicode.BOMPolicy) []byte {
	t.Helper()
	b, err := unicode.UTF16(e, bom).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadCSVEncodingsAndSeparators(t *testing.T) {
	body := func(sep string) string {
		return strings.Join([]string{
			strings.Join([]string{"CustomerId", "CatalogItemId", "Quantity", "BillingCycle", "FriendlyName"}, sep),
			strings.Join([]string{cust, sku, "5", "monthly", "Café Zürich €"}, sep),
			"",
		}, "\r\n")
	}
	cp1252, err := charmap.Windows1252.NewEncoder().String(body(";"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     []byte
		encoding string
		sep      rune
	}{
		{"utf8 comma", []byte(body(",")), encUTF8, ','},
		{"utf8 BOM semicolon", append([]byte("\ufeff"), body(";")...), encUTF8BOM, ';'},
		{"utf8 tab", []byte(body("\t")), encUTF8, '\t'},
		{"utf16le BOM tab (Excel 'Unicode text')", utf16(t, body("\t"), unicode.LittleEndian, unicode.UseBOM), encUTF16LE, '\t'},
		{"utf16be BOM", utf16(t, body(","), unicode.BigEndian, unicode.UseBOM), encUTF16BE, ','},
		{"utf16le no BOM", utf16(t, body(";"), unicode.LittleEndian, unicode.IgnoreBOM), encUTF16LE, ';'},
		{"windows-1252", []byte(cp1252), encCP1252, ';'},
		{"sep= line", []byte("sep=|\r\n" + body("|")), encUTF8, '|'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Read(context.Background(), writeFile(t, "orders.csv", tt.data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Encoding != tt.encoding || s.Separator != tt.sep {
				t.Errorf("encoding %s sep %q, want %s %q", s.Encoding, s.Separator, tt.encoding, tt.sep)
			}
			if len(s.Rows) != 1 {
				t.Fatalf("%d rows, want 1", len(s.Rows))
			}
			r := s.Rows[0]
			if r.Get(order.CustomerID) != cust || r.Get(order.Quantity) != "5" || r.Get(order.FriendlyName) != "Café Zürich €" {
				t.Errorf("row read as %q", r.Values)
			}
			wantLine := 2
			if tt.name == "sep= line" {
				wantLine = 3
			}
			if r.Line != wantLine {
				t.Errorf("row number %d, want %d", r.Line, wantLine)
			}
		})
	}
}

func TestHeaderMatching(t *testing.T) {
	tests := []struct {
		header string
		want   order.Field
	}{
		{"CustomerId", order.CustomerID},
		{"Customer", order.CustomerID},
		{"Customer Tenant Id", order.CustomerID},
		{"customer-id", order.CustomerID},
		{"  CUSTOMER_ID ", order.CustomerID},
		{"SKU", order.CatalogItemID},
		{"Catalog Item", order.CatalogItemID},
		{"Qty", order.Quantity},
		{"billing cycle", order.BillingCycle},
		{"Term Duration", order.TermDuration},
		{"Renews To", order.RenewsTo},
		{"Partner On Record Attestation Accepted", order.PartnerOnRecordAttestationAccepted},
		{"AdditionalTransactionReseller1", order.AdditionalTransactionResellers},
		{"Additional Transaction Reseller 5", order.AdditionalTransactionResellers},
		{"Additional Transaction Resellers", order.AdditionalTransactionResellers},
		{"Product Type", order.ProductType},
		{"Cart Group", order.CartGroup},
		{"Cost Center", order.NoField},
		{"Customer Name", order.NoField},
	}
	for _, tt := range tests {
		if got := classify(tt.header).Field; got != tt.want {
			t.Errorf("classify(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
	if c := classify("Import Status"); c.Result != 0 || c.Field != order.NoField {
		t.Errorf("Import Status: %+v, want result column 0", c)
	}
}

func TestReadCSVLayout(t *testing.T) {
	csv := "Monthly orders;;;;\r\n;;;;\r\n" + // title and blank rows above the header
		"Customer;SKU;Qty;Billing;Cost Center;AdditionalTransactionReseller1;AdditionalTransactionReseller2\r\n" +
		cust + ";" + sku + ";5;monthly;CC-1;517285;5357563\r\n" +
		";;;;;;\r\n" + // a blank row inside the data
		cust + ";" + sku + ";\"1\";annual;=cmd|' /C calc'!A0;;\r\n" +
		";;;;;;\r\n;;;;;;\r\n\r\n" // trailing blank rows
	s, err := Read(context.Background(), writeFile(t, "o.csv", []byte(csv)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.HeaderLine != 3 || len(s.Rows) != 2 {
		t.Fatalf("header on row %d with %d rows; want row 3 and 2 rows", s.HeaderLine, len(s.Rows))
	}
	if s.Rows[0].Line != 4 || s.Rows[1].Line != 6 {
		t.Errorf("row numbers %d, %d; want 4, 6", s.Rows[0].Line, s.Rows[1].Line)
	}
	if got := s.Rows[0].Get(order.AdditionalTransactionResellers); got != "517285; 5357563" {
		t.Errorf("numbered reseller columns read as %q", got)
	}
	if got := s.Rows[1].Cells[4]; got != "=cmd|' /C calc'!A0" {
		t.Errorf("unknown column not passed through as is: %q", got)
	}
	if got := s.ColumnsOf(order.AdditionalTransactionResellers); len(got) != 2 {
		t.Errorf("reseller columns %v, want two", got)
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want error
		text []string
	}{
		{"missing columns", "Customer,SKU,Qtty\n" + cust + "," + sku + ",1\n", ErrMissingColumns,
			[]string{"Quantity", "BillingCycle", `"Qtty"`, "row 1"}},
		{"a typo in a header", "Customer,SKU,Quantiy,Billing Cycel\n" + cust + "," + sku + ",1,monthly\n", ErrMissingColumns,
			[]string{`"Quantiy": did you mean Quantity?`, `"Billing Cycel": did you mean BillingCycle?`}},
		{"two quantities", "Customer,SKU,Qty,Seats,Billing\n" + cust + "," + sku + ",5,70,monthly\n", ErrTwoColumns,
			[]string{"two columns for Quantity", `"Qty" (column C)`, `"Seats" (column D)`, "row 1", "keep one"}},
		{"customer names beside tenant ids", "Customer,Tenant Id,SKU,Qty,Billing\nContoso," + cust + "," + sku + ",5,monthly\n", ErrTwoColumns,
			[]string{"two columns for CustomerId", `"Customer" (column A)`, `"Tenant Id" (column B)`}},
		{"no header at all", "a,b\n1,2\n", ErrMissingColumns, []string{"CustomerId", "CatalogItemId"}},
		{"empty file", "", ErrEmpty, nil},
		{"only blank rows", ";;;\r\n;;;\r\n", ErrEmpty, nil},
		{"header but no rows", "CustomerId,CatalogItemId,Quantity,BillingCycle\r\n,,,\r\n", ErrEmpty, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "bad.csv", []byte(tt.data))
			_, err := Read(context.Background(), path, Options{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+": ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q should be one line starting with the file name", msg)
			}
			for _, s := range tt.text {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not mention %s", msg, s)
				}
			}
		})
	}
}

func TestUnsupportedExtension(t *testing.T) {
	_, err := Read(context.Background(), writeFile(t, "orders.pdf", []byte("%PDF-1.4")), Options{})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
}

func TestSniffEncodingWholeFile(t *testing.T) {
	// The whole file decides, not its first chunk.
	s := strings.Repeat("a", 64<<10-1) + "€" + "tail"
	tests := []struct{ data, want string }{
		{s, encUTF8},
		{s + "\xff", encUTF8Bad}, // UTF-8 but for one stray byte
		{strings.Repeat("a", 64<<10) + "M\xfcller", encCP1252}, // no UTF-8 characters at all
		{"\xef\xbb\xbfM\xc3\xbcller \xfc", encUTF8Bad},
	}
	for _, tt := range tests {
		if got := sniffEncoding([]byte(tt.data)); got != tt.want {
			t.Errorf("sniffEncoding(%.20q…) = %s, want %s", tt.data[len(tt.data)-min(len(tt.data), 12):], got, tt.want)
		}
	}
}
