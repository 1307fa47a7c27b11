package partnercenter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The reads below are what a sheet is checked against before buying
// (../shared/reference/partner-center-live.md §1-3). Each is one logical
// request through the client's rate limit and retries.

// IsNotFound reports whether err is Partner Center's 404: the thing asked
// for does not exist (or is not this partner's), as opposed to a failure
// to ask.
func IsNotFound(err error) bool {
	var api *APIError
	return errors.As(err, &api) && api.Status == http.StatusNotFound
}

// GetCustomer reads a customer.
func (c *Client) GetCustomer(ctx context.Context, customer string) (*Customer, error) {
	var out Customer
	if _, err := c.do(ctx, http.MethodGet, "/v1/customers/"+url.PathEscape(customer), NewID(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetProduct reads a product in a country.
func (c *Client) GetProduct(ctx context.Context, product, country string) (*Product, error) {
	var out Product
	if _, err := c.do(ctx, http.MethodGet, "/v1/products/"+url.PathEscape(product)+"?country="+url.QueryEscape(country), NewID(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetSKU reads a product's SKU in a country.
func (c *Client) GetSKU(ctx context.Context, product, sku, country string) (*SKU, error) {
	var out SKU
	path := "/v1/products/" + url.PathEscape(product) + "/skus/" + url.PathEscape(sku) + "?country=" + url.QueryEscape(country)
	if _, err := c.do(ctx, http.MethodGet, path, NewID(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetAvailabilities lists a SKU's availabilities in a country.
func (c *Client) GetAvailabilities(ctx context.Context, product, sku, country string) ([]Availability, error) {
	path := "/v1/products/" + url.PathEscape(product) + "/skus/" + url.PathEscape(sku) + "/availabilities?country=" + url.QueryEscape(country)
	return collect[Availability](ctx, c, path)
}

// ListSubscriptions lists a customer's subscriptions, every page.
func (c *Client) ListSubscriptions(ctx context.Context, customer string) ([]Subscription, error) {
	return collect[Subscription](ctx, c, "/v1/customers/"+url.PathEscape(customer)+"/subscriptions")
}

// OrderSubscriptions lists the subscriptions an order created.
func (c *Client) OrderSubscriptions(ctx context.Context, customer, orderID string) ([]Subscription, error) {
	return collect[Subscription](ctx, c, "/v1/customers/"+url.PathEscape(customer)+"/subscriptions?order_id="+url.QueryEscape(orderID))
}

// maxPages bounds how many pages a collection is followed through.
const maxPages = 200

// collect reads a collection and the pages after it: links.next, with the
// headers it names (a continuation token), as Partner Center pages.
func collect[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var all []T
	var extra http.Header
	for range maxPages {
		var page Collection[T]
		if _, err := c.doWith(ctx, http.MethodGet, path, NewID(), extra, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Links == nil || page.Links.Next == nil || page.Links.Next.URI == "" {
			return all, nil
		}
		next, headers, err := nextPage(page.Links.Next)
		if err != nil {
			return nil, err
		}
		path, extra = next, headers
	}
	return nil, fmt.Errorf("%s: more than %d pages", path, maxPages)
}

// nextPage is the path and headers of a next link. Its uri is relative to
// the API's version ("/customers/…"), or has it ("/v1/customers/…").
func nextPage(l *Link) (string, http.Header, error) {
	uri := l.URI
	if strings.Contains(uri, "://") {
		u, err := url.Parse(uri)
		if err != nil {
			return "", nil, fmt.Errorf("next page link %q: %w", uri, err)
		}
		uri = u.RequestURI()
	}
	if !strings.HasPrefix(uri, "/") {
		uri = "/" + uri
	}
	if !strings.HasPrefix(strings.ToLower(uri), "/v1/") {
		uri = "/v1" + uri
	}
	h := http.Header{}
	var kvs []struct{ Key, Value string }
	if len(l.Headers) > 0 && json.Unmarshal(l.Headers, &kvs) == nil {
		for _, kv := range kvs {
			if kv.Key != "" {
				h.Set(kv.Key, kv.Value)
			}
		}
	}
	return uri, h, nil
}

// ProvisioningItem is the provisioning of one line of an order. Status is
// kept as received (fulfilled, unfulfilled, prefulfillmentpending, …).
type ProvisioningItem struct {
	LineItemNumber int    `json:"lineItemNumber"`
	Status         string `json:"status"`
}

// GetProvisioningStatus reads the provisioning of an order's lines (the
// documents call it App+User only).
func (c *Client) GetProvisioningStatus(ctx context.Context, customer, orderID string) ([]ProvisioningItem, error) {
	return collect[ProvisioningItem](ctx, c, "/v1/customers/"+url.PathEscape(customer)+"/orders/"+url.PathEscape(orderID)+"/provisioningstatus")
}
