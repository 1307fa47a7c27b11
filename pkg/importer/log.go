package importer

import (
	"io"

	"github.com/sirupsen/logrus"
)

// logOrDiscard is log, or a log that goes nowhere.
func logOrDiscard(log logrus.FieldLogger) logrus.FieldLogger {
	if log != nil {
		return log
	}
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}
