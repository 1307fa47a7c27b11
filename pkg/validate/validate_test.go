package validate

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/order"
)

const (
	custA  = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	custB  = "7d3b2c1a-5e4f-4a6b-9c8d-0e1f2a3b4c5d"
	nce    = "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P"
	azure  = "DZH318Z0BPS6:0001:DZH318Z0BML6"
	ri     = "DZH318Z0BQ36:004G:DZH318Z08C0S"
	perp   = "DG7GMGF0DWTL:0001:DG7GMGF0DSFM"
	trial  = "DZH318Z0C0WF:0001:DZH318Z0BP69"
	swsub  = "DG7GMGF0FKZV:0003:DG7GMGF0DWMS"
	unknwn = "ABCDEF123456:0001:ABCDEF654321"
	subID  = "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e"
)

var today = time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)

type cells map[order.Field]string

// row builds a valid license-based row, changed by c.
func row(line int, c cells) order.Row {
	r := order.Row{Sheet: "Orders", Line: line}
	base := cells{
		order.CustomerID: custA, order.CatalogItemID: nce, order.Quantity: "5",
		order.BillingCycle: "monthly", order.TermDuration: "P1M", order.PartnerOnRecordAttestationAccepted: "yes",
	}
	for f, v := range c {
		base[f] = v
	}
	for f, v := range base {
		r.Set(f, v)
	}
	return r
}

func check(opt Options, rows ...order.Row) *order.Checked {
	if opt.Today.IsZero() {
		opt.Today = today
	}
	return New(opt).Check(rows)
}

// want is a problem a row must have: its column and part of its message.
type want struct {
	field order.Field
	text  string
}

func TestRowRules(t *testing.T) {
	tests := []struct {
		name  string
		cells cells
		want  []want // empty: the row is valid
	}{
		{"valid license-based", nil, nil},
		{"customer id not a GUID", cells{order.CustomerID: "contoso.onmicrosoft.com"}, []want{{order.CustomerID, "is not a customer tenant id"}}},
		{"customer id upper case and braces", cells{order.CustomerID: "{" + strings.ToUpper(custA) + "}"}, nil},
		{"customer id blank", cells{order.CustomerID: ""}, []want{{order.CustomerID, "is empty"}}},
		{"catalog item malformed", cells{order.CatalogItemID: "CFQ7TTC0LH0Z-0001"}, []want{{order.CatalogItemID, "is not a catalog item id"}}},
		{"catalog item blank", cells{order.CatalogItemID: ""}, []want{{order.CatalogItemID, "is empty"}}},
		{"catalog item lower case", cells{order.CatalogItemID: strings.ToLower(nce)}, nil},
		{"legacy GUID offer", cells{order.CatalogItemID: "91FD106F-4B2C-4938-95AC-F54F74E9A239", order.TermDuration: ""}, nil},
		{"legacy Azure offer", cells{order.CatalogItemID: "MS-AZR-0145P", order.TermDuration: "P1Y"}, nil},
		{"quantity 0", cells{order.Quantity: "0"}, []want{{order.Quantity, "'0' must be a whole number above 0"}}},
		{"quantity negative", cells{order.Quantity: "-3"}, []want{{order.Quantity, "'-3' must be a whole number above 0"}}},
		{"quantity decimal", cells{order.Quantity: "2.5"}, []want{{order.Quantity, "(no decimals)"}}},
		{"quantity decimal comma", cells{order.Quantity: "2,5"}, []want{{order.Quantity, "(no decimals)"}}},
		{"quantity text", cells{order.Quantity: "five"}, []want{{order.Quantity, "'five' must be a whole number"}}},
		{"quantity blank", cells{order.Quantity: ""}, []want{{order.Quantity, "is empty"}}},
		{"quantity huge", cells{order.Quantity: "99999999999999999999"}, []want{{order.Quantity, "far too large"}}},
		{"billing any case", cells{order.BillingCycle: "MONTHLY"}, nil},
		{"billing One Time", cells{order.CatalogItemID: perp, order.BillingCycle: "One Time", order.TermDuration: ""}, nil},
		{"billing OneTime", cells{order.CatalogItemID: perp, order.BillingCycle: "OneTime", order.TermDuration: ""}, nil},
		{"billing unknown", cells{order.BillingCycle: "weekly"}, []want{{order.BillingCycle, "'weekly' is not known"}}},
		{"billing blank", cells{order.BillingCycle: ""}, []want{{order.BillingCycle, "is empty"}}},
		{"term unknown", cells{order.TermDuration: "P2Y"}, []want{{order.TermDuration, "'P2Y' is not known"}}},
		{"annual billing with P1M", cells{order.BillingCycle: "annual", order.TermDuration: "P1M"}, []want{{order.BillingCycle, "annual billing is longer than the P1M term"}}},
		{"triennial without P3Y", cells{order.BillingCycle: "triennial", order.TermDuration: "P1Y"}, []want{{order.BillingCycle, "triennial billing is longer"}}},
		{"triennial with P3Y", cells{order.BillingCycle: "triennial", order.TermDuration: "P3Y"}, nil},
		{"biennial with P1Y", cells{order.BillingCycle: "biennial", order.TermDuration: "P1Y"}, []want{{order.BillingCycle, "biennial billing is longer"}}},
		{"license-based needs a term", cells{order.TermDuration: ""}, []want{{order.TermDuration, "needs a term"}}},
		{"trial needs a term", cells{order.CatalogItemID: trial, order.BillingCycle: "none", order.TermDuration: ""}, []want{{order.TermDuration, "a trial (billing cycle none) needs a term"}}},
		{"trial with renewal", cells{order.CatalogItemID: trial, order.BillingCycle: "none", order.TermDuration: "P1M", order.RenewsTo: "P1Y"}, nil},
		{"renewal P3Y", cells{order.RenewsTo: "P3Y"}, []want{{order.RenewsTo, "use P1M or P1Y"}}},
		{"renewal without term", cells{order.CatalogItemID: unknwn, order.TermDuration: "", order.RenewsTo: "P1M"}, []want{{order.RenewsTo, "needs a TermDuration"}}},
		{"Azure plan valid", cells{order.CatalogItemID: azure, order.Quantity: "1", order.BillingCycle: "one_time", order.TermDuration: ""}, nil},
		{"Azure plan wrong", cells{order.CatalogItemID: azure, order.Quantity: "2", order.BillingCycle: "monthly", order.TermDuration: "P1Y"}, []want{
			{order.Quantity, "above the maximum of 1"}, {order.BillingCycle, "one_time"}, {order.TermDuration, "an Azure plan has no term"}}},
		{"Azure plan by ProductType column", cells{order.CatalogItemID: unknwn, order.ProductType: "azure plan", order.TermDuration: "P1M"}, []want{
			{order.TermDuration, "an Azure plan has no term"}, {order.BillingCycle, "an Azure plan is billed one_time"}, {order.Quantity, "quantity 1, not 5"}}},
		{"perpetual with a term", cells{order.CatalogItemID: perp, order.BillingCycle: "one_time", order.TermDuration: "P1Y"}, []want{{order.TermDuration, "perpetual software has no term"}}},
		{"software subscription", cells{order.CatalogItemID: swsub, order.BillingCycle: "one_time", order.TermDuration: "P3Y"}, nil},
		{"software subscription wrong term", cells{order.CatalogItemID: swsub, order.BillingCycle: "one_time", order.TermDuration: "P1Y"}, []want{{order.TermDuration, "P1Y is not offered"}}},
		{"reserved instance valid", cells{order.CatalogItemID: ri, order.BillingCycle: "one_time", order.TermDuration: "P1Y",
			order.ProvisioningContext: "subscriptionId=" + subID + "; scope=Shared"}, nil},
		{"reserved instance without scope", cells{order.CatalogItemID: ri, order.BillingCycle: "one_time", order.TermDuration: "P3Y",
			order.ProvisioningContext: "subscriptionId=" + subID}, []want{{order.ProvisioningContext, "scope=shared or scope=single"}}},
		{"reserved instance bad scope and subscription", cells{order.CatalogItemID: ri, order.BillingCycle: "one_time", order.TermDuration: "P3Y",
			order.ProvisioningContext: "subscriptionId=abc; scope=global"}, []want{
			{order.ProvisioningContext, "'abc' is not an Azure subscription GUID"}, {order.ProvisioningContext, "scope 'global'"}}},
		{"reserved instance without term", cells{order.CatalogItemID: ri, order.BillingCycle: "one_time", order.TermDuration: "",
			order.ProvisioningContext: "subscriptionId=" + subID + ";scope=single"}, []want{{order.TermDuration, "P1Y or P3Y"}}},
		{"provisioning context malformed", cells{order.ProvisioningContext: "subscriptionId; scope=shared"}, []want{{order.ProvisioningContext, "is not key=value"}}},
		{"provisioning context key twice", cells{order.ProvisioningContext: "a=1; a=2"}, []want{{order.ProvisioningContext, "given twice"}}},
		{"one reseller", cells{order.TransactionReseller: "5357564"}, nil},
		{"two transaction resellers", cells{order.TransactionReseller: "5357564, 517285"}, []want{{order.TransactionReseller, "more than one reseller"}}},
		{"reseller with letters", cells{order.TransactionReseller: "MPN5357564"}, []want{{order.TransactionReseller, "is not a PartnerID"}}},
		{"five additional resellers", cells{order.AdditionalTransactionResellers: "1 2,3;4 5"}, nil},
		{"six additional resellers", cells{order.AdditionalTransactionResellers: "1 2 3 4 5 6"}, []want{{order.AdditionalTransactionResellers, "at most 5"}}},
		{"additional reseller not digits", cells{order.AdditionalTransactionResellers: "517285; abc"}, []want{{order.AdditionalTransactionResellers, "'abc' is not a PartnerID"}}},
		{"PartnerID twice", cells{order.TransactionReseller: "517285", order.AdditionalTransactionResellers: "517285"}, []want{{order.AdditionalTransactionResellers, "appears twice"}}},
		{"coterm date ISO", cells{order.CustomTermEndDate: "2027-01-31"}, nil},
		{"coterm date today", cells{order.CustomTermEndDate: "2026-11-21"}, nil},
		{"coterm date European", cells{order.CustomTermEndDate: "31.01.2027"}, nil},
		{"coterm date US unambiguous", cells{order.CustomTermEndDate: "01/31/2027"}, nil},
		{"coterm date ambiguous", cells{order.CustomTermEndDate: "03/04/2027"}, []want{{order.CustomTermEndDate, "ambiguous"}}},
		{"coterm date not a date", cells{order.CustomTermEndDate: "2027-02-30"}, []want{{order.CustomTermEndDate, "is not a date"}}},
		{"coterm date in the past", cells{order.CustomTermEndDate: "2026-11-20"}, []want{{order.CustomTermEndDate, "in the past"}}},
		{"coterm on a trial", cells{order.CatalogItemID: trial, order.BillingCycle: "none", order.CustomTermEndDate: "2027-01-31"}, []want{{order.CustomTermEndDate, "a trial cannot"}}},
		{"coterm on an Azure plan", cells{order.CatalogItemID: azure, order.Quantity: "1", order.BillingCycle: "one_time", order.TermDuration: "", order.CustomTermEndDate: "2027-01-31"}, []want{{order.CustomTermEndDate, "azure plan line cannot"}}},
		{"coterm on perpetual", cells{order.CatalogItemID: perp, order.BillingCycle: "one_time", order.TermDuration: "", order.CustomTermEndDate: "2027-01-31"}, []want{{order.CustomTermEndDate, "perpetual software line cannot"}}},
		{"coterm on reserved instance", cells{order.CatalogItemID: ri, order.BillingCycle: "one_time", order.TermDuration: "P1Y",
			order.ProvisioningContext: "subscriptionId=" + subID + ";scope=single", order.CustomTermEndDate: "2027-01-31"}, []want{{order.CustomTermEndDate, "reserved instance line cannot"}}},
		{"yes/no values", cells{order.AttestationAccepted: "X", order.PartnerOnRecordAttestationAccepted: "TRUE"}, nil},
		{"yes/no unknown", cells{order.AttestationAccepted: "maybe"}, []want{{order.AttestationAccepted, "'maybe' is not yes or no"}}},
		{"product type unknown value", cells{order.ProductType: "Hardware"}, []want{{order.ProductType, "'Hardware' is not a product type"}}},
		{"several problems at once", cells{order.Quantity: "0", order.BillingCycle: "weekly", order.CustomerID: "x"}, []want{
			{order.Quantity, "above 0"}, {order.BillingCycle, "not known"}, {order.CustomerID, "not a customer tenant id"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := check(Options{}, row(2, tt.cells))
			o := res.Outcomes[0]
			var errs []order.Problem
			for _, p := range o.Problems {
				if p.Severity == order.Error {
					errs = append(errs, p)
				}
			}
			if len(tt.want) == 0 {
				if o.Status != order.StatusValid || len(errs) > 0 {
					t.Fatalf("want Valid, got %s: %+v", o.Status, errs)
				}
				return
			}
			if o.Status != order.StatusInvalid {
				t.Fatalf("want Invalid, got %s", o.Status)
			}
			for _, w := range tt.want {
				found := false
				for _, p := range errs {
					if p.Field == w.field && strings.Contains(strings.ToLower(p.Message), strings.ToLower(w.text)) {
						found = true
					}
				}
				if !found {
					t.Errorf("no %s problem containing %q in %+v", w.field, w.text, errs)
				}
			}
			if len(errs) != len(tt.want) {
				t.Errorf("%d problems, want %d: %+v", len(errs), len(tt.want), errs)
			}
		})
	}
}

func TestUnknownProductTypeIsANoteNotAnError(t *testing.T) {
	// An id whose prefix looks like Azure is not taken for an Azure plan.
	res := check(Options{}, row(2, cells{order.CatalogItemID: "DZH318Z0ZZZZ:0001:DZH318Z0ZZZZ", order.TermDuration: "P1Y"}))
	o := res.Outcomes[0]
	if o.Status != order.StatusValid || len(o.Problems) != 1 || o.Problems[0].Severity != order.Note ||
		!strings.Contains(o.Problems[0].Message, "checks for its type were skipped") {
		t.Fatalf("got %s %+v; want Valid with a note that type checks were skipped", o.Status, o.Problems)
	}
}

func TestCatalogFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "catalog.csv")
	data := "\ufeffProductId,ProductType,Terms,BillingCycles,MinQuantity,MaxQuantity\n" +
		"ABCDEF123456,License-based,P1Y;P3Y,annual;triennial,5,300\n" +
		"CFQ7TTC0LH0Z:0001,Perpetual software,,one_time,,\n"
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := LoadCatalog(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		cells cells
		want  []string
	}{
		{"allowed", cells{order.CatalogItemID: unknwn, order.BillingCycle: "annual", order.TermDuration: "P1Y"}, nil},
		{"term not offered", cells{order.CatalogItemID: unknwn, order.BillingCycle: "annual", order.TermDuration: "P1M"}, []string{"P1M is not offered", "annual billing is longer"}},
		{"billing not offered", cells{order.CatalogItemID: unknwn, order.BillingCycle: "monthly", order.TermDuration: "P1Y"}, []string{"monthly billing is not offered"}},
		{"below minimum", cells{order.CatalogItemID: unknwn, order.Quantity: "2", order.BillingCycle: "annual", order.TermDuration: "P1Y"}, []string{"below the minimum of 5"}},
		{"above maximum", cells{order.CatalogItemID: unknwn, order.Quantity: "301", order.BillingCycle: "annual", order.TermDuration: "P1Y"}, []string{"above the maximum of 300"}},
		// The user's catalog wins over the built-in one, by product:sku.
		{"overrides built-in", cells{order.CatalogItemID: nce, order.BillingCycle: "one_time", order.TermDuration: "P1M"}, []string{"perpetual software has no term"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := check(Options{Catalog: cat}, row(2, tt.cells)).Outcomes[0]
			if len(o.Problems) != len(tt.want) {
				t.Fatalf("problems %+v, want %d", o.Problems, len(tt.want))
			}
			for _, w := range tt.want {
				found := false
				for _, p := range o.Problems {
					found = found || strings.Contains(p.Message, w)
				}
				if !found {
					t.Errorf("no problem says %q: %+v", w, o.Problems)
				}
			}
		})
	}
	for _, bad := range []string{
		"Id,Type\nx,y\n",
		"ProductId,ProductType\nX,Hardware\n",
		"ProductId,ProductType,Terms\nX,SaaS,P2Y\n",
		"ProductId,ProductType,BillingCycles\nX,SaaS,weekly\n",
		"ProductId,ProductType,MinQuantity\nX,SaaS,-1\n",
	} {
		if err := os.WriteFile(p, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadCatalog(context.Background(), p); err == nil {
			t.Errorf("catalog %q loaded without error", bad)
		}
	}
}

func TestBuiltinCatalogLoads(t *testing.T) {
	for _, id := range []string{azure, ri, perp, trial, swsub, nce, "MS-AZR-0145P"} {
		if _, ok := Builtin().Lookup(id); !ok {
			t.Errorf("built-in catalog has no entry for %s", id)
		}
	}
}

func TestCartsAndGrouping(t *testing.T) {
	rows := []order.Row{
		row(2, nil),
		row(3, cells{order.CustomerID: custB, order.CatalogItemID: azure, order.Quantity: "1", order.BillingCycle: "one_time", order.TermDuration: ""}),
		row(4, cells{order.CustomerID: strings.ToUpper(custA), order.CatalogItemID: "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", order.TermDuration: "P1Y",
			order.TransactionReseller: "5357564", order.AdditionalTransactionResellers: "517285 5357563", order.RenewsTo: "P1M"}),
		row(5, cells{order.CartGroup: "Q1"}),
	}
	res := check(Options{}, rows...)
	if len(res.Carts) != 3 {
		t.Fatalf("%d carts, want 3 (A, B, A/Q1)", len(res.Carts))
	}
	a := res.Carts[0]
	if len(a.Rows) != 2 || a.Rows[0] != 0 || a.Rows[1] != 2 {
		t.Fatalf("cart A rows %v, want [0 2] (ids are case-insensitive)", a.Rows)
	}
	if res.Carts[2].Name != custA+" / Q1" || res.Outcomes[3].Cart != custA+" / Q1" {
		t.Errorf("cart group name %q", res.Carts[2].Name)
	}
	want := order.CartRequest{PartnerOnRecordAttestationAccepted: true, LineItems: []order.LineItem{
		{ID: 0, CatalogItemID: "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", Quantity: 5, BillingCycle: "monthly", TermDuration: "P1M"},
		{ID: 1, CatalogItemID: "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", Quantity: 5, BillingCycle: "monthly", TermDuration: "P1Y",
			RenewsTo: &order.Renewal{TermDuration: "P1M"},
			Participants: []order.Participant{{Key: "transaction_reseller", Value: "5357564"},
				{Key: "additional_transaction_reseller", Value: "517285"}, {Key: "additional_transaction_reseller", Value: "5357563"}}},
	}}
	if !reflect.DeepEqual(a.Request, want) {
		t.Errorf("cart request\n got %+v\nwant %+v", a.Request, want)
	}
	azure := res.Carts[1].Request.LineItems
	if len(azure) != 1 || azure[0].BillingCycle != "one_time" || azure[0].TermDuration != "" || azure[0].RenewsTo != nil {
		t.Errorf("Azure plan line %+v: want one_time and no termDuration", azure)
	}
}

func TestDuplicateLine(t *testing.T) {
	res := check(Options{},
		row(2, nil),
		row(3, cells{order.Quantity: "3"}),                       // same line: duplicate
		row(4, cells{order.TermDuration: "P1Y"}),                 // other term: not a duplicate
		row(5, cells{order.CartGroup: "other"}),                  // other cart: not a duplicate
		row(6, cells{order.CatalogItemID: strings.ToLower(nce)}), // same id in other case: duplicate
	)
	wantDup := map[int]bool{1: true, 4: true}
	for i, o := range res.Outcomes {
		isDup := o.Status == order.StatusInvalid && strings.Contains(o.Problems[0].Message, "duplicate of row 2; ") ||
			o.Status == order.StatusInvalid && strings.Contains(o.Problems[0].Message, "duplicate of row 2 ")
		if isDup != wantDup[i] {
			t.Errorf("row %d: %s %+v; duplicate expected: %v", i+2, o.Status, o.Problems, wantDup[i])
		}
	}
	if o := res.Outcomes[1]; o.Problems[0].Field != order.CatalogItemID || !strings.Contains(o.Problems[0].Message, "merge the quantities") {
		t.Errorf("duplicate message %+v", o.Problems)
	}
}

func TestAttestation(t *testing.T) {
	por := order.PartnerOnRecordAttestationAccepted
	tests := []struct {
		name    string
		values  []string
		attest  bool
		invalid bool
		text    string
	}{
		{"yes on every row", []string{"yes", "yes"}, false, false, ""},
		{"yes on the first row only", []string{"yes", ""}, false, false, ""},
		{"blank, no flag", []string{"", ""}, false, true, "--attest"},
		{"blank, --attest", []string{"", ""}, true, false, ""},
		{"no, even with --attest", []string{"no", "no"}, true, true, "the sheet says no"},
		{"yes and no disagree", []string{"yes", "no"}, true, true, "disagree (yes on row 2, no on row 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := check(Options{Attest: tt.attest},
				row(2, cells{por: tt.values[0]}),
				row(3, cells{por: tt.values[1], order.TermDuration: "P1Y"}))
			for i, o := range res.Outcomes {
				if (o.Status == order.StatusInvalid) != tt.invalid {
					t.Fatalf("row %d: %s, want invalid=%v", i+2, o.Status, tt.invalid)
				}
				if tt.invalid && (o.Problems[0].Field != por || !strings.Contains(o.Problems[0].Message, tt.text)) {
					t.Errorf("row %d: %+v, want a %s problem with %q", i+2, o.Problems, por, tt.text)
				}
			}
			if got := res.Carts[0].Request.PartnerOnRecordAttestationAccepted; got == tt.invalid {
				t.Errorf("request attestation %v", got)
			}
		})
	}
}

// TestEveryRowChecked: a bad row never stops the rows after it.
func TestEveryRowChecked(t *testing.T) {
	var rows []order.Row
	for i := 0; i < 50; i++ {
		c := cells{order.CatalogItemID: "CFQ7TTC0LH0Z:0001:CFQ7TTC0K" + string(rune('A'+i%26)) + string(rune('A'+i/26)) + "P"}
		if i%2 == 0 {
			c[order.Quantity] = "zero"
		}
		rows = append(rows, row(i+2, c))
	}
	res := check(Options{}, rows...)
	for i, o := range res.Outcomes {
		if want := i%2 == 0; (o.Status == order.StatusInvalid) != want {
			t.Errorf("row %d: %s", i+2, o.Status)
		}
	}
}
