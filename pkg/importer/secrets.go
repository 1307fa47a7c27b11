package importer

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
)

// Secrets are the values of a run that must never be shown: the client
// secret, the refresh token, webhook URLs, the SMTP password. The front end
// owns one and redacts its log with it; the core adds what it learns. A nil
// *Secrets holds nothing.
type Secrets struct {
	mu     sync.RWMutex
	values []string
}

// Add registers secrets; very short values are ignored (they would blot
// out ordinary words and cannot be meaningful secrets).
func (r *Secrets) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		// Each run of a long watch registers its secrets again: keep one.
		if len(s) < 6 || slices.Contains(r.values, s) {
			continue
		}
		r.values = append(r.values, s)
		// As a JSON log line spells it, if that differs (quotes, &, <, >).
		if b, err := json.Marshal(s); err == nil {
			if q := string(b[1 : len(b)-1]); q != s {
				r.values = append(r.values, q)
			}
		}
	}
}

// Redact replaces every secret in s.
func (r *Secrets) Redact(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, secret := range r.values {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}
