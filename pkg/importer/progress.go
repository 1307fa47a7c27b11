package importer

// Progress is told how a submission goes, cart by cart: the CLI draws a bar
// or writes JSON lines, the web app shows a page. CartDone is called from
// the goroutines that send the carts, at the same time.
type Progress interface {
	// Start: carts carts of rows rows are about to be sent.
	Start(carts, rows int)
	// CartDone: a cart's rows have their outcomes; bought of them were
	// bought (now or by an earlier run of the batch).
	CartDone(rows, bought int)
	// Finish: every cart is done, or the run stopped.
	Finish()
}

// NoProgress tells no one.
type NoProgress struct{}

func (NoProgress) Start(int, int)    {}
func (NoProgress) CartDone(int, int) {}
func (NoProgress) Finish()           {}
