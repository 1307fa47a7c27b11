package submit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cspimporter/importer/pkg/order"
)

// RowKeys identifies every row of carts within a batch: by its
// OrderReference when the sheet has one, else by its content (customer,
// cart group and the whole line as it would be sent), with a count for
// identical rows. A row moved elsewhere in the sheet keeps its key; a
// changed row gets a new one.
func RowKeys(rows []order.Row, carts []*order.Cart) map[int]string {
	keys := map[int]string{}
	seen := map[string]int{}
	for _, c := range carts {
		for n, i := range c.Rows {
			base := ""
			if ref := strings.TrimSpace(rows[i].Get(order.OrderReference)); ref != "" {
				base = "ref:" + ref
			} else {
				b, _ := json.Marshal(struct {
					Customer string
					Group    string
					Attested bool
					Line     keyLine
				}{c.Key.CustomerID, c.Key.Group, c.Request.PartnerOnRecordAttestationAccepted, keyLineOf(c.Request.LineItems[n])})
				sum := sha256.Sum256(b)
				base = "row:" + hex.EncodeToString(sum[:12])
			}
			seen[base]++
			keys[i] = fmt.Sprintf("%s#%d", base, seen[base])
		}
	}
	return keys
}

// attemptID names the attempt to buy a set of rows of one cart.
func attemptID(batch, customer, group string, rowKeys []string) string {
	sorted := append([]string(nil), rowKeys...)
	sort.Strings(sorted)
	sum := sha256.Sum256([]byte(batch + "\x00" + customer + "\x00" + group + "\x00" + strings.Join(sorted, "\x00")))
	return hex.EncodeToString(sum[:12])
}

// keyLine is a line as its row key hashes it. The shape is the journal's
// own and must never change (TestRowKeysStable): a changed key makes every
// journal written before forget the rows it ordered.
type keyLine struct {
	ID                  int               `json:"id"`
	CatalogItemID       string            `json:"catalogItemId"`
	FriendlyName        string            `json:"friendlyName,omitempty"`
	Quantity            int               `json:"quantity"`
	BillingCycle        string            `json:"billingCycle"`
	TermDuration        string            `json:"termDuration,omitempty"`
	RenewsTo            *keyRenewal       `json:"renewsTo,omitempty"`
	PromotionID         string            `json:"promotionId,omitempty"`
	CustomTermEndDate   string            `json:"customTermEndDate,omitempty"`
	ProvisioningContext map[string]string `json:"provisioningContext,omitempty"`
	AttestationAccepted *bool             `json:"attestationAccepted,omitempty"`
	Participants        []keyParticipant  `json:"participants,omitempty"`
}

type keyRenewal struct {
	TermDuration string `json:"termDuration"`
}

type keyParticipant struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// keyLineOf is l as its key hashes it: without its line id, which depends
// on where the row stands in its cart.
func keyLineOf(l order.LineItem) keyLine {
	k := keyLine{CatalogItemID: l.CatalogItemID, FriendlyName: l.FriendlyName, Quantity: l.Quantity, BillingCycle: l.BillingCycle,
		TermDuration: l.TermDuration, PromotionID: l.PromotionID, CustomTermEndDate: l.CustomTermEndDate,
		ProvisioningContext: l.ProvisioningContext, AttestationAccepted: l.AttestationAccepted}
	if l.RenewsTo != nil {
		k.RenewsTo = &keyRenewal{TermDuration: l.RenewsTo.TermDuration}
	}
	for _, p := range l.Participants {
		k.Participants = append(k.Participants, keyParticipant{Key: p.Key, Value: p.Value})
	}
	return k
}
