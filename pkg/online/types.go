package online

import (
	"strings"

	"github.com/cspimporter/importer/pkg/validate"
)

// Types are the product types Partner Center gave for the products whose
// type the sheet and catalog file do not say, by upper-case product id,
// for the offline rules that need a type. Only what the answer makes clear
// is taken: OnlineServicesNCE is license-based; Azure with a reservation
// sub-type a reserved instance, with a marketplace one SaaS; Software
// sold with terms a software subscription, without perpetual. Anything else
// stays unknown (its type-specific checks stay skipped, with the note).
func (f *Facts) Types() map[string]validate.ProductType {
	out := map[string]validate.ProductType{}
	for id, p := range f.Products {
		if !p.Found {
			continue
		}
		if t := f.typeOf(id, fold(p.Type.ID), subType(p)); t != validate.Unknown {
			out[id] = t
		}
	}
	return out
}

func subType(p *Product) string {
	if p.Type.SubType == nil {
		return ""
	}
	return fold(p.Type.SubType.ID)
}

func (f *Facts) typeOf(product, id, sub string) validate.ProductType {
	switch {
	case id == "onlineservicesnce":
		return validate.LicenseBased
	case id == "azure" && (strings.Contains(sub, "reserv") || sub == "virtualmachines"):
		return validate.ReservedInstance
	case id == "azure" && (strings.Contains(sub, "saas") || strings.Contains(sub, "marketplace")):
		return validate.SaaS
	case id == "software":
		withTerms, known := f.soldWithTerms(product)
		switch {
		case !known:
			return validate.Unknown
		case withTerms:
			return validate.SoftwareSubscription
		}
		return validate.PerpetualSoftware
	}
	if t, ok := validate.ParseProductType(id); ok && id != "azure" {
		return t
	}
	return validate.Unknown
}

// soldWithTerms: whether the product's availabilities read have terms.
func (f *Facts) soldWithTerms(product string) (withTerms, known bool) {
	for k, it := range f.Items {
		if k.Product != product || !it.Found || it.Err != nil {
			continue
		}
		for i := range it.Availabilities {
			known = true
			if len(it.Availabilities[i].Terms) > 0 {
				return true, true
			}
		}
	}
	return false, known
}
