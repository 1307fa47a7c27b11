package validate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// billingAliases maps what people write to the cart API's billing cycles.
var billingAliases = map[string]string{
	"monthly": "monthly", "month": "monthly",
	"annual": "annual", "annually": "annual", "yearly": "annual",
	"triennial": "triennial", "biennial": "biennial",
	"onetime": "one_time", "once": "one_time",
	"none": "none", "trial": "none",
}

func parseBillingCycle(s string) (string, bool) {
	v, ok := billingAliases[fold(s)]
	return v, ok
}

// months is the length of a billing cycle; one_time and none have none.
var months = map[string]int{"monthly": 1, "annual": 12, "biennial": 24, "triennial": 36}

var termAliases = map[string]string{
	"p1m": "P1M", "1m": "P1M", "1month": "P1M", "monthly": "P1M",
	"p1y": "P1Y", "1y": "P1Y", "1year": "P1Y", "12months": "P1Y", "annual": "P1Y", "p12m": "P1Y",
	"p3y": "P3Y", "3y": "P3Y", "3years": "P3Y", "36months": "P3Y", "p36m": "P3Y",
}

var termMonths = map[string]int{"P1M": 1, "P1Y": 12, "P3Y": 36}

func parseTerm(s string) (string, bool) {
	v, ok := termAliases[fold(s)]
	return v, ok
}

// parseYesNo reads the yes/no columns; blank is (false, false, true).
func parseYesNo(s string) (value, set, ok bool) {
	switch fold(s) {
	case "":
		return false, false, true
	case "yes", "y", "true", "1", "x", "ja", "oui", "si", "wahr":
		return true, true, true
	case "no", "n", "false", "0", "nein", "non", "falsch":
		return false, true, true
	}
	return false, false, false
}

var (
	guidRE        = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	catalogItemRE = regexp.MustCompile(`^[0-9A-Za-z]{12}:[0-9A-Za-z]{4}:[0-9A-Za-z]{12}$`)
	legacyAzureRE = regexp.MustCompile(`^(?i:MS-[A-Z]{2,4}-[0-9]{4}[A-Z])$`)
	partnerIDRE   = regexp.MustCompile(`^[0-9]{1,10}$`)
)

// parseDate reads a date written as ISO text (what the XLSX reader makes of
// date serials) or as text in an unambiguous local form. A date such as
// 03/04/2027 could be March or April, so it is refused, not guessed.
func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006/01/02", "2006.01.02", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	}
	// Day-first with dots is the European form and never month-first.
	if t, err := time.Parse("2.1.2006", s); err == nil {
		return t, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) == 3 && len(parts[2]) == 4 {
		a, errA := strconv.Atoi(parts[0])
		b, errB := strconv.Atoi(parts[1])
		y, errY := strconv.Atoi(parts[2])
		if errA == nil && errB == nil && errY == nil {
			var d, m int
			switch {
			case a > 12 && b <= 12:
				d, m = a, b
			case b > 12 && a <= 12:
				d, m = b, a
			case a == b:
				d, m = a, b
			default:
				return time.Time{}, fmt.Errorf("is ambiguous (day/month or month/day?)")
			}
			t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
			if t.Day() == d && int(t.Month()) == m {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("is not a date")
}

// parseProvisioning reads "key=value; key=value".
func parseProvisioning(s string) (map[string]string, error) {
	ctx := map[string]string{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' || r == '\r' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not key=value", part)
		}
		if _, dup := ctx[k]; dup {
			return nil, fmt.Errorf("key %q is given twice", k)
		}
		ctx[k] = v
	}
	return ctx, nil
}

// splitPartnerIDs splits a list of PartnerIDs on ',' ';' or white space.
func splitPartnerIDs(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\u00a0'
	})
}
