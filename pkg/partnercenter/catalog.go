package partnercenter

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
	Attributes             *Attributes            `json:"attributes,omitempty"`
}

// Term is a term an availability can be bought for.
type Term struct {
	Duration    string `json:"duration"`
	Description string `json:"description"`
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
	Terms         []Term      `json:"terms"`
	Attributes    *Attributes `json:"attributes,omitempty"`
}

// Collection is a list resource.
type Collection[T any] struct {
	TotalCount int         `json:"totalCount"`
	Items      []T         `json:"items"`
	Attributes *Attributes `json:"attributes,omitempty"`
}
