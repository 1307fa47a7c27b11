package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
	"golang.org/x/term"

	"github.com/cspimporter/importer/pkg/importer"
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
func setupLog(log *logrus.Logger, w io.Writer, format string, verbose bool, secrets *importer.Secrets) error {
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
	if l, ok := w.(*lockedWriter); ok {
		w = l.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

type redactingFormatter struct {
	inner   logrus.Formatter
	secrets *importer.Secrets
}

func (f *redactingFormatter) Format(e *logrus.Entry) ([]byte, error) {
	b, err := f.inner.Format(e)
	if err != nil || f.secrets == nil {
		return b, err
	}
	return []byte(f.secrets.Redact(string(b))), nil
}

// lockedWriter writes to w one call at a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
