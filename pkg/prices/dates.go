package prices

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateParser reads the list's effective dates: ISO 8601 dates and
// date-times (with or without fractional seconds or a zone), Excel's
// serial numbers, and what Excel writes after a round trip: 3/1/2026,
// 3/1/2026 12:00:00 AM, 01.03.2026. Whether a/b/yyyy is month or day first
// is decided for the whole file from a date that can only be read one way
// (13/02/2026 or 02/13/2026); a file that never says is refused rather
// than guessed.
type dateParser struct {
	slashes            bool // some date is a/b/yyyy
	dayFirst, monFirst string
}

var isoLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// see looks at a date before any is read, for the order of a/b/yyyy.
func (p *dateParser) see(s string) error {
	if s == "" || isoLike(s) {
		return nil // read (and checked) by date, for the entries kept
	}
	if _, ok := p.iso(s); ok {
		return nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return nil // an Excel serial
	}
	a, b, _, sep, ok := parts(s)
	if !ok {
		return fmt.Errorf("%q is not a date (use 2026-03-01 or 2026-03-01T00:00:00Z)", s)
	}
	if sep == '.' || sep == '-' {
		return nil // 01.03.2026 is day first
	}
	p.slashes = true
	switch {
	case a > 12 && p.dayFirst == "":
		p.dayFirst = s
	case b > 12 && p.monFirst == "":
		p.monFirst = s
	}
	return nil
}

// settle decides the order of a/b/yyyy dates.
func (p *dateParser) settle() error {
	switch {
	case p.dayFirst != "" && p.monFirst != "":
		return fmt.Errorf("the dates are written both day first (%s) and month first (%s); save the price list again with dates as 2026-03-01", p.dayFirst, p.monFirst)
	case p.slashes && p.dayFirst == "" && p.monFirst == "":
		return fmt.Errorf("dates like 03/04/2026 could be day or month first and none says which; save the price list again with dates as 2026-03-01")
	}
	return nil
}

// isoLike: s starts as an ISO 8601 date does (2026-03-01…).
func isoLike(s string) bool {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// date reads a date seen before; "" is no date.
func (p *dateParser) date(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, ok := p.iso(s); ok {
		return t, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(f)), nil
	}
	a, b, y, sep, ok := parts(s)
	if !ok {
		return time.Time{}, fmt.Errorf("%q is not a date (use 2026-03-01 or 2026-03-01T00:00:00Z)", s)
	}
	day, month := a, b
	if sep == '/' && p.dayFirst == "" {
		day, month = b, a
	}
	return time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC), nil
}

func (p *dateParser) iso(s string) (time.Time, bool) {
	// The day as written: 2026-03-01, or 2026-03-01T… (a price is in force
	// for whole days; the time of day and zone do not move it).
	if isoLike(s) && (len(s) == 10 || s[10] == 'T' || s[10] == ' ') {
		y, _ := strconv.Atoi(s[0:4])
		m, _ := strconv.Atoi(s[5:7])
		d, _ := strconv.Atoi(s[8:10])
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if m >= 1 && m <= 12 && t.Day() == d {
			return t, true
		}
		return time.Time{}, false
	}
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// parts splits a/b/yyyy, a.b.yyyy or a-b-yyyy, with any time after it.
func parts(s string) (a, b, y int, sep byte, ok bool) {
	date, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	for _, c := range []byte{'/', '.', '-'} {
		f := strings.Split(date, string(c))
		if len(f) != 3 || len(f[2]) != 4 {
			continue
		}
		var err1, err2, err3 error
		a, err1 = strconv.Atoi(f[0])
		b, err2 = strconv.Atoi(f[1])
		y, err3 = strconv.Atoi(f[2])
		if err1 == nil && err2 == nil && err3 == nil && a >= 1 && b >= 1 && a <= 31 && b <= 31 && (a <= 12 || b <= 12) {
			return a, b, y, c, true
		}
	}
	return 0, 0, 0, 0, false
}
