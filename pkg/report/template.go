package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/cspimporter/importer/pkg/atomicfile"
	"github.com/cspimporter/importer/pkg/order"
)

// ColumnDoc explains one column of the order sheet.
type ColumnDoc struct {
	Field       order.Field
	Description string
	Example     string
	Choices     []string // drop-down values, if the column has a fixed list
}

var yesNo = []string{"yes", "no"}

// ColumnDocs describes every column, in template order. The README's column
// table says the same.
func ColumnDocs(productTypes []string) []ColumnDoc {
	return []ColumnDoc{
		{order.CustomerID, "The customer's tenant id (Microsoft ID), a GUID. Required.", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", nil},
		{order.CatalogItemID, "What to buy: productId:skuId:availabilityId from the Partner Center catalog, or a legacy offer id (a GUID, or MS-AZR-0145P style). Required.", "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", nil},
		{order.Quantity, "Number of licenses or instances: a whole number above 0. Required. An Azure plan is always 1.", "5", nil},
		{order.BillingCycle, "How often the customer is billed. Required. Trials use none.", "monthly", []string{"monthly", "annual", "triennial", "biennial", "one_time", "none"}},
		{order.TermDuration, "Commitment term: P1M (1 month), P1Y (1 year) or P3Y (3 years). Leave empty for an Azure plan or perpetual software. Billing may not be longer than the term.", "P1Y", []string{"P1M", "P1Y", "P3Y"}},
		{order.RenewsTo, "Term the subscription renews to (P1M or P1Y); only with a TermDuration.", "P1Y", []string{"P1M", "P1Y"}},
		{order.FriendlyName, "Optional name for the subscription.", "Contoso sales team", nil},
		{order.PromotionID, "Optional promotion id to apply.", "39NFJQT1Q5KPZ", nil},
		{order.CustomTermEndDate, "Optional end date of the first term, to line up with another subscription (YYYY-MM-DD, today or later). Not for trials, Azure plans, perpetual software or reserved instances.", "2027-06-30", nil},
		{order.ProvisioningContext, "Extra values some products need, as key=value; key=value. A reserved instance needs subscriptionId and scope (shared or single).", "subscriptionId=aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e; scope=shared", nil},
		{order.AttestationAccepted, "yes where the product requires its own attestation (e.g. Windows 365).", "yes", yesNo},
		{order.PartnerOnRecordAttestationAccepted, "yes to confirm the partner-of-record attestation for the cart; the same answer on every row of a cart (or run with --attest).", "yes", yesNo},
		{order.TransactionReseller, "PartnerID of the indirect reseller (digits), one per line.", "5357564", nil},
		{order.AdditionalTransactionResellers, "Up to 5 more reseller PartnerIDs, separated by , ; or spaces (EU/EFTA partners). Numbered columns AdditionalTransactionReseller1..5 also work.", "517285; 5357563", nil},
		{order.ProductType, "Optional product type; enables the checks for that type. Without it the --catalog file or the built-in knowledge decide.", "License-based", productTypes},
		{order.CartGroup, "Optional: rows of one customer with different CartGroup values go into separate carts.", "Q1", nil},
		{order.OrderReference, "Optional reference of your own for the row (e.g. a PO number); kept with the results.", "PO-2026-118", nil},
	}
}

// textColumns hold ids: formatted as text so Excel keeps leading zeros and
// long digit strings.
var textColumns = map[order.Field]bool{
	order.CustomerID: true, order.CatalogItemID: true, order.PromotionID: true, order.ProvisioningContext: true,
	order.TransactionReseller: true, order.AdditionalTransactionResellers: true, order.CartGroup: true,
	order.OrderReference: true, order.FriendlyName: true,
}

// templateRows is how far down the drop-downs and formats reach.
const templateRows = 2000

// WriteTemplate writes the blank order template.
func WriteTemplate(path string, productTypes []string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := buildTemplate(f, productTypes); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := f.WriteTo(w)
		return err
	}); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func buildTemplate(f *excelize.File, productTypes []string) error {
	const sheet = "Orders"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	docs := ColumnDocs(productTypes)
	st, err := newStyles(f) // the header named in the workbook's font, not a serif
	if err != nil {
		return err
	}
	head := st.header
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: strPtr("yyyy-mm-dd")})
	if err != nil {
		return err
	}
	for i, d := range docs {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellStr(sheet, col+"1", d.Field.String()); err != nil {
			return err
		}
		width := float64(max(14, len(d.Field.String())+2))
		if textColumns[d.Field] && d.Field != order.AdditionalTransactionResellers {
			width = max(width, 24)
		}
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
		style := 0
		switch {
		case textColumns[d.Field]:
			style = text
		case d.Field == order.CustomTermEndDate:
			style = date
		}
		if style != 0 {
			if err := f.SetColStyle(sheet, col, style); err != nil {
				return err
			}
		}
		if len(d.Choices) > 0 {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, templateRows)
			if err := dv.SetDropList(d.Choices); err != nil {
				return err
			}
			dv.SetError(excelize.DataValidationErrorStyleStop, d.Field.String(), "Choose a value from the list: "+strings.Join(d.Choices, ", "))
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return err
			}
		}
	}
	last, _ := excelize.ColumnNumberToName(len(docs))
	if err := f.SetCellStyle(sheet, "A1", last+"1", head); err != nil {
		return err
	}
	if err := freezeHeader(f, sheet, 1); err != nil {
		return err
	}
	return instructionsSheet(f, docs, head)
}

func instructionsSheet(f *excelize.File, docs []ColumnDoc, head int) error {
	const sheet = "Instructions"
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	rows := [][]any{
		{"How to fill in the order sheet"},
		{"One row per product to buy. Rows of the same customer (and CartGroup) are bought together in one cart. Check the sheet with 'importer validate SHEET' before submitting; it writes a results workbook that marks every problem."},
		{},
		{"Column", "Required", "What to enter", "Example", "Allowed values"},
	}
	for _, d := range docs {
		req := ""
		if d.Field.Required() {
			req = "yes"
		}
		rows = append(rows, []any{d.Field.String(), req, d.Description, d.Example, strings.Join(d.Choices, ", ")})
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheet, "A4", "E4", head); err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A5", fmt.Sprintf("E%d", len(rows)), wrap); err != nil {
		return err
	}
	for _, w := range []struct {
		col   string
		width float64
	}{{"A", 36}, {"B", 10}, {"C", 80}, {"D", 40}, {"E", 40}} {
		if err := f.SetColWidth(sheet, w.col, w.col, w.width); err != nil {
			return err
		}
	}
	return nil
}

func freezeHeader(f *excelize.File, sheet string, headerLine int) error {
	return f.SetPanes(sheet, &excelize.Panes{
		Freeze: true, YSplit: headerLine, TopLeftCell: "A" + strconv.Itoa(headerLine+1), ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A" + strconv.Itoa(headerLine+1), ActiveCell: "A" + strconv.Itoa(headerLine+1), Pane: "bottomLeft"}},
	})
}

func strPtr(s string) *string { return &s }
