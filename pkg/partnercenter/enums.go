// Package partnercenter holds the Partner Center cart API's wire types,
// shared by the client and the sandbox. JSON is written the way the API
// writes it (camelCase, lower-case enum values) and read leniently:
// property names and enum values in any case, error codes as numbers or
// strings, unknown values and fields kept or ignored, never fatal.
package partnercenter

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// BillingCycle is a billing cycle as the API spells it (snake_case).
type BillingCycle string

// Billing cycles the API documents; others are kept as received.
const (
	BillingUnknown   BillingCycle = "unknown"
	BillingMonthly   BillingCycle = "monthly"
	BillingAnnual    BillingCycle = "annual"
	BillingNone      BillingCycle = "none"
	BillingOneTime   BillingCycle = "one_time"
	BillingTriennial BillingCycle = "triennial"
	BillingBiennial  BillingCycle = "biennial"
)

var billingByFold = map[string]BillingCycle{
	"unknown": BillingUnknown, "monthly": BillingMonthly, "annual": BillingAnnual, "none": BillingNone,
	"onetime": BillingOneTime, "triennial": BillingTriennial, "biennial": BillingBiennial,
}

// UnmarshalJSON accepts "Monthly", "OneTime", "one_time", "ONE_TIME"…
func (b *BillingCycle) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	if v, ok := billingByFold[fold(s)]; ok {
		*b = v
	} else {
		*b = BillingCycle(s)
	}
	return nil
}

// ParticipantType is the key of a participant.
type ParticipantType string

// Participant types the API documents.
const (
	TransactionReseller           ParticipantType = "transaction_reseller"
	AdditionalTransactionReseller ParticipantType = "additional_transaction_reseller"
	ConsumptionReseller           ParticipantType = "consumption_reseller"
)

var participantByFold = map[string]ParticipantType{
	"transactionreseller": TransactionReseller, "additionaltransactionreseller": AdditionalTransactionReseller,
	"consumptionreseller": ConsumptionReseller,
}

// UnmarshalJSON accepts "TransactionReseller", "transaction_reseller"…
func (p *ParticipantType) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	if v, ok := participantByFold[fold(s)]; ok {
		*p = v
	} else {
		*p = ParticipantType(s)
	}
	return nil
}

// fold lower-cases and drops '_', '-' and spaces.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r != '_' && r != '-' && r != ' ' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Code is an error code. The API documents it as a string but sends numbers
// (and sometimes names, like "CatalogItemIdIsNotValid"); both are read.
type Code struct {
	Number int    // 0 when the code is not a number
	Text   string // the code as received
}

// NewCode makes a numeric code.
func NewCode(n int) Code { return Code{Number: n, Text: strconv.Itoa(n)} }

// MarshalJSON writes numeric codes as numbers, as the API does.
func (c Code) MarshalJSON() ([]byte, error) {
	if c.Number != 0 || c.Text == "0" {
		return []byte(strconv.Itoa(c.Number)), nil
	}
	return json.Marshal(c.Text)
}

// UnmarshalJSON reads 800002, "800002" or "CatalogItemIdIsNotValid".
func (c *Code) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*c = Code{}
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		n, _ := strconv.Atoi(s)
		*c = Code{Number: n, Text: s}
		return nil
	}
	var f json.Number
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	n, err := f.Int64()
	if err != nil {
		*c = Code{Text: f.String()}
		return nil
	}
	*c = Code{Number: int(n), Text: f.String()}
	return nil
}

func (c Code) String() string { return c.Text }
