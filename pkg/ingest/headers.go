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
	for i, rc := range order.AllResultColumns {
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

// nearMisses finds, for each missing field, a header that names no column
// but is at most two typos from one of the field's names ("Quantiy",
// "Custmer Id"): the likely culprit, to name in the error.
func nearMisses(headers []string, missing []order.Field) map[order.Field]string {
	hints := map[order.Field]string{}
	for _, f := range missing {
		for _, h := range headers {
			n := normalize(trim(h))
			if len(n) < 4 || classify(trim(h)).Field != order.NoField || classify(trim(h)).Result >= 0 {
				continue
			}
			if _, ok := hints[f]; !ok && nearName(n, f) {
				hints[f] = trim(h)
			}
		}
	}
	return hints
}

// nearName: is n (normalised) within two edits of a name of f, and not
// a quarter of it or more changed?
func nearName(n string, f order.Field) bool {
	for alias, af := range aliases {
		if af != f || len(alias) < 4 {
			continue
		}
		if d := editDistance(n, alias); d > 0 && d <= 2 && 4*d < len(alias) {
			return true
		}
	}
	return false
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
