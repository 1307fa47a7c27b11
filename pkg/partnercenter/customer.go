package partnercenter

import (
	"encoding/json"
	"strings"
	"time"
)

// Customer is a customer of the partner.
type Customer struct {
	ID                    string          `json:"id"`
	CommerceID            string          `json:"commerceId,omitempty"`
	CompanyProfile        *CompanyProfile `json:"companyProfile,omitempty"`
	BillingProfile        *BillingProfile `json:"billingProfile,omitempty"`
	RelationshipToPartner string          `json:"relationshipToPartner,omitempty"`
	AllowDelegatedAccess  bool            `json:"allowDelegatedAccess,omitempty"`
	Attributes            *Attributes     `json:"attributes,omitempty"`
}

// CompanyProfile is a customer's company; Partner Center leaves it out
// without delegated admin access.
type CompanyProfile struct {
	TenantID    string   `json:"tenantId,omitempty"`
	Domain      string   `json:"domain,omitempty"`
	CompanyName string   `json:"companyName,omitempty"`
	Address     *Address `json:"address,omitempty"`
}

// BillingProfile is a customer's billing profile.
type BillingProfile struct {
	ID             string   `json:"id,omitempty"`
	CompanyName    string   `json:"companyName,omitempty"`
	Culture        string   `json:"culture,omitempty"`
	Language       string   `json:"language,omitempty"`
	DefaultAddress *Address `json:"defaultAddress,omitempty"`
}

// Address is a postal address.
type Address struct {
	Country    string `json:"country"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
}

// Country is the customer's country (two letters, upper case): the
// billing profile's, else the company profile's, else "".
func (c *Customer) Country() string {
	for _, a := range []*Address{c.billingAddress(), c.companyAddress()} {
		if a != nil && strings.TrimSpace(a.Country) != "" {
			return strings.ToUpper(strings.TrimSpace(a.Country))
		}
	}
	return ""
}

// Name is the customer's company name, where Partner Center gave one.
func (c *Customer) Name() string {
	if c.CompanyProfile != nil && c.CompanyProfile.CompanyName != "" {
		return c.CompanyProfile.CompanyName
	}
	if c.BillingProfile != nil {
		return c.BillingProfile.CompanyName
	}
	return ""
}

func (c *Customer) billingAddress() *Address {
	if c.BillingProfile == nil {
		return nil
	}
	return c.BillingProfile.DefaultAddress
}

func (c *Customer) companyAddress() *Address {
	if c.CompanyProfile == nil {
		return nil
	}
	return c.CompanyProfile.Address
}

// Subscription is one of a customer's subscriptions. Status is kept as
// received (active, pending, suspended, expired, disabled, deleted, and
// whatever comes next).
type Subscription struct {
	ID                string       `json:"id"`
	OfferID           string       `json:"offerId"`
	OfferName         string       `json:"offerName,omitempty"`
	FriendlyName      string       `json:"friendlyName,omitempty"`
	Quantity          int          `json:"quantity"`
	Status            string       `json:"status"`
	AutoRenewEnabled  bool         `json:"autoRenewEnabled,omitempty"`
	BillingCycle      BillingCycle `json:"billingCycle,omitempty"`
	TermDuration      string       `json:"termDuration,omitempty"`
	CommitmentEndDate LenientTime  `json:"commitmentEndDate,omitzero"`
	CreationDate      LenientTime  `json:"creationDate,omitzero"`
	OrderID           string       `json:"orderId,omitempty"`
	IsTrial           bool         `json:"isTrial,omitempty"`
	Attributes        *Attributes  `json:"attributes,omitempty"`
}

// Active reports whether the subscription is active (any case).
func (s *Subscription) Active() bool { return strings.EqualFold(strings.TrimSpace(s.Status), "active") }

// ProductSKU is the product:sku part of the subscription's offer id, upper
// case; "" for a legacy offer id.
func (s *Subscription) ProductSKU() string {
	parts := strings.Split(s.OfferID, ":")
	if len(parts) < 2 {
		return ""
	}
	return strings.ToUpper(parts[0] + ":" + parts[1])
}

// LenientTime is a date or date-time as Partner Center writes it: RFC 3339
// with or without fractional seconds or zone, or a bare date. A value that
// is none of these reads as the zero time, never as an error: a date the
// importer only shows must not fail a whole answer.
type LenientTime struct{ time.Time }

var lenientLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"}

// UnmarshalJSON reads a string in any of the layouts, or null.
func (t *LenientTime) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		*t = LenientTime{}
		return nil
	}
	s = strings.TrimSpace(s)
	for _, l := range lenientLayouts {
		if v, err := time.Parse(l, s); err == nil {
			*t = LenientTime{v.UTC()}
			return nil
		}
	}
	*t = LenientTime{}
	return nil
}

// MarshalJSON writes RFC 3339.
func (t LenientTime) MarshalJSON() ([]byte, error) { return json.Marshal(t.Time.Format(time.RFC3339)) }
