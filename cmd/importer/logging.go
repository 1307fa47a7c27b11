package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
	"golang.org/x/term"
)

// Log formats of --log-format.
const (
	logAuto = "auto" // text on a terminal, JSON lines otherwise
	logText = "text"
	logJSON = "json"
)

// setupLog points log at w in the format asked for. Every line goes
// through a redactor, so a secret registered with it can never be
// written, whatever code logs it.
func setupLog(log *logrus.Logger, w io.Writer, format string, verbose bool, secrets *redactor) error {
	var f logrus.Formatter
	switch strings.ToLower(format) {
	case logAuto, "":
		if isTerminal(w) {
			f = &logrus.TextFormatter{FullTimestamp: true, TimestampFormat: "15:04:05"}
		} else {
			f = jsonFormatter()
		}
	case logText:
		f = &logrus.TextFormatter{FullTimestamp: true, TimestampFormat: "2006-01-02 15:04:05", DisableColors: !isTerminal(w)}
	case logJSON:
		f = jsonFormatter()
	default:
		return fmt.Errorf("--log-format %q: use auto, text or json", format)
	}
	log.SetOutput(w)
	log.SetFormatter(&redactingFormatter{inner: f, secrets: secrets})
	if verbose {
		log.SetLevel(logrus.DebugLevel)
	}
	return nil
}

func jsonFormatter() logrus.Formatter {
	return &logrus.JSONFormatter{FieldMap: logrus.FieldMap{logrus.FieldKeyMsg: "msg"}}
}

// isTerminal: is w a terminal (not a pipe, file or buffer)?
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// redactor holds the secrets of a run: the client secret, the refresh
// token, webhook URLs and the like.
type redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// add registers secrets; very short values are ignored (they would blot
// out ordinary words and cannot be meaningful secrets).
func (r *redactor) add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		// Each run of a long watch registers its secrets again: keep one.
		if len(s) < 6 || slices.Contains(r.secrets, s) {
			continue
		}
		r.secrets = append(r.secrets, s)
		// As a JSON log line spells it, if that differs (quotes, &, <, >).
		if b, err := json.Marshal(s); err == nil {
			if q := string(b[1 : len(b)-1]); q != s {
				r.secrets = append(r.secrets, q)
			}
		}
	}
}

func (r *redactor) redact(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}

type redactingFormatter struct {
	inner   logrus.Formatter
	secrets *redactor
}

func (f *redactingFormatter) Format(e *logrus.Entry) ([]byte, error) {
	b, err := f.inner.Format(e)
	if err != nil || f.secrets == nil {
		return b, err
	}
	return []byte(f.secrets.redact(string(b))), nil
}
