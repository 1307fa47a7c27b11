package submit

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"

	"github.com/cspimporter/importer/pkg/order"
)

// ErrCorrupt means a journal record is damaged or says something this
// version does not understand. bbolt keeps no checksums on data pages, so a
// flipped bit in a stored "Ordered" would otherwise read as "not ordered"
// and the rows would be bought again: the journal fails closed instead.
var ErrCorrupt = errors.New("the journal is damaged")

// A record is a tag byte, a CRC-32C of the key and the JSON, and the JSON.
// The key is covered so that a record moved under another key fails too.
const (
	recordTag    = 'C'
	recordHeader = 5
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func recordSum(k, js []byte) uint32 {
	return crc32.Update(crc32.Checksum(k, castagnoli), castagnoli, js)
}

// encodeRecord marshals v with its checksum.
func encodeRecord(k []byte, v any) ([]byte, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, recordHeader, recordHeader+len(js))
	out[0] = recordTag
	binary.BigEndian.PutUint32(out[1:], recordSum(k, js))
	return append(out, js...), nil
}

// decodeRecord checks a record's checksum and unmarshals it into v. A
// record of a journal written before checksums existed (plain JSON) is
// taken only while the journal is being upgraded (legacy).
func decodeRecord(k, raw []byte, v any, legacy bool) error {
	var js []byte
	switch {
	case len(raw) >= recordHeader && raw[0] == recordTag:
		js = raw[recordHeader:]
		if binary.BigEndian.Uint32(raw[1:]) != recordSum(k, js) {
			return fmt.Errorf("%w: record %q fails its checksum", ErrCorrupt, printable(k))
		}
	case legacy && len(raw) > 0 && raw[0] == '{':
		js = raw
	default:
		return fmt.Errorf("%w: record %q is not a journal record", ErrCorrupt, printable(k))
	}
	if err := json.Unmarshal(js, v); err != nil {
		return fmt.Errorf("%w: record %q: %v", ErrCorrupt, printable(k), err)
	}
	return nil
}

// printable shows a key with its batch separator as "/".
func printable(k []byte) string {
	out := make([]byte, len(k))
	for i, b := range k {
		if b == 0 {
			b = '/'
		}
		out[i] = b
	}
	return string(out)
}

var attemptStates = []string{StateCreateSent, StateCreated, StateLineErrors, StateCheckoutSent, StateDone, StateAbandoned}

// check refuses an attempt whose state this version does not know: what
// it would do with it is a guess, and a wrong guess can order twice.
func (a *Attempt) check() error {
	if !slices.Contains(attemptStates, a.State) {
		return fmt.Errorf("%w: attempt %s of batch %s has the unknown state %q", ErrCorrupt, a.ID, a.Batch, a.State)
	}
	return nil
}

func (r *RowRecord) check(k []byte) error {
	if !slices.Contains(order.Statuses, order.Status(r.Status)) {
		return fmt.Errorf("%w: row %q has the unknown status %q", ErrCorrupt, printable(k), r.Status)
	}
	return nil
}

// Validate refuses an attempt this version does not understand (for a
// journal kept elsewhere, which reads its records itself).
func (a *Attempt) Validate() error { return a.check() }

// Validate refuses a row record of batch this version does not understand.
func (r *RowRecord) Validate(batch, rowKey string) error { return r.check(key(batch, rowKey)) }
