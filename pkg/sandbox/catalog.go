package sandbox

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

//go:embed catalog.json
var builtinCatalog []byte

// Catalog is what the sandbox sells: products with SKUs and availabilities,
// and legacy offers, as in ../shared/reference/partner-center-api.md §9.
type Catalog struct {
	Products     []Product     `json:"products"`
	LegacyOffers []LegacyOffer `json:"legacyOffers"`
	// Customers are the partner's customers the sandbox knows by name,
	// country and existing subscriptions; any other GUID is a customer in
	// the US with none, except UnknownCustomers, which are 404.
	Customers        []Customer `json:"customers,omitempty"`
	UnknownCustomers []string   `json:"unknownCustomers,omitempty"`

	items  map[string]Item // by upper-case catalog item id
	legacy map[string]*LegacyOffer
}

// Product is a catalog product.
type Product struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	ProductType string `json:"productType"` // OnlineServicesNCE, Azure, Software
	SubType     string `json:"subType,omitempty"`
	TargetView  string `json:"targetView,omitempty"`
	// Family decides the order group: license, azure-plan, reservation,
	// perpetual, software-subscription, saas.
	Family string `json:"family"`
	SKUs   []SKU  `json:"skus"`
}

// SKU is a product's SKU.
type SKU struct {
	ID                     string   `json:"id"`
	Title                  string   `json:"title"`
	MinimumQuantity        int      `json:"minimumQuantity"`
	MaximumQuantity        int      `json:"maximumQuantity"`
	IsTrial                bool     `json:"isTrial,omitempty"`
	SupportedBillingCycles []string `json:"supportedBillingCycles"`
	PurchasePrerequisites  []string `json:"purchasePrerequisites,omitempty"`
	ProvisioningVariables  []string `json:"provisioningVariables,omitempty"`
	EnforceAttestation     bool     `json:"enforceAttestation,omitempty"`
	AttestationType        string   `json:"attestationType,omitempty"`
	// DynamicAttributes are served as they are (isAddon, prerequisiteSkus).
	DynamicAttributes map[string]any `json:"dynamicAttributes,omitempty"`
	Availabilities    []Availability `json:"availabilities"`
}

// Availability is a purchasable availability of a SKU.
type Availability struct {
	ID    string   `json:"id"`
	Terms []string `json:"terms"`
	Price float64  `json:"price"`
	// Countries it is sold in; empty is every country.
	Countries []string `json:"countries,omitempty"`
	// CheckoutError makes checkout of this item's order group fail, to
	// exercise partial success.
	CheckoutError *struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	} `json:"checkoutError,omitempty"`
}

// Customer is a customer the sandbox knows.
type Customer struct {
	ID            string               `json:"id"`
	CompanyName   string               `json:"companyName"`
	Country       string               `json:"country"`
	Subscriptions []SeededSubscription `json:"subscriptions,omitempty"`
}

// SeededSubscription is a subscription a customer has before any run.
type SeededSubscription struct {
	OfferID           string `json:"offerId"`
	FriendlyName      string `json:"friendlyName"`
	Quantity          int    `json:"quantity"`
	Status            string `json:"status"`
	BillingCycle      string `json:"billingCycle"`
	TermDuration      string `json:"termDuration"`
	CommitmentEndDate string `json:"commitmentEndDate"`
}

// SoldIn reports whether the availability is sold in country.
func (a *Availability) SoldIn(country string) bool {
	if len(a.Countries) == 0 {
		return true
	}
	for _, c := range a.Countries {
		if strings.EqualFold(c, country) {
			return true
		}
	}
	return false
}

// Customer finds a customer: known (with its country), unknown (404:
// ok false), or any other GUID, a US customer without subscriptions.
func (c *Catalog) Customer(id string) (Customer, bool) {
	for _, u := range c.UnknownCustomers {
		if strings.EqualFold(u, id) {
			return Customer{}, false
		}
	}
	for _, k := range c.Customers {
		if strings.EqualFold(k.ID, id) {
			return k, true
		}
	}
	return Customer{ID: strings.ToLower(id), CompanyName: "Customer " + strings.ToLower(id)[:min(8, len(id))], Country: "US"}, true
}

// LegacyOffer is an offer bought by its own id (a GUID or MS-AZR-…).
type LegacyOffer struct {
	ID                     string   `json:"id"`
	Title                  string   `json:"title"`
	SupportedBillingCycles []string `json:"supportedBillingCycles"`
	MinimumQuantity        int      `json:"minimumQuantity"`
	MaximumQuantity        int      `json:"maximumQuantity"`
	Price                  float64  `json:"price"`
}

// Item is one purchasable catalog item id, resolved.
type Item struct {
	Product      *Product
	SKU          *SKU
	Availability *Availability
}

// BuiltinCatalog returns the catalog the sandbox ships with.
func BuiltinCatalog() *Catalog {
	c, err := parseCatalog(builtinCatalog)
	if err != nil {
		panic("sandbox: built-in catalog: " + err.Error()) // a build defect, caught by every test
	}
	return c
}

// LoadCatalog reads a catalog file in the shape of the built-in one.
func LoadCatalog(path string) (*Catalog, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sandbox catalog: %w", err)
	}
	c, err := parseCatalog(b)
	if err != nil {
		return nil, fmt.Errorf("sandbox catalog %s: %w", path, err)
	}
	return c, nil
}

func parseCatalog(b []byte) (*Catalog, error) {
	c := &Catalog{}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, err
	}
	c.items = map[string]Item{}
	c.legacy = map[string]*LegacyOffer{}
	for pi := range c.Products {
		p := &c.Products[pi]
		if p.ID == "" || p.Family == "" {
			return nil, fmt.Errorf("product %q needs an id and a family", p.ID)
		}
		for si := range p.SKUs {
			s := &p.SKUs[si]
			for ai := range s.Availabilities {
				a := &s.Availabilities[ai]
				id := strings.ToUpper(p.ID + ":" + s.ID + ":" + a.ID)
				c.items[id] = Item{Product: p, SKU: s, Availability: a}
			}
		}
	}
	for i := range c.LegacyOffers {
		c.legacy[strings.ToUpper(c.LegacyOffers[i].ID)] = &c.LegacyOffers[i]
	}
	return c, nil
}

// Lookup resolves a catalog item id.
func (c *Catalog) Lookup(id string) (Item, bool) {
	it, ok := c.items[strings.ToUpper(id)]
	return it, ok
}

// Legacy resolves a legacy offer id.
func (c *Catalog) Legacy(id string) (*LegacyOffer, bool) {
	o, ok := c.legacy[strings.ToUpper(id)]
	return o, ok
}

// Product finds a product by id.
func (c *Catalog) Product(id string) (*Product, bool) {
	for i := range c.Products {
		if strings.EqualFold(c.Products[i].ID, id) {
			return &c.Products[i], true
		}
	}
	return nil, false
}
