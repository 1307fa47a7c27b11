package store

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketSessions = []byte("sessions")

// Session is a signed-in person, kept so that a restart of the app signs
// nobody out. It is stored under a hash of its cookie's value, so the
// database holds nothing a browser could present. Roles are not kept: they
// are worked out from Who and Groups on every request, so a person taken
// out of a role loses it at the app's next start, not at the session's end.
type Session struct {
	Who     string    `json:"who"`
	Groups  []string  `json:"groups,omitempty"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

// PutSession keeps the session of the cookie value id.
func (s *Store) PutSession(id string, sess Session) error {
	v, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Put([]byte(hashToken(id)), v)
	})
}

// Session is the session of the cookie value id (ErrNotFound: none, or it
// expired by now, and is removed).
func (s *Store) Session(id string, now time.Time) (*Session, error) {
	var sess Session
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketSessions).Get([]byte(hashToken(id)))
		if raw == nil {
			return ErrNotFound
		}
		return json.Unmarshal(raw, &sess)
	})
	if err != nil {
		return nil, err
	}
	if now.After(sess.Expires) {
		_ = s.DeleteSession(id)
		return nil, ErrNotFound
	}
	return &sess, nil
}

// DeleteSession ends the session of the cookie value id.
func (s *Store) DeleteSession(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Delete([]byte(hashToken(id)))
	})
}

// DropExpiredSessions removes the sessions that ended before now (those
// nobody signed out of).
func (s *Store) DropExpiredSessions(now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketSessions)
		var ended [][]byte
		err := bk.ForEach(func(k, v []byte) error {
			var sess Session
			if json.Unmarshal(v, &sess) != nil || now.After(sess.Expires) {
				ended = append(ended, k)
			}
			return nil
		})
		// Deleting while iterating would skip keys.
		for _, k := range ended {
			if err == nil {
				err = bk.Delete(k)
			}
		}
		return err
	})
}
