package order

// Status is the state of one row after a run.
type Status string

// Statuses a row can end with. A dry run only gives Valid or Invalid.
const (
	StatusValid   Status = "Valid"
	StatusInvalid Status = "Invalid"
)

// Severity separates problems that stop a row from notes that do not.
type Severity int

const (
	// Error makes the row Invalid.
	Error Severity = iota
	// Note is shown in the row's message but leaves the row Valid.
	Note
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
