package submit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrLocked means another run holds the journal.
var ErrLocked = errors.New("another importer run is using this journal")

var (
	bucketAttempts = []byte("attempts")
	bucketRows     = []byte("rows")
)

// Journal is the durable record of what was sent to Partner Center and
// what came back: every write is durable before it returns, so a step is
// recorded before the request that takes it goes out, and a run holds the
// batches it sends for alone. Its writes take no context on purpose: an
// answer Partner Center gave must be recorded even when the run is being
// interrupted. Two kinds exist: a file (FileJournal, one host) and
// PostgreSQL (pkg/pgstate, shared by hosts).
type Journal interface {
	// Bind ties the journal to the remote it records (RemoteSandbox or
	// RemotePartnerCenter), refusing it for another.
	Bind(remote string) error
	PutAttempt(a *Attempt) error
	Attempt(batch, id string) (*Attempt, error)
	Attempts(batch string) ([]*Attempt, error)
	// Finish records an attempt's final state and its rows' outcomes at
	// once: a crash cannot leave one without the other.
	Finish(a *Attempt, rows map[string]RowRecord) error
	PutRows(batch string, rows map[string]RowRecord) error
	Row(batch, rowKey string) (*RowRecord, error)
	HasBatch(batch string) (bool, error)
	Close() error
}

// Holder is a journal that holds its batch for a time (PostgreSQL's lease).
// Holds says whether it surely still does; it is asked just before each
// request is sent, so that a run that stalled past its hold (and whose
// batch another host may have taken over) sends nothing more.
type Holder interface {
	Holds() error
}

// FileJournal is a journal in a file (bbolt). Every write is committed and
// fsynced before it returns. bbolt holds an exclusive lock on the file for
// as long as it is open, which is what stops two runs on one journal.
type FileJournal struct {
	db *bolt.DB
}

// OpenJournal opens (or creates) the journal at path and checks every
// record in it: a journal that cannot be read whole, or holds a record that
// fails its checksum or says what this version does not understand, is
// refused (ErrCorrupt) before anything is sent.
func OpenJournal(path string) (j *FileJournal, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	var db *bolt.DB
	// bbolt panics on some damaged files ("invalid freelist page") instead
	// of returning an error.
	defer func() {
		if p := recover(); p != nil {
			if db != nil {
				db.Close()
			}
			j, err = nil, fmt.Errorf("journal %s: %w: %v; %s", path, ErrCorrupt, p, corruptHint)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: 500 * time.Millisecond})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("journal %s: %w; wait for it to finish (or stop it) and run again", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w: %v; %s", path, ErrCorrupt, err, corruptHint)
	}
	if err := db.Update(verify); err != nil {
		db.Close()
		if errors.Is(err, ErrCorrupt) {
			err = fmt.Errorf("%w; %s", err, corruptHint)
		}
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return &FileJournal{db: db}, nil
}

// corruptHint is what to do with a damaged journal.
const corruptHint = "nothing was sent; restore the journal from a backup, or ask for help: " +
	"running without it could order again what it records as ordered"

// Journal formats: 1 wrote plain JSON records; 2 adds a checksum to each.
var (
	bucketMeta   = []byte("meta")
	keyFormat    = []byte("format")
	formatRecord = 2
)

// verify checks the file's pages and every record, creating the buckets of
// a new journal and upgrading a format-1 journal to checksummed records.
func verify(tx *bolt.Tx) error {
	// A file cut short (a copy or restore that stopped, a full disk) may
	// still hold every page that is reachable, so Check passes; but its
	// own record of its pages says what is missing, and what is missing
	// cannot be trusted to be only free pages.
	if info, err := os.Stat(tx.DB().Path()); err == nil && info.Size() < tx.Size() {
		return fmt.Errorf("%w: the file is %d bytes, shorter than the %d its pages need: it was cut short", ErrCorrupt, info.Size(), tx.Size())
	}
	for err := range tx.Check() {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	meta := tx.Bucket(bucketMeta)
	legacy := meta == nil && (tx.Bucket(bucketAttempts) != nil || tx.Bucket(bucketRows) != nil)
	if meta != nil {
		var format int
		raw := meta.Get(keyFormat)
		if raw == nil {
			return fmt.Errorf("%w: it has no format record", ErrCorrupt)
		}
		if err := decodeRecord(keyFormat, raw, &format, false); err != nil {
			return err
		}
		if format != formatRecord {
			return fmt.Errorf("%w: format %d is not one this version reads (a newer importer wrote it?)", ErrCorrupt, format)
		}
	}
	for _, name := range [][]byte{bucketMeta, bucketAttempts, bucketRows} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	if err := checkBucket(tx.Bucket(bucketAttempts), legacy, func(k, raw []byte) error {
		var a Attempt
		if err := decodeRecord(k, raw, &a, legacy); err != nil {
			return err
		}
		return a.check()
	}); err != nil {
		return err
	}
	if err := checkBucket(tx.Bucket(bucketRows), legacy, func(k, raw []byte) error {
		var r RowRecord
		if err := decodeRecord(k, raw, &r, legacy); err != nil {
			return err
		}
		return r.check(k)
	}); err != nil {
		return err
	}
	v, err := encodeRecord(keyFormat, formatRecord)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(keyFormat, v)
}

// checkBucket checks every record of a bucket; in a legacy journal it also
// rewrites each one with its checksum.
func checkBucket(b *bolt.Bucket, legacy bool, check func(k, raw []byte) error) error {
	upgraded := map[string][]byte{}
	err := b.ForEach(func(k, raw []byte) error {
		if err := check(k, raw); err != nil {
			return err
		}
		if legacy && len(raw) > 0 && raw[0] == '{' {
			v, err := encodeRecord(k, json.RawMessage(raw))
			if err != nil {
				return err
			}
			upgraded[string(k)] = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	for k, v := range upgraded {
		if err := b.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// ErrOtherRemote means a journal records runs against another remote: a
// sandbox journal's carts were never bought, and a real journal's must not
// be answered for by the simulator.
var ErrOtherRemote = errors.New("the journal records runs against another Partner Center")

var keyRemote = []byte("remote")

// Remotes a journal is bound to.
const (
	RemotePartnerCenter = "Partner Center"
	RemoteSandbox       = "the sandbox"
)

// Bind ties the journal to the remote it records runs against (the first
// run's, or Partner Center for a journal older than the tie), and refuses
// it for another: reading a sandbox's ordered carts as bought would skip
// rows that were never bought.
func (j *FileJournal) Bind(remote string) error {
	return j.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if raw := meta.Get(keyRemote); raw != nil {
			var bound string
			if err := decodeRecord(keyRemote, raw, &bound, false); err != nil {
				return err
			}
			if bound != remote {
				return fmt.Errorf("%w: %s records runs against %s, not %s; use another --state", ErrOtherRemote, j.db.Path(), bound, remote)
			}
			return nil
		}
		if remote == RemoteSandbox && !empty(tx.Bucket(bucketAttempts), tx.Bucket(bucketRows)) {
			return fmt.Errorf("%w: %s records runs from before journals said where they were sent, so they may be real; use another --state", ErrOtherRemote, j.db.Path())
		}
		v, err := encodeRecord(keyRemote, remote)
		if err != nil {
			return err
		}
		return meta.Put(keyRemote, v)
	})
}

func empty(buckets ...*bolt.Bucket) bool {
	for _, b := range buckets {
		if k, _ := b.Cursor().First(); k != nil {
			return false
		}
	}
	return true
}

// Close releases the journal.
func (j *FileJournal) Close() error { return j.db.Close() }

// Attempt states, in the order a cart goes through them.
const (
	StateCreateSent   = "create-sent"   // create sent; answer not yet recorded
	StateCreated      = "created"       // cart exists, lines fine, not checked out
	StateLineErrors   = "line-errors"   // cart exists but lines were refused: never checked out
	StateCheckoutSent = "checkout-sent" // checkout sent; answer not yet recorded
	StateDone         = "done"          // checkout answered and recorded
	StateAbandoned    = "abandoned"     // cart expired or refused before checkout: nothing bought
)

// Attempt is one cart being bought: the rows it carries and how far it got.
type Attempt struct {
	Batch      string   `json:"batch"`
	ID         string   `json:"id"`
	CustomerID string   `json:"customerId"`
	CartGroup  string   `json:"cartGroup,omitempty"`
	RowKeys    []string `json:"rowKeys"` // line id n carries RowKeys[n]
	Version    int      `json:"version"`
	State      string   `json:"state"`
	RunID      string   `json:"runId"`

	CreateRequestID     string    `json:"createRequestId"`
	CreateCorrelationID string    `json:"createCorrelationId,omitempty"`
	CartID              string    `json:"cartId,omitempty"`
	Expires             time.Time `json:"expires,omitempty"`

	// Lines are the cart's lines as Partner Center returned them, for
	// mapping the checkout's orders back to rows.
	Lines []LineInfo `json:"lines,omitempty"`

	CheckoutRequestID     string `json:"checkoutRequestId,omitempty"`
	CheckoutCorrelationID string `json:"checkoutCorrelationId,omitempty"`

	Updated time.Time `json:"updated"`
}

// LineInfo is what mapping an order back to a cart line needs.
type LineInfo struct {
	OrderGroup    string `json:"orderGroup"`
	CatalogItemID string `json:"catalogItemId"`
	Quantity      int    `json:"quantity"`
	TermDuration  string `json:"termDuration,omitempty"`
	// The price Partner Center gave the line, where it gave one: the whole
	// term for the quantity (extendedPrice), its list price, and currency.
	Priced        bool    `json:"priced,omitempty"`
	ListPrice     float64 `json:"listPrice,omitempty"`
	ExtendedPrice float64 `json:"extendedPrice,omitempty"`
	Currency      string  `json:"currency,omitempty"`
}

// RowRecord is the last known outcome of a row of a batch.
type RowRecord struct {
	Status         string    `json:"status"`
	Message        string    `json:"message,omitempty"`
	CartID         string    `json:"cartId,omitempty"`
	OrderID        string    `json:"orderId,omitempty"`
	SubscriptionID string    `json:"subscriptionId,omitempty"`
	RequestID      string    `json:"requestId,omitempty"`
	CorrelationID  string    `json:"correlationId,omitempty"`
	RunID          string    `json:"runId"`
	At             time.Time `json:"at"`
	// What importer status last learned of the row's order.
	OrderStatus  string `json:"orderStatus,omitempty"`
	Provisioning string `json:"provisioning,omitempty"`
}

func key(batch, id string) []byte { return []byte(batch + "\x00" + id) }

// PutAttempt records an attempt (durably).
func (j *FileJournal) PutAttempt(a *Attempt) error {
	a.Updated = time.Now().UTC()
	return j.put(bucketAttempts, key(a.Batch, a.ID), a)
}

// Attempt returns the attempt with id, or nil.
func (j *FileJournal) Attempt(batch, id string) (*Attempt, error) {
	var a Attempt
	ok, err := j.get(bucketAttempts, key(batch, id), &a)
	if !ok || err != nil {
		return nil, err
	}
	return &a, a.check()
}

// Attempts lists a batch's attempts.
func (j *FileJournal) Attempts(batch string) ([]*Attempt, error) {
	var out []*Attempt
	prefix := []byte(batch + "\x00")
	err := j.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAttempts).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var a Attempt
			if err := decodeRecord(k, v, &a, false); err != nil {
				return err
			}
			if err := a.check(); err != nil {
				return err
			}
			out = append(out, &a)
		}
		return nil
	})
	return out, err
}

// Finish records an attempt's final state and its rows' outcomes in one
// durable write, so a crash cannot leave one without the other.
func (j *FileJournal) Finish(a *Attempt, rows map[string]RowRecord) error {
	a.Updated = time.Now().UTC()
	ak := key(a.Batch, a.ID)
	av, err := encodeRecord(ak, a)
	if err != nil {
		return err
	}
	return j.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketAttempts).Put(ak, av); err != nil {
			return err
		}
		b := tx.Bucket(bucketRows)
		for k, r := range rows {
			rk := key(a.Batch, k)
			v, err := encodeRecord(rk, r)
			if err != nil {
				return err
			}
			if err := b.Put(rk, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutRows records rows' outcomes of a batch (durably), as they are.
func (j *FileJournal) PutRows(batch string, rows map[string]RowRecord) error {
	return j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRows)
		for k, r := range rows {
			rk := key(batch, k)
			v, err := encodeRecord(rk, r)
			if err != nil {
				return err
			}
			if err := b.Put(rk, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Row returns a row's record, or nil.
func (j *FileJournal) Row(batch, rowKey string) (*RowRecord, error) {
	var r RowRecord
	k := key(batch, rowKey)
	ok, err := j.get(bucketRows, k, &r)
	if !ok || err != nil {
		return nil, err
	}
	return &r, r.check(k)
}

// HasBatch reports whether the journal holds anything of a batch.
func (j *FileJournal) HasBatch(batch string) (bool, error) {
	prefix := []byte(batch + "\x00")
	found := false
	err := j.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAttempts, bucketRows} {
			k, _ := tx.Bucket(b).Cursor().Seek(prefix)
			if k != nil && bytes.HasPrefix(k, prefix) {
				found = true
			}
		}
		return nil
	})
	return found, err
}

func (j *FileJournal) put(bucket, k []byte, v any) error {
	b, err := encodeRecord(k, v)
	if err != nil {
		return err
	}
	return j.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(k, b) })
}

func (j *FileJournal) get(bucket, k []byte, v any) (bool, error) {
	var raw []byte
	err := j.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucket).Get(k); b != nil {
			raw = append([]byte(nil), b...)
		}
		return nil
	})
	if err != nil || raw == nil {
		return false, err
	}
	return true, decodeRecord(k, raw, v, false)
}

// Remote is the remote the journal is bound to ("" for none yet).
func (j *FileJournal) Remote() (string, error) {
	var bound string
	err := j.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketMeta).Get(keyRemote)
		if raw == nil {
			return nil
		}
		return decodeRecord(keyRemote, raw, &bound, false)
	})
	return bound, err
}

// Batches lists the batches the journal holds anything of, in order.
func (j *FileJournal) Batches() ([]string, error) {
	seen := map[string]bool{}
	var out []string
	err := j.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAttempts, bucketRows} {
			if err := tx.Bucket(b).ForEach(func(k, _ []byte) error {
				batch, _, _ := bytes.Cut(k, []byte{0})
				if !seen[string(batch)] {
					seen[string(batch)] = true
					out = append(out, string(batch))
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// Rows are the row records of a batch, by row key.
func (j *FileJournal) Rows(batch string) (map[string]RowRecord, error) {
	out := map[string]RowRecord{}
	prefix := []byte(batch + "\x00")
	err := j.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRows).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r RowRecord
			if err := decodeRecord(k, v, &r, false); err != nil {
				return err
			}
			if err := r.check(k); err != nil {
				return err
			}
			out[string(k[len(prefix):])] = r
		}
		return nil
	})
	return out, err
}
