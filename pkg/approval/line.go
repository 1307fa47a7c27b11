package approval

import "github.com/cspimporter/importer/pkg/order"

// Line is one cart line and the sheet row it comes from, in the plan
// file's own shape: the file is a control a controller signed off, so its
// field names belong to this package and never follow a rename of the
// domain types.
type Line struct {
	Row                 int               `json:"row"`
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

func lineOf(row int, l order.LineItem) Line {
	out := Line{Row: row, ID: l.ID, CatalogItemID: l.CatalogItemID, FriendlyName: l.FriendlyName, Quantity: l.Quantity,
		BillingCycle: l.BillingCycle, TermDuration: l.TermDuration, PromotionID: l.PromotionID, CustomTermEndDate: l.CustomTermEndDate,
		ProvisioningContext: l.ProvisioningContext, AttestationAccepted: l.AttestationAccepted}
	if l.RenewsTo != nil {
		out.RenewsTo = &Renewal{TermDuration: l.RenewsTo.TermDuration}
	}
	for _, p := range l.Participants {
		out.Participants = append(out.Participants, Participant{Key: p.Key, Value: p.Value})
	}
	return out
}
