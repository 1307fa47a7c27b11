package validate

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/cspimporter/importer/pkg/order"
)

// rowCheck collects the problems of one row while building its line.
type rowCheck struct {
	row      *order.Row
	line     order.LineItem
	problems []order.Problem
	ptype    ProductType
	typeFrom string
	porSet   bool // PartnerOnRecordAttestationAccepted given on this row
	porValue bool
}

func (c *rowCheck) fail(f order.Field, kind, format string, args ...any) {
	c.problems = append(c.problems, order.Problem{Field: f, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

func (c *rowCheck) note(f order.Field, kind, format string, args ...any) {
	c.problems = append(c.problems, order.Problem{Field: f, Kind: kind, Message: fmt.Sprintf(format, args...), Severity: order.Note})
}

func (c *rowCheck) failed(f order.Field) bool {
	for _, p := range c.problems {
		if p.Field == f && p.Severity == order.Error {
			return true
		}
	}
	return false
}

// checkRow applies every single-row rule; all problems are collected.
func (v *Validator) checkRow(r *order.Row) *rowCheck {
	c := &rowCheck{row: r}
	get := r.Get

	reseller := get(order.TransactionReseller)
	if len(splitPartnerIDs(reseller)) > 1 {
		c.fail(order.TransactionReseller, "more than one transaction reseller",
			"'%s' names more than one reseller; a line has one TransactionReseller, put the others in AdditionalTransactionResellers", reseller)
		reseller = ""
	}
	fm := formats{
		CustomerID:          strings.Trim(get(order.CustomerID), "{}"),
		CatalogItemID:       get(order.CatalogItemID),
		TransactionReseller: reseller,
		AdditionalResellers: splitPartnerIDs(get(order.AdditionalTransactionResellers)),
		FriendlyName:        get(order.FriendlyName),
		PromotionID:         get(order.PromotionID),
	}
	if err := v.fields.Struct(fm); err != nil {
		if errs, ok := err.(validator.ValidationErrors); ok {
			for _, fe := range errs {
				c.problems = append(c.problems, formatProblem(fe))
			}
		} else {
			c.fail(order.NoField, "internal", "could not check the row: %v", err)
		}
	}

	c.line.CatalogItemID = fm.CatalogItemID
	if catalogItemRE.MatchString(fm.CatalogItemID) || legacyAzureRE.MatchString(fm.CatalogItemID) {
		c.line.CatalogItemID = strings.ToUpper(fm.CatalogItemID)
	}
	c.line.FriendlyName = fm.FriendlyName
	c.line.PromotionID = fm.PromotionID

	c.quantity(get(order.Quantity))
	c.line.BillingCycle = c.enum(order.BillingCycle, get(order.BillingCycle), parseBillingCycle, true,
		"one of monthly, annual, triennial, biennial, one_time (One Time) or none (trials)", "billing cycle unknown")
	c.line.TermDuration = c.enum(order.TermDuration, get(order.TermDuration), parseTerm, false,
		"P1M (1 month), P1Y (1 year) or P3Y (3 years), or leave it empty", "term unknown")
	if rt := get(order.RenewsTo); rt != "" {
		term, ok := parseTerm(rt)
		switch {
		case !ok || term == "P3Y":
			c.fail(order.RenewsTo, "renewal term unknown", "'%s' is not a renewal term; use P1M or P1Y", rt)
		case get(order.TermDuration) == "":
			c.fail(order.RenewsTo, "renewal without term", "a renewal term needs a TermDuration; fill TermDuration or clear RenewsTo")
		default:
			c.line.RenewsTo = &order.Renewal{TermDuration: term}
		}
	}
	c.participants(fm)
	if v, set, ok := parseYesNo(get(order.AttestationAccepted)); !ok {
		c.yesNoFail(order.AttestationAccepted)
	} else if set {
		c.line.AttestationAccepted = &v
	}
	if v, set, ok := parseYesNo(get(order.PartnerOnRecordAttestationAccepted)); !ok {
		c.yesNoFail(order.PartnerOnRecordAttestationAccepted)
	} else {
		c.porSet, c.porValue = set, v
	}
	if pc := get(order.ProvisioningContext); pc != "" {
		ctx, err := parseProvisioning(pc)
		if err != nil {
			c.fail(order.ProvisioningContext, "provisioning context malformed", "%v; write it as key=value; key=value (e.g. subscriptionId=…; scope=shared)", err)
		} else {
			c.line.ProvisioningContext = ctx
		}
	}

	v.productType(c)
	v.typeRules(c)
	v.termEndDate(c)
	return c
}

func (c *rowCheck) yesNoFail(f order.Field) {
	c.fail(f, "yes/no value unknown", "'%s' is not yes or no; use yes, no, true, false, 1, 0, x or leave it empty", c.row.Get(f))
}

func (c *rowCheck) quantity(s string) {
	const fix = "must be a whole number above 0"
	switch {
	case s == "":
		c.fail(order.Quantity, "quantity not a whole number above 0", "is empty; it %s", fix)
		return
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "+"))
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		c.fail(order.Quantity, "quantity not a whole number above 0", "'%s' is far too large", s)
		return
	}
	if err != nil {
		// "2,5" is how a European spreadsheet writes 2.5.
		if _, ferr := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64); ferr == nil && !strings.ContainsAny(s, "eE") {
			c.fail(order.Quantity, "quantity not a whole number above 0", "'%s' %s (no decimals)", s, fix)
			return
		}
		c.fail(order.Quantity, "quantity not a whole number above 0", "'%s' %s", s, fix)
		return
	}
	if n <= 0 {
		c.fail(order.Quantity, "quantity not a whole number above 0", "'%s' %s", s, fix)
		return
	}
	c.line.Quantity = n
}

// enum normalises a value with parse, or records a problem listing the
// accepted values.
func (c *rowCheck) enum(f order.Field, s string, parse func(string) (string, bool), required bool, accepted, kind string) string {
	if s == "" {
		if required {
			c.fail(f, "required value missing", "is empty; use %s", accepted)
		}
		return ""
	}
	v, ok := parse(s)
	if !ok {
		c.fail(f, kind, "'%s' is not known; use %s", s, accepted)
		return ""
	}
	return v
}

func (c *rowCheck) participants(fm formats) {
	seen := map[string]bool{}
	if r := fm.TransactionReseller; r != "" && !c.failed(order.TransactionReseller) {
		c.line.Participants = append(c.line.Participants, order.Participant{Key: order.KeyTransactionReseller, Value: r})
		seen[r] = true
	}
	for _, id := range fm.AdditionalResellers {
		if seen[id] {
			c.fail(order.AdditionalTransactionResellers, "PartnerID twice on a line", "PartnerID %s appears twice on this line; name each reseller once", id)
			continue
		}
		seen[id] = true
		c.line.Participants = append(c.line.Participants, order.Participant{Key: order.KeyAdditionalTransactionReseller, Value: id})
	}
}

// KindTypeUnknown is the kind of the note on a row whose product type is
// not known (validate --online asks Partner Center for it).
const KindTypeUnknown = "product type unknown (checks skipped)"

// productType takes the type from the ProductType column, else the user's
// catalog, else the built-in one, else the id's form (legacy offers only).
func (v *Validator) productType(c *rowCheck) {
	id := c.line.CatalogItemID
	if s := c.row.Get(order.ProductType); s != "" {
		t, ok := ParseProductType(s)
		if !ok {
			c.fail(order.ProductType, "product type unknown", "'%s' is not a product type; use one of: %s", s, strings.Join(ProductTypeNames(), ", "))
			return
		}
		c.ptype, c.typeFrom = t, "ProductType column"
		return
	}
	if p, ok := v.opt.Catalog.Lookup(id); ok {
		c.ptype, c.typeFrom = p.Type, v.opt.Catalog.Name
		return
	}
	if t, ok := v.opt.Types[strings.ToUpper(strings.SplitN(id, ":", 2)[0])]; ok && t != Unknown {
		c.ptype, c.typeFrom = t, "Partner Center"
		return
	}
	if p, ok := v.builtin.Lookup(id); ok {
		c.ptype, c.typeFrom = p.Type, v.builtin.Name
		return
	}
	if guidRE.MatchString(id) || legacyAzureRE.MatchString(id) {
		c.ptype, c.typeFrom = Legacy, "legacy offer id"
		return
	}
	if !c.failed(order.CatalogItemID) {
		c.note(order.ProductType, KindTypeUnknown,
			"product type of %s is not known, so the term, quantity, coterm and provisioning checks for its type were skipped; add a ProductType column or pass --catalog", id)
	}
}

func (v *Validator) typeRules(c *rowCheck) {
	l := &c.line
	bc, term := l.BillingCycle, l.TermDuration
	// Rules that hold whatever the type.
	if bc == "none" && term == "" && !c.failed(order.TermDuration) {
		c.fail(order.TermDuration, "trial without term", "a trial (billing cycle none) needs a term; set TermDuration, usually P1M")
	}
	if m, ok := months[bc]; ok && term != "" && m > termMonths[term] {
		c.fail(order.BillingCycle, "billing longer than term", "%s billing is longer than the %s term; use a longer TermDuration or monthly billing", bc, term)
	}

	// Rules from the catalog entry.
	if p, ok := v.lookup(l.CatalogItemID); ok {
		if term != "" && len(p.Terms) > 0 && !contains(p.Terms, term) {
			c.fail(order.TermDuration, "term not offered", "%s is not offered for %s; use %s", term, l.CatalogItemID, orList(p.Terms))
		}
		if bc != "" && len(p.BillingCycles) > 0 && !contains(p.BillingCycles, bc) {
			c.fail(order.BillingCycle, "billing cycle not offered", "%s billing is not offered for %s; use %s", bc, l.CatalogItemID, orList(p.BillingCycles))
		}
		if l.Quantity > 0 && p.MinQuantity > 0 && l.Quantity < p.MinQuantity {
			c.fail(order.Quantity, "quantity outside limits", "%d is below the minimum of %d for %s", l.Quantity, p.MinQuantity, l.CatalogItemID)
		}
		if l.Quantity > 0 && p.MaxQuantity > 0 && l.Quantity > p.MaxQuantity {
			c.fail(order.Quantity, "quantity outside limits", "%d is above the maximum of %d for %s", l.Quantity, p.MaxQuantity, l.CatalogItemID)
		}
	}

	switch c.ptype {
	case AzurePlan:
		if l.Quantity > 1 && !c.failed(order.Quantity) {
			c.fail(order.Quantity, "Azure plan quantity not 1", "an Azure plan is bought with quantity 1, not %d", l.Quantity)
		}
		if bc != "" && bc != "one_time" && !c.failed(order.BillingCycle) {
			c.fail(order.BillingCycle, "Azure plan billing not one_time", "an Azure plan is billed one_time, not %s", bc)
		}
		if term != "" {
			c.fail(order.TermDuration, "term on Azure plan", "an Azure plan has no term; clear TermDuration")
		}
	case PerpetualSoftware:
		if term != "" {
			c.fail(order.TermDuration, "term on perpetual software", "perpetual software has no term; clear TermDuration")
		}
		if bc != "" && bc != "one_time" && !c.failed(order.BillingCycle) {
			c.fail(order.BillingCycle, "perpetual software billing not one_time", "perpetual software is billed one_time, not %s", bc)
		}
	case LicenseBased, SaaS, SoftwareSubscription:
		if term == "" && !c.failed(order.TermDuration) && bc != "none" {
			c.fail(order.TermDuration, "term missing", "a %s line needs a term; set TermDuration to P1M, P1Y or P3Y", strings.ToLower(c.ptype.String()))
		}
	case ReservedInstance:
		if term != "P1Y" && term != "P3Y" && !c.failed(order.TermDuration) {
			c.fail(order.TermDuration, "reservation term missing", "a reserved instance needs TermDuration P1Y or P3Y")
		}
		v.reservation(c)
	}
}

func (v *Validator) reservation(c *rowCheck) {
	if c.failed(order.ProvisioningContext) {
		return
	}
	ctx := c.line.ProvisioningContext
	if sub := ctx["subscriptionId"]; !guidRE.MatchString(sub) {
		if sub == "" {
			c.fail(order.ProvisioningContext, "reservation provisioning incomplete", "a reserved instance needs subscriptionId=<Azure subscription GUID> in ProvisioningContext")
		} else {
			c.fail(order.ProvisioningContext, "reservation provisioning incomplete", "subscriptionId '%s' is not an Azure subscription GUID", sub)
		}
	}
	switch scope := strings.ToLower(ctx["scope"]); scope {
	case "shared", "single":
		ctx["scope"] = scope
	case "":
		c.fail(order.ProvisioningContext, "reservation provisioning incomplete", "a reserved instance needs scope=shared or scope=single in ProvisioningContext")
	default:
		c.fail(order.ProvisioningContext, "reservation provisioning incomplete", "scope '%s' is not shared or single", ctx["scope"])
	}
}

func (v *Validator) termEndDate(c *rowCheck) {
	s := c.row.Get(order.CustomTermEndDate)
	if s == "" {
		return
	}
	t, err := parseDate(s)
	if err != nil {
		c.fail(order.CustomTermEndDate, "coterm date not a date", "'%s' %v; write it as YYYY-MM-DD (e.g. 2027-01-31)", s, err)
		return
	}
	today := v.opt.Today.UTC().Truncate(24 * time.Hour)
	if t.Before(today) {
		c.fail(order.CustomTermEndDate, "coterm date in the past", "%s is in the past; a custom term end date must be today or later", t.Format("2006-01-02"))
		return
	}
	var not string
	switch {
	case c.line.BillingCycle == "none":
		not = "a trial"
	case c.ptype == AzurePlan, c.ptype == PerpetualSoftware, c.ptype == ReservedInstance:
		not = strings.ToLower(c.ptype.String()[:1]) + c.ptype.String()[1:]
		not = "a " + not + " line"
	}
	if not != "" {
		c.fail(order.CustomTermEndDate, "coterm date not allowed", "%s cannot have a custom term end date; clear CustomTermEndDate", not)
		return
	}
	c.line.CustomTermEndDate = t.Format("2006-01-02T15:04:05Z")
}

func (v *Validator) lookup(id string) (Product, bool) {
	if p, ok := v.opt.Catalog.Lookup(id); ok {
		return p, true
	}
	return v.builtin.Lookup(id)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func orList(list []string) string {
	if len(list) == 1 {
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}
