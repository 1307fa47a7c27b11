package partnercenter

import (
	"encoding/json"
	"time"
)

// CartCheckoutResult is the answer to a checkout: the orders placed (one
// per order group) and the groups that failed. Both may be non-empty.
type CartCheckoutResult struct {
	Orders      []Order      `json:"orders"`
	OrderErrors []OrderError `json:"orderErrors"`
	Attributes  *Attributes  `json:"attributes,omitempty"`
}

// OrderError is an order group that could not be ordered.
type OrderError struct {
	OrderGroupID string      `json:"orderGroupId"`
	Code         Code        `json:"code"`
	Description  string      `json:"description"`
	Attributes   *Attributes `json:"attributes,omitempty"`
}

// Order is a placed order.
type Order struct {
	ID                                 string          `json:"id"`
	AlternateID                        string          `json:"alternateId,omitempty"`
	ReferenceCustomerID                string          `json:"referenceCustomerId"`
	BillingCycle                       BillingCycle    `json:"billingCycle,omitempty"`
	CurrencyCode                       string          `json:"currencyCode,omitempty"`
	CurrencySymbol                     string          `json:"currencySymbol,omitempty"`
	LineItems                          []OrderLineItem `json:"lineItems"`
	CreationDate                       *time.Time      `json:"creationDate,omitempty"`
	Status                             string          `json:"status"` // completed, pending, … kept as received
	TransactionType                    string          `json:"transactionType,omitempty"`
	TotalPrice                         float64         `json:"totalPrice,omitempty"`
	PartnerOnRecordAttestationAccepted *bool           `json:"partnerOnRecordAttestationAccepted,omitempty"`
	Links                              json.RawMessage `json:"links,omitempty"`
	Attributes                         *Attributes     `json:"attributes,omitempty"`
}

// OrderLineItem is one line of an order. SubscriptionID may be empty:
// provisioning is asynchronous.
type OrderLineItem struct {
	LineItemNumber               int                 `json:"lineItemNumber"`
	OfferID                      string              `json:"offerId"`
	SubscriptionID               string              `json:"subscriptionId,omitempty"`
	ParentSubscriptionID         string              `json:"parentSubscriptionId,omitempty"`
	TermDuration                 string              `json:"termDuration,omitempty"`
	TransactionType              string              `json:"transactionType,omitempty"`
	FriendlyName                 string              `json:"friendlyName,omitempty"`
	Quantity                     int                 `json:"quantity"`
	Pricing                      *Pricing            `json:"pricing,omitempty"`
	PartnerIDOnRecord            string              `json:"partnerIdOnRecord,omitempty"`
	AdditionalPartnerIDsOnRecord []string            `json:"additionalPartnerIdsOnRecord,omitempty"`
	ProvisioningContext          ProvisioningContext `json:"provisioningContext"`
	RenewsTo                     *RenewsTo           `json:"renewsTo,omitempty"`
	PromotionID                  string              `json:"promotionId,omitempty"`
	CustomTermEndDate            *time.Time          `json:"customTermEndDate,omitempty"`
	AttestationAccepted          *bool               `json:"attestationAccepted,omitempty"`
	Links                        json.RawMessage     `json:"links,omitempty"`
}

// Order statuses seen in examples; others are kept as received.
const (
	OrderCompleted       = "completed"
	OrderPending         = "pending"
	OrderCancelled       = "cancelled"
	OrderPendingPOUpload = "pending_po_upload"
)
