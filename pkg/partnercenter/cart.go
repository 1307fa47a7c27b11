package partnercenter

import (
	"encoding/json"
	"time"
)

// Cart is a Partner Center cart. PartnerOnRecordAttestationAccepted is
// spelled as the API's documents spell it in requests.
type Cart struct {
	ID                                 string         `json:"id,omitempty"`
	CreationTimestamp                  *time.Time     `json:"creationTimestamp,omitempty"`
	LastModifiedTimestamp              *time.Time     `json:"lastModifiedTimestamp,omitempty"`
	ExpirationTimestamp                *time.Time     `json:"expirationTimestamp,omitempty"`
	LastModifiedUser                   string         `json:"lastModifiedUser,omitempty"`
	Status                             string         `json:"status,omitempty"` // Active, Ordered
	PartnerOnRecordAttestationAccepted *bool          `json:"PartnerOnRecordAttestationAccepted,omitempty"`
	LineItems                          []CartLineItem `json:"lineItems"`
	Links                              *ResourceLinks `json:"links,omitempty"`
	Attributes                         *Attributes    `json:"attributes,omitempty"`
}

// Cart statuses.
const (
	CartActive  = "Active"
	CartOrdered = "Ordered"
)

// CartLineItem is one line of a cart, in requests and responses.
type CartLineItem struct {
	ID                  int                 `json:"id"`
	CatalogItemID       string              `json:"catalogItemId"`
	FriendlyName        string              `json:"friendlyName,omitempty"`
	Quantity            int                 `json:"quantity"`
	CurrencyCode        string              `json:"currencyCode,omitempty"`
	BillingCycle        BillingCycle        `json:"billingCycle,omitempty"`
	TermDuration        string              `json:"termDuration,omitempty"`
	RenewsTo            *RenewsTo           `json:"renewsTo,omitempty"`
	Participants        []Participant       `json:"participants,omitempty"`
	ProvisioningContext ProvisioningContext `json:"provisioningContext"`
	OrderGroup          string              `json:"orderGroup,omitempty"`
	Error               *CartError          `json:"error,omitempty"`
	PromotionID         string              `json:"promotionId,omitempty"`
	CustomTermEndDate   *time.Time          `json:"customTermEndDate,omitempty"`
	AttestationAccepted *bool               `json:"attestationAccepted,omitempty"`
	Pricing             *Pricing            `json:"pricing,omitempty"`
	AddonItems          []CartLineItem      `json:"addonItems,omitempty"`
}

// ProvisioningContext holds the values some products need to be
// provisioned. The API writes an empty one as {}, never null or absent.
type ProvisioningContext map[string]string

// MarshalJSON writes a nil context as {}.
func (p ProvisioningContext) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]string(p))
}

// RenewsTo is a line's renewal term: a single object, though the docs call
// it an array.
type RenewsTo struct {
	TermDuration string `json:"termDuration"`
}

// Participant is a partner of record on a line.
type Participant struct {
	Key   ParticipantType `json:"key"`
	Value string          `json:"value"`
}

// CartError is the error of one cart line.
type CartError struct {
	ErrorCode             Code            `json:"errorCode"`
	ErrorDescription      string          `json:"errorDescription,omitempty"`
	AdditionalInformation json.RawMessage `json:"additionalInformation,omitempty"`
}

// Cart line error codes (CartErrorCode).
const (
	ErrCurrencyNotSupported         = 10000
	ErrCatalogItemIDNotValid        = 10001
	ErrQuotaNotAvailable            = 10002
	ErrInventoryNotAvailable        = 10003
	ErrUnableToProcessLine          = 10006
	ErrInvalidInput                 = 10010
	ErrAttestationNotAccepted       = 10012
	ErrBillingPlanNotSupported      = 10013
	ErrMaxSeatsExceeded             = 10015
	ErrInvalidCustomTermEndDateProd = 10016
	ErrInvalidCustomTermEndDate     = 10017
	ErrLegacyOfferNotEligible       = 500600
)

// Pricing is the price block of NCE lines.
type Pricing struct {
	ListPrice       float64 `json:"listPrice"`
	DiscountedPrice float64 `json:"discountedPrice"`
	ProratedPrice   float64 `json:"proratedPrice"`
	Price           float64 `json:"price"`
	ExtendedPrice   float64 `json:"extendedPrice"`
}

// ResourceLinks are a resource's links.
type ResourceLinks struct {
	Self *Link `json:"self,omitempty"`
}

// Link is one link.
type Link struct {
	URI     string          `json:"uri"`
	Method  string          `json:"method"`
	Headers json.RawMessage `json:"headers"`
}

// Attributes carry the object type.
type Attributes struct {
	ObjectType string `json:"objectType"`
}
