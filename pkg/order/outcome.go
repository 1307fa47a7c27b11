package order

// Status is the state of one row after a run.
type Status string

// Statuses a row can end with. A dry run only gives Valid or Invalid.
const (
	StatusValid   Status = "Valid"
	StatusInvalid Status = "Invalid"

	// Submit.
	StatusOrdered      Status = "Ordered"       // checked out: an order exists
	StatusCreated      Status = "Created"       // --create-only: the cart exists, nothing bought
	StatusFailed       Status = "Failed"        // Partner Center refused it; nothing bought
	StatusSkipped      Status = "Skipped"       // not sent: already ordered, or its cart was held back
	StatusUnknown      Status = "Unknown"       // checkout sent, no answer yet: run again to learn
	StatusNotSubmitted Status = "Not submitted" // the run stopped before sending it; run again
)

// Statuses lists every status in the order summaries show them: good
// outcomes first, then the ones that need a look.
var Statuses = []Status{StatusValid, StatusOrdered, StatusCreated, StatusSkipped,
	StatusInvalid, StatusFailed, StatusUnknown, StatusNotSubmitted}

// Severity separates problems that stop a row from notes that do not.
type Severity int

const (
	// Error makes the row Invalid.
	Error Severity = iota
	// Note is shown in the row's message but leaves the row Valid.
	Note
	// Warning leaves the row Valid too, but asks for a look before buying
	// (the customer already has this subscription, say).
	Warning
)

// Problem is one thing wrong with (or worth saying about) a row.
type Problem struct {
	Field    Field // the column at fault; NoField for the row as a whole
	Kind     string
	Message  string
	Severity Severity
}

// Outcome is everything the results workbook says about one row.
type Outcome struct {
	Status         Status
	Problems       []Problem
	Cart           string
	CartID         string
	OrderID        string
	SubscriptionID string
	RequestID      string // MS-RequestId of the last call for the row
	CorrelationID  string // MS-CorrelationId of that call, for support
	// Price is the row's price, where it is known (--prices, or the cart
	// Partner Center priced with --create-only).
	Price *Price
	// OrderStatus and Provisioning are what Partner Center said of the
	// row's order and its line when last asked (importer status), as it
	// said them: pending, completed…; unfulfilled, fulfilled….
	OrderStatus, Provisioning string
}

// Price is what a row costs.
type Price struct {
	Unit     float64 // one seat for the whole term
	Currency string
	Cost     float64 // the quantity at Unit
	// PartnerCenter: the price Partner Center gave the cart line, not the
	// price list's.
	PartnerCenter bool
}

// Failed reports whether any problem is an error.
func (o *Outcome) Failed() bool {
	for _, p := range o.Problems {
		if p.Severity == Error {
			return true
		}
	}
	return false
}

// Bought reports whether the row's line is bought: ordered (or, with
// --create-only, carted) now, or Skipped as ordered by an earlier run. A
// row Skipped because its cart was held back is not.
func (o *Outcome) Bought() bool {
	switch o.Status {
	case StatusOrdered, StatusCreated:
		return true
	case StatusSkipped:
		return !o.Failed()
	}
	return false
}
