package report

import "github.com/cspimporter/importer/pkg/order"

// CartRequest is a cart's create-cart body as the JSON summary shows it,
// in the summary's own shape (that of the Partner Center documents), so
// automation reading the summary never sees a domain type's rename.
type CartRequest struct {
	PartnerOnRecordAttestationAccepted bool       `json:"PartnerOnRecordAttestationAccepted"`
	LineItems                          []LineItem `json:"lineItems"`
}

// LineItem is one line of a CartRequest.
type LineItem struct {
	ID                  int               `json:"id"`
	CatalogItemID       string            `json:"catalogItemId"`
	FriendlyName        string            `json:"friendlyName,omitempty"`
	Quantity            int               `json:"quantity"`
	BillingCycle        string            `json:"billingCycle"`
	TermDuration        string            `json:"termDuration,omitempty"`
	RenewsTo            *Renewal          `json:"renewsTo,omitempty"`
	PromotionID         string            `json:"promotionId,omitempty"`
	CustomTermEndDate   string            `json:"customTermEndDate,omitempty"`
	ProvisioningContext map[string]string `json:"provisioningContext,omitempty"`
	AttestationAccepted *bool             `json:"attestationAccepted,omitempty"`
	Participants        []Participant     `json:"participants,omitempty"`
}

// Renewal is a line's renewsTo.
type Renewal struct {
	TermDuration string `json:"termDuration"`
}

// Participant is a partner of record on a line.
type Participant struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func requestOf(r order.CartRequest) CartRequest {
	out := CartRequest{PartnerOnRecordAttestationAccepted: r.PartnerOnRecordAttestationAccepted, LineItems: []LineItem{}}
	for _, l := range r.LineItems {
		li := LineItem{ID: l.ID, CatalogItemID: l.CatalogItemID, FriendlyName: l.FriendlyName, Quantity: l.Quantity,
			BillingCycle: l.BillingCycle, TermDuration: l.TermDuration, PromotionID: l.PromotionID, CustomTermEndDate: l.CustomTermEndDate,
			ProvisioningContext: l.ProvisioningContext, AttestationAccepted: l.AttestationAccepted}
		if l.RenewsTo != nil {
			li.RenewsTo = &Renewal{TermDuration: l.RenewsTo.TermDuration}
		}
		for _, p := range l.Participants {
			li.Participants = append(li.Participants, Participant{Key: p.Key, Value: p.Value})
		}
		out.LineItems = append(out.LineItems, li)
	}
	return out
}
