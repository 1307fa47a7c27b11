package partnercenter

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func seed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seeds", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return CleanDocJSON(b)
}

func TestSeedBodiesDecode(t *testing.T) {
	for _, name := range []string{"request-attestation-resellers", "response-attestation-resellers", "request-all-types",
		"response-all-types", "request-nce-pascalcase", "response-nce"} {
		t.Run(name, func(t *testing.T) {
			var c Cart
			dec := json.NewDecoder(strings.NewReader(string(seed(t, name))))
			if err := dec.Decode(&c); err != nil {
				t.Fatal(err)
			}
			if len(c.LineItems) == 0 || c.LineItems[0].CatalogItemID == "" || c.LineItems[0].Quantity == 0 || c.LineItems[0].BillingCycle == "" {
				t.Errorf("decoded %+v", c)
			}
		})
	}
}

func TestPascalCaseRequest(t *testing.T) {
	var c Cart
	if err := json.Unmarshal(seed(t, "request-nce-pascalcase"), &c); err != nil {
		t.Fatal(err)
	}
	l := c.LineItems[0]
	if l.CatalogItemID != "CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS" || l.BillingCycle != BillingMonthly || l.TermDuration != "P1M" || l.Quantity != 1 {
		t.Errorf("PascalCase request read as %+v", l)
	}
}

func TestResponseShape(t *testing.T) {
	var c Cart
	if err := json.Unmarshal(seed(t, "response-attestation-resellers"), &c); err != nil {
		t.Fatal(err)
	}
	if c.ID != "3e22b548-647d-4223-9675-1fcb6cb57665" || c.Status != CartActive || c.ExpirationTimestamp == nil ||
		c.ExpirationTimestamp.Sub(*c.CreationTimestamp).Hours() < 167 {
		t.Errorf("cart %+v", c)
	}
	l := c.LineItems[1]
	if len(l.Participants) != 3 || l.Participants[0].Key != TransactionReseller || l.Participants[2].Key != AdditionalTransactionReseller ||
		l.OrderGroup != "0" || l.CurrencyCode != "USD" {
		t.Errorf("line %+v", l)
	}
	if c.LineItems[0].CustomTermEndDate == nil || c.LineItems[0].CustomTermEndDate.Format("2006-01-02") != "2022-02-19" {
		t.Errorf("customTermEndDate %v", c.LineItems[0].CustomTermEndDate)
	}
	// And written back in the API's own spelling.
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"lineItems":[`, `"catalogItemId":"CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P"`, `"billingCycle":"monthly"`,
		`"participants":[{"key":"transaction_reseller","value":"5357564"}`, `"orderGroup":"0"`, `"links":{"self":{"uri":"/customers/`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("re-encoded cart lacks %s:\n%s", want, out)
		}
	}
}

func TestLenientEnumsAndCodes(t *testing.T) {
	var l CartLineItem
	in := `{"ID":3,"CATALOGITEMID":"x","billingcycle":"OneTime","Participants":[{"Key":"AdditionalTransactionReseller","Value":"1"}],` +
		`"error":{"errorCode":"10001","errorDescription":"bad"},"someFutureField":{"a":1}}`
	if err := json.Unmarshal([]byte(in), &l); err != nil {
		t.Fatal(err)
	}
	if l.ID != 3 || l.CatalogItemID != "x" || l.BillingCycle != BillingOneTime || l.Participants[0].Key != AdditionalTransactionReseller ||
		l.Error.ErrorCode.Number != ErrCatalogItemIDNotValid {
		t.Errorf("read %+v (error %+v)", l, l.Error)
	}
	tests := []struct {
		in   string
		num  int
		text string
		out  string
	}{
		{`800002`, 800002, "800002", `800002`},
		{`"800002"`, 800002, "800002", `800002`},
		{`"CatalogItemIdIsNotValid"`, 0, "CatalogItemIdIsNotValid", `"CatalogItemIdIsNotValid"`},
		{`0`, 0, "0", `0`},
	}
	for _, tt := range tests {
		var c Code
		if err := json.Unmarshal([]byte(tt.in), &c); err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(c)
		if c.Number != tt.num || c.Text != tt.text || string(out) != tt.out {
			t.Errorf("%s: read %+v, wrote %s", tt.in, c, out)
		}
	}
	var b BillingCycle
	if err := json.Unmarshal([]byte(`"quadrennial"`), &b); err != nil || b != "quadrennial" {
		t.Errorf("unknown billing cycle: %v %q", err, b)
	}
	var e ErrorBody
	if err := json.Unmarshal([]byte(`{"code":3000,"description":"d","data":["https://help"],"source":"PartnerFD"}`), &e); err != nil || e.Code.Number != 3000 {
		t.Errorf("error body %+v %v", e, err)
	}
	var r CartCheckoutResult
	in = `{"orders":[{"id":"o1","status":"partial success","lineItems":[{"lineItemNumber":0,"offerId":"x","quantity":1}]}],` +
		`"orderErrors":[{"orderGroupId":"1","code":800010,"description":"no inventory"}]}`
	if err := json.Unmarshal([]byte(in), &r); err != nil || r.Orders[0].Status != "partial success" || r.OrderErrors[0].Code.Number != 800010 {
		t.Errorf("checkout result %+v %v", r, err)
	}
}
