package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

var termNames = map[string]string{"P1M": "One Month", "P1Y": "One Year", "P3Y": "Three Years"}

// country returns the required country parameter, or answers 400.
func country(w http.ResponseWriter, r *http.Request) (string, bool) {
	c := r.URL.Query().Get("country")
	if len(c) != 2 {
		writeError(w, http.StatusBadRequest, pc.CodeInvalidInput, "Invalid request input: the country parameter (two letters, e.g. US) is required.")
		return "", false
	}
	return strings.ToUpper(c), true
}

func (s *Server) product(w http.ResponseWriter, r *http.Request) (*Product, bool) {
	p, ok := s.cfg.Catalog.Product(r.PathValue("product"))
	if !ok {
		writeError(w, http.StatusNotFound, pc.CodeProductNotFound, "Product "+r.PathValue("product")+" was not found.")
	}
	return p, ok
}

func (s *Server) sku(w http.ResponseWriter, r *http.Request) (*Product, *SKU, bool) {
	p, ok := s.product(w, r)
	if !ok {
		return nil, nil, false
	}
	for i := range p.SKUs {
		if strings.EqualFold(p.SKUs[i].ID, r.PathValue("sku")) {
			return p, &p.SKUs[i], true
		}
	}
	writeError(w, http.StatusNotFound, pc.CodeSKUNotFound, "SKU "+r.PathValue("sku")+" of product "+p.ID+" was not found.")
	return nil, nil, false
}

func wireProduct(p *Product) pc.Product {
	pt := pc.ProductType{ID: p.ProductType, DisplayName: p.ProductType}
	sub := p.SubType
	if sub == "" {
		sub = p.TargetView // MarketplaceSaaS, SoftwarePerpetual…
	}
	if sub != "" {
		pt.SubType = &pc.ProductType{ID: sub, DisplayName: sub}
	}
	return pc.Product{ID: p.ID, Title: p.Title, ProductType: pt, Attributes: &pc.Attributes{ObjectType: "Product"}}
}

func wireSKU(p *Product, s *SKU) pc.SKU {
	out := pc.SKU{ID: s.ID, ProductID: p.ID, Title: s.Title, MinimumQuantity: s.MinimumQuantity, MaximumQuantity: s.MaximumQuantity,
		IsTrial: s.IsTrial, PurchasePrerequisites: s.PurchasePrerequisites, ProvisioningVariables: s.ProvisioningVariables,
		AttestationProperties: &pc.AttestationProperties{AttestationType: s.AttestationType, EnforceAttestation: s.EnforceAttestation},
		Attributes:            &pc.Attributes{ObjectType: "Sku"}}
	for _, b := range s.SupportedBillingCycles {
		out.SupportedBillingCycles = append(out.SupportedBillingCycles, pc.BillingCycle(b))
	}
	if len(s.DynamicAttributes) > 0 {
		out.DynamicAttributes = pc.DynamicAttributes{}
		for k, v := range s.DynamicAttributes {
			b, _ := json.Marshal(v)
			out.DynamicAttributes[k] = b
		}
	}
	return out
}

// termsOf lists an availability's terms as Partner Center does: one entry
// per term and billing cycle the SKU offers for it (monthly for any term,
// annual for a year or more, triennial for three years, one-time and
// trials for any).
func termsOf(sku *SKU, a *Availability) []pc.Term {
	terms := []pc.Term{}
	for _, t := range a.Terms {
		for _, b := range sku.SupportedBillingCycles {
			if billingFits(b, t) {
				terms = append(terms, pc.Term{ID: strings.ToLower(t + "-" + b), Duration: t, Description: termNames[t], BillingCycle: pc.BillingCycle(b)})
			}
		}
	}
	return terms
}

func billingFits(cycle, term string) bool {
	switch strings.ToLower(cycle) {
	case "annual":
		return term == "P1Y" || term == "P3Y"
	case "triennial":
		return term == "P3Y"
	}
	return true
}

func (s *Server) handleProduct(w http.ResponseWriter, r *http.Request) {
	if _, ok := country(w, r); !ok {
		return
	}
	if p, ok := s.product(w, r); ok {
		writeJSON(w, http.StatusOK, wireProduct(p))
	}
}

func (s *Server) handleSKUs(w http.ResponseWriter, r *http.Request) {
	if _, ok := country(w, r); !ok {
		return
	}
	p, ok := s.product(w, r)
	if !ok {
		return
	}
	out := pc.Collection[pc.SKU]{Items: []pc.SKU{}, Attributes: &pc.Attributes{ObjectType: "Collection"}}
	for i := range p.SKUs {
		out.Items = append(out.Items, wireSKU(p, &p.SKUs[i]))
	}
	out.TotalCount = len(out.Items)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleSKU(w http.ResponseWriter, r *http.Request) {
	if _, ok := country(w, r); !ok {
		return
	}
	if p, sku, ok := s.sku(w, r); ok {
		writeJSON(w, http.StatusOK, wireSKU(p, sku))
	}
}

func (s *Server) handleAvailabilities(w http.ResponseWriter, r *http.Request) {
	cc, ok := country(w, r)
	if !ok {
		return
	}
	p, sku, ok := s.sku(w, r)
	if !ok {
		return
	}
	out := pc.Collection[pc.Availability]{Items: []pc.Availability{}, Attributes: &pc.Attributes{ObjectType: "Collection"}}
	for i := range sku.Availabilities {
		a := &sku.Availabilities[i]
		if !a.SoldIn(cc) {
			continue
		}
		out.Items = append(out.Items, pc.Availability{ID: a.ID, ProductID: p.ID, SKUID: sku.ID, CatalogItemID: p.ID + ":" + sku.ID + ":" + a.ID,
			Country: cc, IsPurchasable: true, IsRenewable: true, Segment: "commercial", Currency: &pc.Currency{Code: "USD", Symbol: "$"},
			Terms: termsOf(sku, a), Attributes: &pc.Attributes{ObjectType: "Availability"}})
	}
	out.TotalCount = len(out.Items)
	writeJSON(w, http.StatusOK, out)
}
