package submit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
// what came back. Every write is committed and fsynced before it returns,
// so a step is recorded before the request that takes it goes out. bbolt
// holds an exclusive lock on the file for as long as it is open, which is
// what stops two runs on one journal.
type Journal struct {
	db   *bolt.DB
	path string
}

// OpenJournal opens (or creates) the journal at path.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 500 * time.Millisecond})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("journal %s: %w; wait for it to finish (or stop it) and run again", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketAttempts, bucketRows} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return &Journal{db: db, path: path}, nil
}

// Close releases the journal.
func (j *Journal) Close() error { return j.db.Close() }

// Path is where the journal lives.
func (j *Journal) Path() string { return j.path }

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
}

func key(batch, id string) []byte { return []byte(batch + "\x00" + id) }

// PutAttempt records an attempt (durably).
func (j *Journal) PutAttempt(a *Attempt) error {
	a.Updated = time.Now().UTC()
	return j.put(bucketAttempts, key(a.Batch, a.ID), a)
}

// Attempt returns the attempt with id, or nil.
func (j *Journal) Attempt(batch, id string) (*Attempt, error) {
	var a Attempt
	ok, err := j.get(bucketAttempts, key(batch, id), &a)
	if !ok || err != nil {
		return nil, err
	}
	return &a, nil
}

// Attempts lists a batch's attempts.
func (j *Journal) Attempts(batch string) ([]*Attempt, error) {
	var out []*Attempt
	prefix := []byte(batch + "\x00")
	err := j.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAttempts).Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			var a Attempt
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("attempt %q: %w", k, err)
			}
			out = append(out, &a)
		}
		return nil
	})
	return out, err
}

// PutRows records row outcomes in one durable write.
func (j *Journal) PutRows(batch string, rows map[string]RowRecord) error {
	return j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRows)
		for k, r := range rows {
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := b.Put(key(batch, k), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Finish records an attempt's final state and its rows' outcomes in one
// durable write, so a crash cannot leave one without the other.
func (j *Journal) Finish(a *Attempt, rows map[string]RowRecord) error {
	a.Updated = time.Now().UTC()
	av, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return j.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketAttempts).Put(key(a.Batch, a.ID), av); err != nil {
			return err
		}
		b := tx.Bucket(bucketRows)
		for k, r := range rows {
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := b.Put(key(a.Batch, k), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Row returns a row's record, or nil.
func (j *Journal) Row(batch, rowKey string) (*RowRecord, error) {
	var r RowRecord
	ok, err := j.get(bucketRows, key(batch, rowKey), &r)
	if !ok || err != nil {
		return nil, err
	}
	return &r, nil
}

func (j *Journal) put(bucket, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return j.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(k, b) })
}

func (j *Journal) get(bucket, k []byte, v any) (bool, error) {
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
	return true, json.Unmarshal(raw, v)
}
