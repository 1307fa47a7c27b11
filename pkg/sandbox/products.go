package sandbox

import (
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
	if p.SubType != "" {
		pt.SubType = &pc.ProductType{ID: p.SubType, DisplayName: p.SubType}
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
	return out
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
	for _, a := range sku.Availabilities {
		wa := pc.Availability{ID: a.ID, ProductID: p.ID, SKUID: sku.ID, CatalogItemID: p.ID + ":" + sku.ID + ":" + a.ID,
			Country: cc, IsPurchasable: true, Terms: []pc.Term{}, Attributes: &pc.Attributes{ObjectType: "Availability"}}
		for _, t := range a.Terms {
			wa.Terms = append(wa.Terms, pc.Term{Duration: t, Description: termNames[t]})
		}
		out.Items = append(out.Items, wa)
	}
	out.TotalCount = len(out.Items)
	writeJSON(w, http.StatusOK, out)
}
