package report

import "testing"

func TestPlurals(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Plural(1, "row"), "1 row"},
		{Plural(0, "cart"), "0 carts"},
		{Plural(30, "row"), "30 rows"},
		{Agree(1, "is", "are") + " " + Agree(2, "is", "are"), "is are"},
		{Rows([]int{5}, 8), "row 5"},
		{Rows([]int{5, 7}, 8), "rows 5 and 7"},
		{Rows([]int{4, 7, 9}, 8), "rows 4, 7 and 9"},
		{Rows([]int{4, 7, 9, 10, 12}, 3), "rows 4, 7, 9 and 2 more"},
		{List([]int{3}, 8), "3"},
		{List(nil, 8), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
