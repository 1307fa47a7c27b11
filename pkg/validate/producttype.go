package validate

import "strings"

// ProductType decides which type-specific rules apply to a line.
type ProductType int

// Product types the rules know. Unknown means: skip type-specific rules.
const (
	Unknown ProductType = iota
	AzurePlan
	PerpetualSoftware
	SoftwareSubscription
	LicenseBased
	ReservedInstance
	SaaS
	Legacy
)

var typeNames = map[ProductType]string{
	Unknown:              "",
	AzurePlan:            "Azure plan",
	PerpetualSoftware:    "Perpetual software",
	SoftwareSubscription: "Software subscription",
	LicenseBased:         "License-based",
	ReservedInstance:     "Reserved instance",
	SaaS:                 "SaaS",
	Legacy:               "Legacy",
}

func (t ProductType) String() string { return typeNames[t] }

// ProductTypeNames lists the names the ProductType column accepts, for the
// template's drop-down and for messages.
func ProductTypeNames() []string {
	return []string{"Azure plan", "Perpetual software", "Software subscription", "License-based", "Reserved instance", "SaaS", "Legacy"}
}

var typeAliases = map[string]ProductType{
	"azureplan": AzurePlan, "azure": AzurePlan, "microsoftazure": AzurePlan,
	"perpetualsoftware": PerpetualSoftware, "perpetual": PerpetualSoftware, "softwareperpetual": PerpetualSoftware,
	"softwaresubscription": SoftwareSubscription, "softwaresubscriptions": SoftwareSubscription,
	"licensebased": LicenseBased, "license": LicenseBased, "nce": LicenseBased, "onlineservicesnce": LicenseBased,
	"onlineservices": LicenseBased, "seatbased": LicenseBased,
	"reservedinstance": ReservedInstance, "reservation": ReservedInstance, "ri": ReservedInstance,
	"azurereservation": ReservedInstance, "reservedinstances": ReservedInstance,
	"saas": SaaS, "marketplace": SaaS, "marketplacesaas": SaaS,
	"legacy": Legacy, "legacylicensebased": Legacy,
}

// ParseProductType reads a product type name in any case and spacing.
func ParseProductType(s string) (ProductType, bool) {
	t, ok := typeAliases[fold(s)]
	return t, ok
}

// fold lower-cases and drops spaces, '-', '_' and '.'.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '-', '_', '.', '\t', '\u00a0':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
