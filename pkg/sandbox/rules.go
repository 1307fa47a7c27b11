package sandbox

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// apiError is a whole-request failure: HTTP status and Partner Center code.
type apiError struct {
	status      int
	code        int
	description string
}

func badRequest(code int, format string, args ...any) *apiError {
	return &apiError{status: 400, code: code, description: fmt.Sprintf(format, args...)}
}

var (
	knownBilling = map[pc.BillingCycle]int{pc.BillingMonthly: 1, pc.BillingAnnual: 12, pc.BillingBiennial: 24,
		pc.BillingTriennial: 36, pc.BillingOneTime: 0, pc.BillingNone: 0}
	termMonths  = map[string]int{"P1M": 1, "P1Y": 12, "P3Y": 36}
	partnerIDRE = regexp.MustCompile(`^[0-9]{1,10}$`)
	guidRE      = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
)

// checkCart applies Partner Center's rules to a cart about to be created or
// replaced: a broken request is refused whole (400); a line the service
// cannot sell gets an error in the cart it returns. It fills in each line's
// currency, order group and pricing.
func (s *Server) checkCart(c *pc.Cart, now time.Time) *apiError {
	if len(c.LineItems) == 0 {
		return badRequest(pc.CodeInvalidInput, "Invalid request input: a cart needs at least one line item.")
	}
	a := c.PartnerOnRecordAttestationAccepted
	if (a == nil && !s.cfg.AttestationOptional) || (a != nil && !*a) {
		return badRequest(pc.CodePartnerAttestation, "Partner Attestation is missing. Set PartnerOnRecordAttestationAccepted to true.")
	}
	for i := range c.LineItems {
		if err := s.checkLine(&c.LineItems[i], i); err != nil {
			return err
		}
	}
	groups := map[string]string{}
	next := 0
	for i := range c.LineItems {
		l := &c.LineItems[i]
		l.CurrencyCode = "USD"
		s.lineError(l, now)
		if l.Error != nil {
			l.OrderGroup = ""
			continue
		}
		cat := s.category(l)
		if cat == "legacy" {
			l.OrderGroup = "OMS-0"
			continue
		}
		g, ok := groups[cat]
		if !ok {
			g = fmt.Sprint(next)
			next++
			groups[cat] = g
		}
		l.OrderGroup = g
		l.Pricing = s.pricing(l)
	}
	return nil
}

// checkLine refuses what Partner Center refuses with a 400.
func (s *Server) checkLine(l *pc.CartLineItem, i int) *apiError {
	if l.CatalogItemID == "" {
		return badRequest(pc.CodeInvalidInput, "Invalid request input: catalogItemId of line item %d is missing.", i)
	}
	if l.Quantity <= 0 {
		return badRequest(pc.CodeQuantityOutOfRange, "Quantity for line item %d not within allowed range.", i)
	}
	bm, ok := knownBilling[l.BillingCycle]
	if !ok {
		return badRequest(900126, "Unable to parse enum value '%s' for billingCycle of line item %d.", l.BillingCycle, i)
	}
	if l.TermDuration != "" {
		tm, ok := termMonths[l.TermDuration]
		if !ok {
			return badRequest(pc.CodeInvalidInput, "Invalid request input: termDuration '%s' of line item %d is not P1M, P1Y or P3Y.", l.TermDuration, i)
		}
		if bm > tm {
			return badRequest(pc.CodeBillingLongerThanTerm, "Billing cycle can't be longer than the term for line item %d.", i)
		}
	}
	if l.RenewsTo != nil && l.RenewsTo.TermDuration != "P1M" && l.RenewsTo.TermDuration != "P1Y" {
		return badRequest(pc.CodeInvalidInput, "Invalid request input: renewsTo.termDuration of line item %d must be P1M or P1Y.", i)
	}
	if it, ok := s.cfg.Catalog.Lookup(l.CatalogItemID); ok {
		terms := it.Availability.Terms
		if (len(terms) == 0 && l.TermDuration != "") || (len(terms) > 0 && !contains(terms, l.TermDuration)) {
			return badRequest(pc.CodeTermNotSupported, "Availability %s referenced by line item %d does not support term '%s'.", it.Availability.ID, i, l.TermDuration)
		}
		if l.Quantity < it.SKU.MinimumQuantity {
			return badRequest(pc.CodeQuantityOutOfRange, "Quantity for line item %d not within allowed range.", i)
		}
		if it.Product.Family == "reservation" {
			if !guidRE.MatchString(l.ProvisioningContext["subscriptionId"]) {
				return badRequest(900318, "Provisioning context of line item %d needs the Azure plan's subscriptionId.", i)
			}
			if sc := strings.ToLower(l.ProvisioningContext["scope"]); sc != "shared" && sc != "single" {
				return badRequest(900312, "Provisioning context of line item %d has no valid scope (shared or single).", i)
			}
		}
	}
	var resellers, additional int
	for _, p := range l.Participants {
		switch p.Key {
		case pc.TransactionReseller:
			resellers++
		case pc.AdditionalTransactionReseller:
			additional++
		}
		if !partnerIDRE.MatchString(p.Value) {
			return badRequest(pc.CodeResellerInvalid, "Indirect reseller PartnerID '%s' on line item %d is invalid.", p.Value, i)
		}
	}
	if resellers > 1 {
		return badRequest(pc.CodeInvalidInput, "Invalid request input: line item %d has more than one transaction_reseller.", i)
	}
	if additional > 5 {
		return badRequest(pc.CodeInvalidInput, "Only a maximum of 5 Indirect Resellers can be entered (line item %d).", i)
	}
	return nil
}

// lineError sets the error of a line the service cannot sell.
func (s *Server) lineError(l *pc.CartLineItem, now time.Time) {
	fail := func(code int, format string, args ...any) {
		l.Error = &pc.CartError{ErrorCode: pc.NewCode(code), ErrorDescription: fmt.Sprintf(format, args...)}
	}
	l.Error = nil
	it, ok := s.cfg.Catalog.Lookup(l.CatalogItemID)
	if !ok {
		o, legacy := s.cfg.Catalog.Legacy(l.CatalogItemID)
		switch {
		case !legacy:
			fail(pc.ErrCatalogItemIDNotValid, "The catalog item ID '%s' is not valid.", l.CatalogItemID)
		case !contains(o.SupportedBillingCycles, string(l.BillingCycle)):
			fail(pc.ErrBillingPlanNotSupported, "Billing cycle '%s' is not supported for offer %s.", l.BillingCycle, o.ID)
		case o.MaximumQuantity > 0 && l.Quantity > o.MaximumQuantity:
			fail(pc.ErrMaxSeatsExceeded, "Quantity %d exceeds the maximum of %d for offer %s.", l.Quantity, o.MaximumQuantity, o.ID)
		case l.CustomTermEndDate != nil:
			fail(pc.ErrInvalidCustomTermEndDateProd, "A custom term end date is not supported for legacy offers.")
		}
		return
	}
	switch {
	case !contains(it.SKU.SupportedBillingCycles, string(l.BillingCycle)):
		fail(pc.ErrBillingPlanNotSupported, "Billing cycle '%s' is not supported; the SKU supports %s.", l.BillingCycle, strings.Join(it.SKU.SupportedBillingCycles, ", "))
	case it.SKU.MaximumQuantity > 0 && l.Quantity > it.SKU.MaximumQuantity:
		fail(pc.ErrMaxSeatsExceeded, "Quantity %d exceeds the maximum of %d seats per subscription.", l.Quantity, it.SKU.MaximumQuantity)
	case it.SKU.EnforceAttestation && (l.AttestationAccepted == nil || !*l.AttestationAccepted):
		fail(pc.ErrAttestationNotAccepted, "This SKU requires attestation; set attestationAccepted to true.")
	case l.CustomTermEndDate != nil:
		switch f := it.Product.Family; {
		case it.SKU.IsTrial || f == "azure-plan" || f == "perpetual" || f == "reservation" || f == "software-subscription" || f == "saas":
			fail(pc.ErrInvalidCustomTermEndDateProd, "A custom term end date is supported only for non-trial license-based products with a term.")
		// Partner Center also wants the date to match another subscription's
		// end or a month's end within the first term; the documents' own
		// example does not, so only a date in the past is refused here.
		case l.CustomTermEndDate.Before(now.Truncate(24 * time.Hour)):
			fail(pc.ErrInvalidCustomTermEndDate, "The custom term end date %s is in the past.", l.CustomTermEndDate.Format("2006-01-02"))
		}
	}
}

// category is what decides the order group: lines of one category can be
// ordered together.
func (s *Server) category(l *pc.CartLineItem) string {
	it, ok := s.cfg.Catalog.Lookup(l.CatalogItemID)
	if !ok {
		return "legacy"
	}
	switch it.Product.Family {
	case "azure-plan", "reservation":
		return "azure"
	case "perpetual", "software-subscription":
		return "software"
	case "saas":
		if it.SKU.IsTrial {
			return "trial"
		}
		return "saas"
	}
	return it.Product.Family
}

// pricing prices license-based lines: a monthly unit price over the term.
func (s *Server) pricing(l *pc.CartLineItem) *pc.Pricing {
	it, ok := s.cfg.Catalog.Lookup(l.CatalogItemID)
	if !ok || it.Product.Family != "license" {
		return nil
	}
	p := it.Availability.Price
	months := max(termMonths[l.TermDuration], 1)
	return &pc.Pricing{ListPrice: p, DiscountedPrice: p, ProratedPrice: p, Price: p,
		ExtendedPrice: round2(p * float64(l.Quantity) * float64(months))}
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
