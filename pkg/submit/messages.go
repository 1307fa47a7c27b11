package submit

import (
	"errors"
	"fmt"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// fixes say, for Partner Center's codes, what to change in the sheet.
var fixes = map[int]string{
	pc.ErrCurrencyNotSupported:         "the product is not sold in the customer's currency",
	pc.ErrCatalogItemIDNotValid:        "check CatalogItemId against the Partner Center catalog for the customer's market (availability ids change over time)",
	pc.ErrQuotaNotAvailable:            "the customer has no quota left for this product",
	pc.ErrInventoryNotAvailable:        "no capacity for this item right now; try another region or size, or later",
	pc.ErrAttestationNotAccepted:       "this product needs its own attestation: put yes in AttestationAccepted",
	pc.ErrBillingPlanNotSupported:      "choose a BillingCycle this product offers",
	pc.ErrMaxSeatsExceeded:             "lower Quantity or split it over several subscriptions",
	pc.ErrInvalidCustomTermEndDateProd: "this product cannot have a CustomTermEndDate; clear it",
	pc.ErrInvalidCustomTermEndDate:     "use a CustomTermEndDate that ends an existing subscription or a month, within the first term",
	pc.ErrLegacyOfferNotEligible:       "this legacy offer can no longer be bought; use its new-commerce equivalent",
	pc.CodePartnerAttestation:          "set PartnerOnRecordAttestationAccepted to yes for the cart",
	pc.CodeBillingLongerThanTerm:       "use a billing cycle no longer than the term",
	pc.CodeTermNotSupported:            "use a TermDuration this availability offers (none for Azure plans and perpetual software)",
	pc.CodeQuantityOutOfRange:          "use a Quantity within the product's minimum and maximum",
	pc.CodeResellerInvalid:             "check the reseller PartnerIDs",
	800010:                             "no inventory for this item right now",
	800089:                             "a seat or asset limit was reached; this is also what invalid catalog item ids cause",
	13605:                              "the customer has not accepted the Microsoft Customer Agreement",
	20002:                              "there is no reseller relationship with this customer",
}

// explain turns a Partner Center error into a message for the sheet.
func explain(code pc.Code, description string) string {
	msg := fmt.Sprintf("Partner Center refused it (%s): %s", code, description)
	if code.Text == "" {
		msg = "Partner Center refused it: " + description
	}
	if fix, ok := fixes[code.Number]; ok {
		msg += "; " + fix
	}
	return msg
}

// explainErr turns a failed call into a message.
func explainErr(err error) string {
	var api *pc.APIError
	if errors.As(err, &api) {
		return explain(api.Code, api.Description)
	}
	var auth *pc.AuthError
	if errors.As(err, &auth) {
		return auth.Error()
	}
	return err.Error()
}
