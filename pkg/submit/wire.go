package submit

import (
	"time"

	"github.com/cspimporter/importer/pkg/order"
	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// cartRequest is the create-cart body for some lines of a cart; line ids
// are 0, 1, 2… in the order given.
func cartRequest(attested bool, lines []order.LineItem) *pc.Cart {
	c := &pc.Cart{PartnerOnRecordAttestationAccepted: &attested}
	for n, l := range lines {
		w := pc.CartLineItem{
			ID: n, CatalogItemID: l.CatalogItemID, FriendlyName: l.FriendlyName, Quantity: l.Quantity,
			BillingCycle: pc.BillingCycle(l.BillingCycle), TermDuration: l.TermDuration, PromotionID: l.PromotionID,
			ProvisioningContext: pc.ProvisioningContext(l.ProvisioningContext), AttestationAccepted: l.AttestationAccepted,
		}
		if l.RenewsTo != nil {
			w.RenewsTo = &pc.RenewsTo{TermDuration: l.RenewsTo.TermDuration}
		}
		if l.CustomTermEndDate != "" {
			if t, err := time.Parse(time.RFC3339, l.CustomTermEndDate); err == nil {
				w.CustomTermEndDate = &t
			}
		}
		for _, p := range l.Participants {
			w.Participants = append(w.Participants, pc.Participant{Key: pc.ParticipantType(p.Key), Value: p.Value})
		}
		c.LineItems = append(c.LineItems, w)
	}
	return c
}
