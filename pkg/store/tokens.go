package store

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/cspimporter/importer/pkg/atomicfile"
)

// Token is an API token, kept as the SHA-256 of its secret.
type Token struct {
	Name    string    `json:"name"`
	Hash    string    `json:"hash"`
	Roles   []string  `json:"roles"`
	Created time.Time `json:"created"`
}

// The tokens are DIR/tokens.json, written whole and renamed into place
// under a lock (DIR/tokens.lock), so a running app reads them afresh and
// `importer token` needs no running app.
func tokensPath(dir string) string { return filepath.Join(dir, "tokens.json") }

// Tokens lists the store's API tokens (names, roles, hashes).
func (s *Store) Tokens() ([]Token, error) { return Tokens(s.Dir) }

// RevokeToken removes one of the store's API tokens.
func (s *Store) RevokeToken(name string) error { return RevokeToken(s.Dir, name) }

// CreateToken makes a token in the data directory dir and returns its
// secret, which is kept nowhere: only its hash is stored.
func CreateToken(dir, name string, roles []string) (string, error) {
	secret := NewTokenSecret()
	err := changeTokens(dir, func(ts []Token) ([]Token, error) {
		for _, t := range ts {
			if t.Name == name {
				return nil, fmt.Errorf("token %q: %w", name, ErrExists)
			}
		}
		return append(ts, Token{Name: name, Hash: hashToken(secret), Roles: roles, Created: time.Now().UTC()}), nil
	})
	return secret, err
}

// RevokeToken removes a token.
func RevokeToken(dir, name string) error {
	return changeTokens(dir, func(ts []Token) ([]Token, error) {
		for i, t := range ts {
			if t.Name == name {
				return append(ts[:i], ts[i+1:]...), nil
			}
		}
		return nil, fmt.Errorf("token %q: %w", name, ErrNotFound)
	})
}

// Tokens lists the tokens of the data directory (names and roles).
func Tokens(dir string) ([]Token, error) {
	b, err := os.ReadFile(tokensPath(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ts []Token
	if err := json.Unmarshal(b, &ts); err != nil {
		return nil, fmt.Errorf("%s is damaged: %w", tokensPath(dir), err)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts, nil
}

// TokenBySecret finds the token a secret is, or ErrNotFound.
func TokenBySecret(dir, secret string) (*Token, error) {
	ts, err := Tokens(dir)
	if err != nil {
		return nil, err
	}
	h := []byte(hashToken(secret))
	for i := range ts {
		if subtle.ConstantTimeCompare([]byte(ts[i].Hash), h) == 1 {
			return &ts[i], nil
		}
	}
	return nil, ErrNotFound
}

// TokenBySecret is TokenBySecret of the store's directory.
func (s *Store) TokenBySecret(secret string) (*Token, error) { return TokenBySecret(s.Dir, secret) }

// CreateToken is CreateToken in the store's directory.
func (s *Store) CreateToken(name string, roles []string) (string, error) {
	return CreateToken(s.Dir, name, roles)
}

func changeTokens(dir string, f func([]Token) ([]Token, error)) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "tokens.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	ts, err := Tokens(dir)
	if err != nil {
		return err
	}
	if ts, err = f(ts); err != nil {
		return err
	}
	if ts == nil {
		ts = []Token{}
	}
	b, err := json.MarshalIndent(ts, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(tokensPath(dir), func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return err
	}
	return os.Chmod(tokensPath(dir), 0o600)
}

// NewTokenSecret is a new API token's secret.
func NewTokenSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "imp_" + hex.EncodeToString(b[:])
}

// Hash is what a store keeps of a secret (an API token, a session
// cookie): its SHA-256, never the secret.
func Hash(secret string) string { return hashToken(secret) }
