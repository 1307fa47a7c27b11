package ingest

import (
	"math"
	"time"
)

// Excel's date serials, as excelize v2.11.0 converts them (date.go, BSD-3
// licensed), ported so that the reader does not link all of excelize for
// one function: TestExcelDateMatchesExcelize holds the two equal. Up to
// serial 61 Excel counts Julian days (and a 29 February 1900 that never
// was); after, days since 1899-12-30 (or 1904-01-01).
const (
	nanosInADay  = float64((24 * time.Hour) / time.Nanosecond)
	roundEpsilon = 1e-9
)

var (
	excel1900Epoch = time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC)
	excel1904Epoch = time.Date(1904, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// excelTime is the time of a non-negative date serial.
func excelTime(serial float64, date1904 bool) time.Time {
	whole := int(serial)
	if whole <= 61 {
		const offset1900, offset1904, mjd0 = 15018.0, 16480.0, 2400000.5
		if date1904 {
			return julianToGregorian(mjd0, serial+offset1904)
		}
		return julianToGregorian(mjd0, serial+offset1900)
	}
	frac := serial - float64(whole) + roundEpsilon
	epoch := excel1900Epoch
	if date1904 {
		epoch = excel1904Epoch
	}
	t := epoch.AddDate(0, 0, whole).Add(time.Duration(nanosInADay * frac))
	if t.Nanosecond()/1e6 > 500 {
		return t.Round(time.Second)
	}
	return t.Truncate(time.Second)
}

func julianToGregorian(part1, part2 float64) time.Time {
	i1, f1 := math.Modf(part1)
	i2, f2 := math.Modf(part2)
	days, frac := i1+i2, f1+f2
	switch { // shift to noon
	case -0.5 < frac && frac < 0.5:
		frac += 0.5
	case frac >= 0.5:
		days++
		frac -= 0.5
	case frac <= -0.5:
		days--
		frac += 1.5
	}
	// Fliegel and Van Flandern (CACM 11(10), 1968).
	l := int(days) + 68569
	n := (4 * l) / 146097
	l -= (146097*n + 3) / 4
	i := (4000 * (l + 1)) / 1461001
	l = l - (1461*i)/4 + 31
	j := (80 * l) / 2447
	d := l - (2447*j)/80
	l = j / 11
	m := j + 2 - (12 * l)
	y := 100*(n-49) + i + l
	const c1us, c1s, c1day = 1e3, 1e9, 24 * 60 * 60 * 1e9
	f := int64(c1day*frac + c1us/2)
	ns := int((f%c1s)/c1us) * c1us
	f /= c1s
	sec := int(f % 60)
	f /= 60
	return time.Date(y, time.Month(m), d, int(f/60), int(f%60), sec, ns, time.UTC)
}
