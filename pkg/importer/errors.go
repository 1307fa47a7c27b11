package importer

import (
	"errors"
	"fmt"
)

// Fault says what stopped a run, or kept it from passing.
type Fault int

const (
	// FaultSheet: the sheet, or what it was asked with (options, the
	// results path, a plan it differs from), is at fault. Nothing was sent.
	FaultSheet Fault = iota + 1
	// FaultSurroundings: signing in, the journal, the network or the inbox
	// failed; the sheet is not at fault and trying again later may work.
	FaultSurroundings
	// FaultRows: the run finished, but rows did not pass (invalid, failed,
	// not submitted, unknown, or the run was interrupted).
	FaultRows
	// FaultResults: the run finished, but its results could not be written
	// where they were asked for (the error says where they went instead).
	FaultResults
	// FaultInternal: a bug stopped the run.
	FaultInternal
)

func (f Fault) String() string {
	switch f {
	case FaultSheet:
		return "sheet"
	case FaultSurroundings:
		return "surroundings"
	case FaultRows:
		return "rows"
	case FaultResults:
		return "results"
	case FaultInternal:
		return "internal"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Error is a run's outcome when it is not a plain success.
type Error struct {
	Fault Fault
	// Err says what happened; nil when the rows' own outcomes say it all.
	Err error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "the run did not pass (" + e.Fault.String() + ")"
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// FaultOf is the fault of a run's error: 0 for nil, FaultInternal for an
// error that is not an *Error (which the core never returns knowingly).
func FaultOf(err error) Fault {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Fault
	}
	return FaultInternal
}

// Message is what an error says, or "" when it says nothing of its own.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Err == nil {
		return ""
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func sheetFault(err error) error        { return &Error{Fault: FaultSheet, Err: err} }
func surroundingsFault(err error) error { return &Error{Fault: FaultSurroundings, Err: err} }
func rowsFault(err error) error         { return &Error{Fault: FaultRows, Err: err} }
