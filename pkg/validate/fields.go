package validate

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/cspimporter/importer/pkg/order"
)

// formats are the single-field format rules, checked by validator/v10. The
// col tag names the sheet column a failure is reported against.
type formats struct {
	CustomerID          string   `col:"CustomerId" validate:"required,guid"`
	CatalogItemID       string   `col:"CatalogItemId" validate:"required,catalogitem"`
	TransactionReseller string   `col:"TransactionReseller" validate:"omitempty,partnerid"`
	AdditionalResellers []string `col:"AdditionalTransactionResellers" validate:"max=5,dive,partnerid"`
	FriendlyName        string   `col:"FriendlyName" validate:"max=128"`
	PromotionID         string   `col:"PromotionId" validate:"omitempty,max=64,printascii"`
}

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string { return f.Tag.Get("col") })
	must := func(err error) {
		if err != nil {
			panic(err) // registration of a built-in rule; caught by every test
		}
	}
	must(v.RegisterValidation("guid", func(fl validator.FieldLevel) bool { return guidRE.MatchString(fl.Field().String()) }))
	must(v.RegisterValidation("catalogitem", func(fl validator.FieldLevel) bool { return validCatalogItemID(fl.Field().String()) }))
	must(v.RegisterValidation("partnerid", func(fl validator.FieldLevel) bool { return partnerIDRE.MatchString(fl.Field().String()) }))
	return v
}

func validCatalogItemID(s string) bool {
	return catalogItemRE.MatchString(s) || guidRE.MatchString(s) || legacyAzureRE.MatchString(s)
}

var fieldByName = func() map[string]order.Field {
	m := map[string]order.Field{}
	for _, f := range order.Fields() {
		m[f.String()] = f
	}
	return m
}()

// formatProblem turns a validator failure into a plain-language problem.
func formatProblem(fe validator.FieldError) order.Problem {
	col := fe.Field()
	if i := strings.IndexByte(col, '['); i >= 0 { // AdditionalTransactionResellers[2]
		col = col[:i]
	}
	field := fieldByName[col]
	val := fmt.Sprint(fe.Value())
	var msg, kind string
	switch fe.Tag() {
	case "required":
		msg, kind = "is empty; every row needs one", "required value missing"
	case "guid":
		msg, kind = fmt.Sprintf("'%s' is not a customer tenant id; use the customer's Microsoft ID, a GUID like 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 (Partner Center > Customers > Account)", val), "customer id not a GUID"
	case "catalogitem":
		msg, kind = fmt.Sprintf("'%s' is not a catalog item id; use productId:skuId:availabilityId (e.g. CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P), a legacy offer GUID, or an id like MS-AZR-0145P", val), "catalog item id malformed"
	case "partnerid":
		msg, kind = fmt.Sprintf("'%s' is not a PartnerID; a PartnerID is digits only (e.g. 5357564)", val), "PartnerID not digits"
	case "max":
		if fe.Kind() == reflect.Slice {
			msg, kind = fmt.Sprintf("has %d resellers; at most %s additional resellers are allowed on a line", reflect.ValueOf(fe.Value()).Len(), fe.Param()), "too many resellers"
		} else {
			msg, kind = fmt.Sprintf("is longer than %s characters; shorten it", fe.Param()), "value too long"
		}
	case "printascii":
		msg, kind = fmt.Sprintf("'%s' has characters a promotion id never has; copy it again from Partner Center", val), "promotion id malformed"
	default:
		msg, kind = fmt.Sprintf("'%s' fails the %s rule", val, fe.Tag()), fe.Tag()
	}
	return order.Problem{Field: field, Kind: kind, Message: msg}
}
