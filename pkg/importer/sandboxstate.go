package importer

import (
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/cspimporter/importer/pkg/submit"
)

// A sandbox run keeps the simulator's state beside its journal, one pair
// per batch, so that the sandbox does what Partner Center would: a second
// run of a batch Skips what the first bought, and a --create-only run's
// carts are the ones a later submit checks out. SubmitOptions.SandboxReset
// removes the pair.

// SandboxStatePath is the simulator's saved state beside a sandbox journal.
func SandboxStatePath(journal string) string {
	return strings.TrimSuffix(journal, ".journal") + ".sandbox"
}

// openFileJournal opens the journal at path and ties it to the remote it
// records. A sandbox reset first removes the batch's sandbox journal and
// saved state, once it holds the journal's lock (so no run in flight has
// them removed under it) and knows it is a sandbox's journal (so a real
// one given as --state is never removed).
func openFileJournal(path string, sandbox, reset bool) (submit.Journal, error) {
	remote := submit.RemotePartnerCenter
	if sandbox {
		remote = submit.RemoteSandbox
	}
	j, err := submit.OpenJournal(path)
	if err != nil {
		return nil, err
	}
	if err := j.Bind(remote); err != nil {
		_ = j.Close()
		return nil, err
	}
	if !sandbox || !reset {
		return j, nil
	}
	_ = j.Close()
	for _, p := range []string{path, SandboxStatePath(path)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return openFileJournal(path, sandbox, false)
}
