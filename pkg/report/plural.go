package report

import (
	"fmt"
	"strings"
)

// Plural says n things as people do: "1 row", "2 rows", "0 carts".
func Plural(n int, noun string) string {
	return fmt.Sprintf("%d %s", n, Agree(n, noun, noun+"s"))
}

// Agree is one when n is 1, else many: Agree(n, "is", "are").
func Agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Rows names sheet rows as people do: "row 5", "rows 5 and 7", "rows 4, 7
// and 9", and past most of them "rows 4, 7, 9 and 12 more".
func Rows(rows []int, most int) string {
	return Agree(len(rows), "row", "rows") + " " + List(rows, most)
}

// List lists numbers as people do: "5", "5 and 7", "4, 7 and 9", and past
// most of them "4, 7, 9 and 12 more".
func List(nums []int, most int) string {
	parts := make([]string, 0, min(len(nums), most)+1)
	for i, r := range nums {
		if i == most {
			parts = append(parts, fmt.Sprintf("%d more", len(nums)-most))
			break
		}
		parts = append(parts, fmt.Sprint(r))
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
