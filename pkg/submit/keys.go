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
				line := c.Request.LineItems[n]
				line.ID = 0
				b, _ := json.Marshal(struct {
					Customer string
					Group    string
					Attested bool
					Line     order.LineItem
				}{c.Key.CustomerID, c.Key.Group, c.Request.PartnerOnRecordAttestationAccepted, line})
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
