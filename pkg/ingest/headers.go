package ingest

import (
	"strings"
	"unicode"

	"github.com/cspimporter/importer/pkg/order"
)

// aliases maps a normalised header (see normalize) to the column it names.
// Canonical names are added in init, so only the extra spellings are here.
var aliases = map[string]order.Field{
	"customer":                      order.CustomerID,
	"customertenantid":              order.CustomerID,
	"customertenant":                order.CustomerID,
	"tenantid":                      order.CustomerID,
	"customermicrosoftid":           order.CustomerID,
	"microsoftid":                   order.CustomerID,
	"sku":                           order.CatalogItemID,
	"catalogitem":                   order.CatalogItemID,
	"catalogid":                     order.CatalogItemID,
	"offerid":                       order.CatalogItemID,
	"offer":                         order.CatalogItemID,
	"qty":                           order.Quantity,
	"seats":                         order.Quantity,
	"licenses":                      order.Quantity,
	"quantity":                      order.Quantity,
	"billing":                       order.BillingCycle,
	"billingfrequency":              order.BillingCycle,
	"billingplan":                   order.BillingCycle,
	"term":                          order.TermDuration,
	"termlength":                    order.TermDuration,
	"renewalterm":                   order.RenewsTo,
	"renewsto":                      order.RenewsTo,
	"renewstotermduration":          order.RenewsTo,
	"name":                          order.FriendlyName,
	"nickname":                      order.FriendlyName,
	"promotion":                     order.PromotionID,
	"promocode":                     order.PromotionID,
	"cotermdate":                    order.CustomTermEndDate,
	"customtermend":                 order.CustomTermEndDate,
	"termenddate":                   order.CustomTermEndDate,
	"provisioning":                  order.ProvisioningContext,
	"attestation":                   order.AttestationAccepted,
	"skuattestationaccepted":        order.AttestationAccepted,
	"partneronrecordattestation":    order.PartnerOnRecordAttestationAccepted,
	"porattestation":                order.PartnerOnRecordAttestationAccepted,
	"partnerattestation":            order.PartnerOnRecordAttestationAccepted,
	"reseller":                      order.TransactionReseller,
	"resellerid":                    order.TransactionReseller,
	"resellerpartnerid":             order.TransactionReseller,
	"indirectreseller":              order.TransactionReseller,
	"additionalresellers":           order.AdditionalTransactionResellers,
	"additionaltransactionreseller": order.AdditionalTransactionResellers,
	"type":                          order.ProductType,
	"group":                         order.CartGroup,
	"cart":                          order.CartGroup,
	"reference":                     order.OrderReference,
	"orderref":                      order.OrderReference,
	"ponumber":                      order.OrderReference,
}

func init() {
	for _, f := range order.Fields() {
		aliases[normalize(f.String())] = f
	}
}

// normalize folds case and drops spaces, '_', '-' and '.', so that
// "Customer Tenant Id", "customer_tenant_id" and "CustomerTenantID" match.
func normalize(h string) string {
	var b strings.Builder
	for _, r := range strings.TrimPrefix(h, "\ufeff") {
		switch {
		case unicode.IsSpace(r), r == '_', r == '-', r == '.':
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// classify names the column a header is, or returns NoField.
func classify(header string) order.Column {
	c := order.Column{Header: header, Result: -1}
	n := normalize(header)
	if n == "" {
		return c
	}
	for i, rc := range order.SubmitResultColumns {
		if n == normalize(rc) {
			c.Result = i
			return c
		}
	}
	if f, ok := aliases[n]; ok {
		c.Field = f
		return c
	}
	// AdditionalTransactionReseller1..N and AdditionalReseller1..N.
	if base := strings.TrimRightFunc(n, unicode.IsDigit); base != n {
		switch base {
		case "additionaltransactionreseller", "additionalreseller", "additionaltransactionresellers":
			c.Field = order.AdditionalTransactionResellers
		}
	}
	return c
}
