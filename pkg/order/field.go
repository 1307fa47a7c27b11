// Package order holds the domain of the importer: the rows of an order
// sheet, the carts they are grouped into, and the outcome of every row.
// It does no I/O; every other package speaks these types.
package order

import "strings"

// Field is a column of the order sheet that the importer understands.
type Field int

// The known columns, in the order the template lists them.
const (
	NoField Field = iota
	CustomerID
	CatalogItemID
	Quantity
	BillingCycle
	TermDuration
	RenewsTo
	FriendlyName
	PromotionID
	CustomTermEndDate
	ProvisioningContext
	AttestationAccepted
	PartnerOnRecordAttestationAccepted
	TransactionReseller
	AdditionalTransactionResellers
	ProductType
	CartGroup
	OrderReference
	numFields
)

// Fields lists every known column in template order.
func Fields() []Field {
	fs := make([]Field, 0, numFields-1)
	for f := CustomerID; f < numFields; f++ {
		fs = append(fs, f)
	}
	return fs
}

var fieldNames = [numFields]string{
	NoField:                            "",
	CustomerID:                         "CustomerId",
	CatalogItemID:                      "CatalogItemId",
	Quantity:                           "Quantity",
	BillingCycle:                       "BillingCycle",
	TermDuration:                       "TermDuration",
	RenewsTo:                           "RenewsTo",
	FriendlyName:                       "FriendlyName",
	PromotionID:                        "PromotionId",
	CustomTermEndDate:                  "CustomTermEndDate",
	ProvisioningContext:                "ProvisioningContext",
	AttestationAccepted:                "AttestationAccepted",
	PartnerOnRecordAttestationAccepted: "PartnerOnRecordAttestationAccepted",
	TransactionReseller:                "TransactionReseller",
	AdditionalTransactionResellers:     "AdditionalTransactionResellers",
	ProductType:                        "ProductType",
	CartGroup:                          "CartGroup",
	OrderReference:                     "OrderReference",
}

// String returns the column's canonical header name.
func (f Field) String() string {
	if f < 0 || f >= numFields {
		return ""
	}
	return fieldNames[f]
}

// Required reports whether every row must fill the column.
func (f Field) Required() bool {
	switch f {
	case CustomerID, CatalogItemID, Quantity, BillingCycle:
		return true
	}
	return false
}

// ResultColumns are the columns the importer adds to (or refreshes in) the
// orders sheet of the results workbook, in order.
var ResultColumns = []string{"Import Status", "Import Message", "Cart", "Cart Id", "Order Id", "Subscription Id"}

// SubmitResultColumns are the result columns of a submit run: the dry
// run's, and the ids support asks for.
var SubmitResultColumns = append(append([]string(nil), ResultColumns...), "Request Id", "Correlation Id")

// PriceColumns are the result columns a run with prices adds.
var PriceColumns = []string{"Unit Price", "Currency", "Estimated Cost"}

// FollowUpColumns are the result columns importer status adds.
var FollowUpColumns = []string{"Order Status", "Provisioning"}

// AllResultColumns are every result column, in the order they are added;
// Column.Result indexes it.
var AllResultColumns = append(append(append([]string(nil), SubmitResultColumns...), PriceColumns...), FollowUpColumns...)

// Column is one header cell of the orders sheet and what it was taken for.
type Column struct {
	Header string
	Field  Field // NoField for a column passed through untouched
	Result int   // index into AllResultColumns when the sheet already has it, else -1
}

// HeadersByField says which header was read for each field ("Quantity":
// "Qty"), so a person can see that nothing was guessed; numbered columns of
// one field are listed together.
func HeadersByField(cols []Column) map[string]string {
	m := map[string]string{}
	for _, c := range cols {
		if c.Field == NoField {
			continue
		}
		h := strings.TrimSpace(strings.TrimPrefix(c.Header, "\ufeff"))
		if prev, ok := m[c.Field.String()]; ok {
			h = prev + ", " + h
		}
		m[c.Field.String()] = h
	}
	return m
}
