package partnercenter

import (
	"encoding/json"
	"strings"
)

// ProductType is a product's type, e.g. OnlineServicesNCE, Azure, Software.
type ProductType struct {
	ID          string       `json:"id"`
	DisplayName string       `json:"displayName"`
	SubType     *ProductType `json:"subType,omitempty"`
}

// Product is a catalog product.
type Product struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	ProductType ProductType `json:"productType"`
	Attributes  *Attributes `json:"attributes,omitempty"`
}

// AttestationProperties say whether a SKU needs its own attestation.
type AttestationProperties struct {
	AttestationType    string `json:"attestationType,omitempty"`
	EnforceAttestation bool   `json:"enforceAttestation"`
}

// SKU is a product's SKU.
type SKU struct {
	ID                     string                 `json:"id"`
	ProductID              string                 `json:"productId"`
	Title                  string                 `json:"title"`
	MinimumQuantity        int                    `json:"minimumQuantity"`
	MaximumQuantity        int                    `json:"maximumQuantity"`
	IsTrial                bool                   `json:"isTrial"`
	SupportedBillingCycles []BillingCycle         `json:"supportedBillingCycles"`
	PurchasePrerequisites  []string               `json:"purchasePrerequisites,omitempty"`
	ProvisioningVariables  []string               `json:"provisioningVariables,omitempty"`
	AttestationProperties  *AttestationProperties `json:"attestationProperties,omitempty"`
	DynamicAttributes      DynamicAttributes      `json:"dynamicAttributes,omitempty"`
	Attributes             *Attributes            `json:"attributes,omitempty"`
}

// Term is a term an availability can be bought for. Whether Partner
// Center lists one per duration or one per duration and billing cycle is
// not documented: BillingCycle may be empty.
type Term struct {
	ID           string       `json:"id,omitempty"`
	Duration     string       `json:"duration"`
	Description  string       `json:"description"`
	BillingCycle BillingCycle `json:"billingCycle,omitempty"`
}

// Currency is a currency as the catalog names it.
type Currency struct {
	Code   string `json:"code"`
	Symbol string `json:"symbol,omitempty"`
}

// Availability is a purchasable availability of a SKU; CatalogItemID is
// what a cart line buys.
type Availability struct {
	ID            string      `json:"id"`
	ProductID     string      `json:"productId"`
	SKUID         string      `json:"skuId"`
	CatalogItemID string      `json:"catalogItemId"`
	Country       string      `json:"country"`
	IsPurchasable bool        `json:"isPurchasable"`
	IsRenewable   bool        `json:"isRenewable,omitempty"`
	Segment       string      `json:"segment,omitempty"`
	Currency      *Currency   `json:"defaultCurrency,omitempty"`
	Terms         []Term      `json:"terms"`
	Attributes    *Attributes `json:"attributes,omitempty"`
}

// Collection is a list resource. Links.Next, where there is one, is the
// next page.
type Collection[T any] struct {
	TotalCount int              `json:"totalCount"`
	Items      []T              `json:"items"`
	Links      *CollectionLinks `json:"links,omitempty"`
	Attributes *Attributes      `json:"attributes,omitempty"`
}

// CollectionLinks are a collection's links.
type CollectionLinks struct {
	Self *Link `json:"self,omitempty"`
	Next *Link `json:"next,omitempty"`
}

// DynamicAttributes are a SKU's attributes whose keys "can change without
// notice": kept raw, read by the methods below, any case.
type DynamicAttributes map[string]json.RawMessage

// get returns the raw value of key, matched without regard to case.
func (d DynamicAttributes) get(key string) (json.RawMessage, bool) {
	for k, v := range d {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// IsAddon reports whether the SKU is an add-on (true, or "true").
func (d DynamicAttributes) IsAddon() bool {
	raw, ok := d.get("isAddon")
	if !ok {
		return false
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && strings.EqualFold(strings.TrimSpace(s), "true")
}

// PrerequisiteSKUs are the SKUs an add-on needs, as "productId:skuId":
// strings, or objects with productId and skuId.
func (d DynamicAttributes) PrerequisiteSKUs() []string {
	raw, ok := d.get("prerequisiteSkus")
	if !ok {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []string
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
			continue
		}
		var o struct {
			ProductID string `json:"productId"`
			SKUID     string `json:"skuId"`
		}
		if json.Unmarshal(it, &o) == nil && o.ProductID != "" {
			out = append(out, o.ProductID+":"+o.SKUID)
		}
	}
	return out
}
