package order

// Checked is an order sheet's rows once checked: the carts they make, the
// cart each row is in, and every row's outcome so far. It is the one shape
// every step after checking speaks (the plan, the submission, the results),
// so none of them can disagree about which row is in which cart.
type Checked struct {
	Rows     []Row
	Carts    []*Cart
	CartOf   []int // cart index of each row, -1 for a row without a customer
	Outcomes []Outcome
}

// Count is the number of rows with status st.
func (c *Checked) Count(st Status) int {
	n := 0
	for i := range c.Outcomes {
		if c.Outcomes[i].Status == st {
			n++
		}
	}
	return n
}

// AllBought: every row bought, now or in an earlier run of the batch.
func (c *Checked) AllBought() bool {
	for i := range c.Outcomes {
		if !c.Outcomes[i].Bought() {
			return false
		}
	}
	return true
}
