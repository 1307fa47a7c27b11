package store

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketSessions = []byte("sessions")
	bucketSignIns  = []byte("signins")
)

// SignIn is a sign-in under way: what the answer from the identity
// provider is checked with (the nonce, the PKCE verifier), kept under a
// hash of its state for the few minutes it may take, so that the answer
// may reach any instance of the app.
type SignIn struct {
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"`
	Expires  time.Time `json:"expires"`
}

// PutSignIn keeps a sign-in under way.
func (s *Store) PutSignIn(state string, in SignIn) error {
	v, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSignIns).Put([]byte(hashToken(state)), v) })
}

// TakeSignIn is the sign-in of state, removed so that it is used once
// (ErrNotFound: none, or it ended by now).
func (s *Store) TakeSignIn(state string, now time.Time) (*SignIn, error) {
	var in SignIn
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSignIns)
		k := []byte(hashToken(state))
		raw := b.Get(k)
		if raw == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			return err
		}
		return b.Delete(k)
	})
	if err != nil {
		return nil, err
	}
	if now.After(in.Expires) {
		return nil, ErrNotFound
	}
	return &in, nil
}

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
// nobody signed out of), and the sign-ins nobody finished.
func (s *Store) DropExpiredSessions(now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketSessions, bucketSignIns} {
			if err := dropExpired(tx.Bucket(name), now); err != nil {
				return err
			}
		}
		return nil
	})
}

// dropExpired deletes the records of a bucket whose expires has passed.
func dropExpired(bk *bolt.Bucket, now time.Time) error {
	var ended [][]byte
	err := bk.ForEach(func(k, v []byte) error {
		var rec struct {
			Expires time.Time `json:"expires"`
		}
		if json.Unmarshal(v, &rec) != nil || now.After(rec.Expires) {
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
}
