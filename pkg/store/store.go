// Package store keeps what the web app knows in its data directory: the
// batches people uploaded (every version), their approvals and the audit
// log (append-only), embedded (bbolt), every write committed and synced
// before it returns; and the API tokens (hashed), in a file of their own so
// that `importer token` can change them while the app runs.
package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
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

// Errors callers branch on.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrLocked   = errors.New("another importer is using this data directory")
)

var (
	bucketBatches = []byte("batches")
	bucketAudit   = []byte("audit")
)

// Store is the data directory's database.
type Store struct {
	db  *bolt.DB
	Dir string
}

// Open opens (or creates) the store in dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, "importer.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 500 * time.Millisecond})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("data directory %s: %w", dir, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBatches, bucketAudit, bucketSessions, bucketSignIns} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	return &Store{db: db, Dir: dir}, nil
}

// Close releases the store.
func (s *Store) Close() error { return s.db.Close() }

// Batch is one batch people upload, check, approve and buy.
type Batch struct {
	ID       string     `json:"id"`
	Name     string     `json:"batch"` // the journal's batch name
	Created  time.Time  `json:"created"`
	Versions []Version  `json:"versions"`
	Approval *Approval  `json:"approval"` // of the current version's plan; nil: none
	History  []Approval `json:"approvalHistory,omitempty"`
	// Purchase is the batch's purchase, once started.
	Purchase *Purchase `json:"purchase,omitempty"`
	// Requested: someone asked for a decision on a plan.
	Requested *Request `json:"approvalRequested,omitempty"`
	// Reserved is the last version number given to an upload (which
	// becomes a version once checked, or is never used).
	Reserved int `json:"reservedVersion,omitempty"`
}

// Request is someone asking for a decision on a plan.
type Request struct {
	By         string    `json:"by"`
	At         time.Time `json:"at"`
	PlanSHA256 string    `json:"planSha256"`
}

// Purchase is the buying of an approved version.
type Purchase struct {
	State      string    `json:"state"` // buying, done, finished-with-problems, failed
	By         string    `json:"by"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished,omitzero"`
	Version    int       `json:"version"`
	PlanSHA256 string    `json:"planSha256"`
	// RunID names the purchase's run, which keeps its name when it is
	// taken up again after its process died.
	RunID    string         `json:"runId,omitempty"`
	Error    string         `json:"error,omitempty"`
	Statuses map[string]int `json:"statuses,omitempty"`
	// Heartbeat is when the run buying it last said it was alive (with a
	// shared store: another instance resumes a purchase whose heartbeat
	// stopped).
	Heartbeat time.Time `json:"heartbeat,omitzero"`
	// Progress is how far the purchase is, as the run buying it last said
	// (with a shared store, so that every instance shows it).
	Progress *Progress `json:"progress,omitempty"`
	// FollowUpTried is when an instance of the app last took up the
	// automatic follow-up of these orders, answered or not: with a shared
	// store, one instance asks each time.
	FollowUpTried time.Time `json:"followUpTried,omitzero"`
	// FollowUp is what Partner Center last said of the orders bought.
	FollowUp *FollowUp `json:"followUp,omitempty"`
}

// Progress is how far a purchase is: carts and rows done of all, and the
// rows ordered, since Started (when this run of it began).
type Progress struct {
	Carts     int       `json:"carts"`
	CartsDone int       `json:"cartsDone"`
	Rows      int       `json:"rows"`
	RowsDone  int       `json:"rowsDone"`
	Bought    int       `json:"rowsOrdered"`
	Started   time.Time `json:"started"`
}

// FollowUp is one look at the orders of a purchase (importer status):
// rows whose orders are provisioned, still pending, or failed.
type FollowUp struct {
	At      time.Time `json:"at"`
	By      string    `json:"by"`
	Done    int       `json:"done"`
	Pending int       `json:"pending"`
	Failed  int       `json:"failed"`
	Error   string    `json:"error,omitempty"`
}

// Version is one upload of a batch's sheet.
type Version struct {
	N          int       `json:"version"`
	File       string    `json:"file"` // the sheet, in the data directory
	Name       string    `json:"name"` // as uploaded
	SHA256     string    `json:"sha256"`
	UploadedBy string    `json:"uploadedBy"`
	At         time.Time `json:"at"`
	Rows       int       `json:"rows"`
	Invalid    int       `json:"invalidRows"`
	PlanSHA256 string    `json:"planSha256"` // of the plan file, what an approval is bound to
	Online     bool      `json:"checkedOnline,omitempty"`
	// Costs are the plan's estimated cost of the lines to buy, per
	// currency (none without a price list).
	Costs []Amount `json:"estimatedCost,omitempty"`
}

// Amount is an amount of money in a currency.
type Amount struct {
	Currency string  `json:"currency"`
	Total    float64 `json:"total"`
}

// Approval is a decision on a plan.
type Approval struct {
	Decision   string    `json:"decision"` // approve or reject
	By         string    `json:"by"`
	At         time.Time `json:"at"`
	Comment    string    `json:"comment,omitempty"`
	PlanSHA256 string    `json:"planSha256"`
	Version    int       `json:"version"`
}

// Current is the batch's latest version.
func (b *Batch) Current() *Version {
	if len(b.Versions) == 0 {
		return nil
	}
	return &b.Versions[len(b.Versions)-1]
}

// NewID is a new batch id.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Reserve gives an upload of the batch named name the next version number,
// making the batch (without versions, so not listed yet) where there is
// none: two uploads at once get two numbers, and check their sheets at the
// same time. check may refuse the batch as it is (its error is returned).
func (s *Store) Reserve(name string, now time.Time, check func(*Batch) error) (*Batch, int, error) {
	var out *Batch
	err := s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketBatches)
		var found *Batch
		err := bk.ForEach(func(_, v []byte) error {
			var b Batch
			if err := json.Unmarshal(v, &b); err != nil {
				return err
			}
			if b.Name == name && found == nil {
				found = &b
			}
			return nil
		})
		if err != nil {
			return err
		}
		if found == nil {
			found = &Batch{ID: NewID(), Name: name, Created: now}
		} else if err := check(found); err != nil {
			return err
		}
		found.Reserved = max(found.Reserved, len(found.Versions)) + 1
		v, err := json.Marshal(found)
		if err != nil {
			return err
		}
		out = found
		return bk.Put([]byte(found.ID), v)
	})
	if err != nil {
		return nil, 0, err
	}
	return out, out.Reserved, nil
}

// AddVersion adds a checked version to its batch, in order of number (an
// upload that started later may finish first).
func (s *Store) AddVersion(id string, v Version) (*Batch, error) {
	return s.update(id, true, func(b *Batch) error {
		b.Versions = append(b.Versions, v)
		sort.Slice(b.Versions, func(i, j int) bool { return b.Versions[i].N < b.Versions[j].N })
		return nil
	})
}

// PutBatch stores a batch as it is.
func (s *Store) PutBatch(b *Batch) error {
	v, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketBatches).Put([]byte(b.ID), v) })
}

// UpdateBatch changes a batch under the store's write lock: f sees the
// batch as stored and may refuse (its error is returned, nothing written).
func (s *Store) UpdateBatch(id string, f func(*Batch) error) (*Batch, error) {
	return s.update(id, false, f)
}

// update changes a batch; one without a version yet is not found unless
// empty is true.
func (s *Store) update(id string, empty bool, f func(*Batch) error) (*Batch, error) {
	var out *Batch
	err := s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketBatches)
		raw := bk.Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		var b Batch
		if err := json.Unmarshal(raw, &b); err != nil {
			return err
		}
		if len(b.Versions) == 0 && !empty {
			return ErrNotFound
		}
		if err := f(&b); err != nil {
			return err
		}
		v, err := json.Marshal(&b)
		if err != nil {
			return err
		}
		out = &b
		return bk.Put([]byte(id), v)
	})
	return out, err
}

// Batch returns a batch.
func (s *Store) Batch(id string) (*Batch, error) {
	var b Batch
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketBatches).Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		return json.Unmarshal(raw, &b)
	})
	if err != nil {
		return nil, err
	}
	if len(b.Versions) == 0 {
		return nil, ErrNotFound // its first upload is still being checked
	}
	return &b, nil
}

// Batches lists every batch, newest first.
func (s *Store) Batches() ([]*Batch, error) {
	var out []*Batch
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBatches).ForEach(func(_, v []byte) error {
			var b Batch
			if err := json.Unmarshal(v, &b); err != nil {
				return err
			}
			if len(b.Versions) > 0 { // else its first upload is still being checked
				out = append(out, &b)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, err
}

// Entry is one line of the audit log.
type Entry struct {
	Seq    uint64    `json:"seq"`
	At     time.Time `json:"at"`
	Who    string    `json:"who"`
	From   string    `json:"from,omitempty"` // the client's address
	Action string    `json:"action"`         // upload, approve, reject, download, …
	Batch  string    `json:"batch,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Audit appends to the audit log; entries are never changed or removed.
func (s *Store) Audit(e Entry) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.Seq = seq
		if e.At.IsZero() {
			e.At = time.Now().UTC()
		}
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], seq)
		return b.Put(k[:], v)
	})
}

// AuditLog lists the audit log, oldest first.
func (s *Store) AuditLog() ([]Entry, error) {
	var out []Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAudit).ForEach(func(_, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
