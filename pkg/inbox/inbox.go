// Package inbox is a watched folder of order sheets: it finds the sheets
// that have stopped changing, claims each for processing, and files it
// away with its results when done, so that a sheet is never lost and
// never processed twice, even when the process is killed between steps.
//
// Layout, under the inbox directory:
//
//	orders.xlsx             dropped in by a person (with orders.plan.json, its approved plan, if any)
//	processing/orders/      a claimed sheet: the sheet, its plan, and the results as they are written
//	done/orders/            the sheet with its results, when every row passed
//	failed/orders/          the same, when not
//
// Every step is one rename, so a directory is always in exactly one place.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/cspimporter/importer/pkg/atomicfile"
	"github.com/cspimporter/importer/pkg/report"
)

// Subdirectories of an inbox.
const (
	Processing = "processing"
	Done       = "done"
	Failed     = "failed"
)

// PlanSuffix names a sheet's approved plan: orders.xlsx -> orders.plan.json.
const PlanSuffix = ".plan.json"

// Inbox is one watched directory.
type Inbox struct {
	Dir string
	// Settle is how long a file must have stopped changing before it is
	// taken: a sheet still being copied in is left alone.
	Settle time.Duration
	Now    func() time.Time

	// Skipped, if set, is told once of each file with a sheet's name that
	// is not taken, and why (a symlink, say).
	Skipped func(name, why string)

	seen    map[string]look
	skipped map[string]bool
	lock    *os.File
}

type look struct {
	size int64
	mod  time.Time
	at   time.Time
}

// ErrLocked: another importer is watching the inbox.
var ErrLocked = errors.New("another importer is watching this inbox")

// Open prepares dir as an inbox and locks it for this process (until it
// exits, or Close): two watchers would resume the same jobs. Directories
// are made 0777 less the umask, like any new one, so the operator's umask
// decides who on a shared inbox may read the results.
func Open(dir string, settle time.Duration) (*Inbox, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("inbox %s is not a directory", dir)
	}
	for _, sub := range []string{Processing, Done, Failed} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o777); err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
	}
	lock, err := os.OpenFile(filepath.Join(dir, Processing, ".lock"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("inbox %s: %w", dir, ErrLocked)
		}
		return nil, fmt.Errorf("inbox: lock: %w", err)
	}
	return &Inbox{Dir: dir, Settle: settle, Now: time.Now, seen: map[string]look{}, skipped: map[string]bool{}, lock: lock}, nil
}

// Close lets another watcher have the inbox.
func (b *Inbox) Close() error { return b.lock.Close() }

// IsSheet: would the inbox take this file name? Hidden files and Excel's
// lock files (~$orders.xlsx) are not sheets.
func IsSheet(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".csv":
		return true
	}
	return false
}

// PlanFor is the name of a sheet's plan file.
func PlanFor(sheet string) string {
	return strings.TrimSuffix(sheet, filepath.Ext(sheet)) + PlanSuffix
}

// Ready lists, in name order, the sheets in the inbox that have stopped
// changing: seen before with the same size and modification time at
// least Settle ago, and not modified for Settle.
func (b *Inbox) Ready() ([]string, error) {
	entries, err := os.ReadDir(b.Dir)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	now := b.Now()
	var ready []string
	present := map[string]bool{}
	for _, e := range entries {
		if !IsSheet(e.Name()) {
			continue
		}
		if !e.Type().IsRegular() {
			b.skip(e)
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // taken away meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
		name := e.Name()
		present[name] = true
		prev, ok := b.seen[name]
		if ok && prev.size == info.Size() && prev.mod.Equal(info.ModTime()) {
			if now.Sub(prev.at) >= b.Settle && now.Sub(info.ModTime()) >= b.Settle {
				ready = append(ready, name)
			}
			continue
		}
		b.seen[name] = look{size: info.Size(), mod: info.ModTime(), at: now}
	}
	for name := range b.seen {
		if !present[name] {
			delete(b.seen, name)
		}
	}
	sort.Strings(ready)
	return ready, nil
}

// skip tells once why a file with a sheet's name is not taken. A symlink
// is not followed: it could point anywhere the importer may read, and the
// sheet it names could change under the run.
func (b *Inbox) skip(e fs.DirEntry) {
	if b.skipped[e.Name()] || b.Skipped == nil {
		return
	}
	b.skipped[e.Name()] = true
	why := "it is not a regular file"
	switch {
	case e.Type()&fs.ModeSymlink != 0:
		why = "it is a symbolic link; copy the sheet itself into the inbox"
	case e.IsDir():
		why = "it is a folder"
	}
	b.Skipped(e.Name(), why)
}

// Wait looks at the inbox, waits for Settle, and returns what is ready
// then: the single pass of a cron run. It waits only if there is a sheet.
func (b *Inbox) Wait(ctx context.Context) ([]string, error) {
	ready, err := b.Ready()
	if err != nil || len(b.seen) == len(ready) {
		return ready, err
	}
	t := time.NewTimer(b.Settle)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, nil
	case <-t.C:
	}
	return b.Ready()
}

// Job is a sheet being processed, in its own directory under processing/.
type Job struct {
	Dir   string // processing/<stem>
	Sheet string // the sheet's file name
	inbox *Inbox
}

// Input is the path of the job's sheet.
func (j *Job) Input() string { return filepath.Join(j.Dir, j.Sheet) }

// Path is the path of a file of the job, next to the sheet.
func (j *Job) Path(name string) string { return filepath.Join(j.Dir, name) }

// Stem is the sheet's name without its extension.
func (j *Job) Stem() string { return strings.TrimSuffix(j.Sheet, filepath.Ext(j.Sheet)) }

// Plan is the path of the job's plan file, "" if the sheet came without.
func (j *Job) Plan() string {
	p := j.Path(PlanFor(j.Sheet))
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// HasPlan: is the sheet's plan file in the inbox, and has it stopped
// changing (not modified for Settle)?
func (b *Inbox) HasPlan(sheet string) bool {
	info, err := os.Stat(filepath.Join(b.Dir, PlanFor(sheet)))
	return err == nil && info.Mode().IsRegular() && b.Now().Sub(info.ModTime()) >= b.Settle
}

// Claim moves a sheet (and its plan, if there is one) into a directory of
// its own under processing/. The plan goes first: a job directory always
// has its sheet's plan by the time it has the sheet.
func (b *Inbox) Claim(sheet string) (*Job, error) {
	dir, err := unique(filepath.Join(b.Dir, Processing), strings.TrimSuffix(sheet, filepath.Ext(sheet)), true)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", sheet, err)
	}
	j := &Job{Dir: dir, Sheet: sheet, inbox: b}
	// The marker names the sheet before anything is moved, so a resumed job
	// never mistakes the results it wrote for the user's sheet.
	if err := atomicfile.Write(j.Path(Marker), func(w io.Writer) error {
		_, err := io.WriteString(w, sheet+"\n")
		return err
	}); err != nil {
		_ = os.Remove(dir)
		return nil, fmt.Errorf("claim %s: %w", sheet, err)
	}
	plan := PlanFor(sheet)
	if err := os.Rename(filepath.Join(b.Dir, plan), j.Path(plan)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("claim %s: %w", sheet, err)
	}
	if err := os.Rename(filepath.Join(b.Dir, sheet), j.Input()); err != nil {
		b.putBack(j)
		return nil, fmt.Errorf("claim %s: %w", sheet, err)
	}
	delete(b.seen, sheet)
	return j, nil
}

// Pending lists the jobs an earlier run left in processing/ (it was
// stopped, or killed), to be resumed before anything new. A directory
// without a sheet (killed while claiming) is put back into the inbox. What
// a killed run was writing and did not finish, in processing/, done/ or
// failed/, is removed.
func (b *Inbox) Pending() ([]*Job, error) {
	entries, err := os.ReadDir(filepath.Join(b.Dir, Processing))
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	var jobs []*Job
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(b.Dir, Processing, e.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
		j := &Job{Dir: dir, inbox: b}
		// The rerun writes again what the killed run did not finish.
		if err := removeUnfinished(dir, files); err != nil {
			return nil, err
		}
		if j.Sheet, err = sheetOf(dir, files); err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
		if j.Sheet == "" {
			b.putBack(j)
			continue
		}
		jobs = append(jobs, j)
	}
	if err := b.sweepFiled(); err != nil {
		return nil, err
	}
	return jobs, nil
}

// removeUnfinished removes the writes a killed run left unfinished in a
// job directory (atomic writes' temporary files: .NAME.….tmp).
func removeUnfinished(dir string, files []os.DirEntry) error {
	for _, f := range files {
		name := f.Name()
		if strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp") {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("inbox: %w", err)
			}
		}
	}
	return nil
}

// sweepFiled removes the writes a killed run left unfinished in the job
// directories of done/ and failed/ (a summary or a follow-up's results
// workbook being rewritten); the run holding the inbox's lock is the only
// writer there, so none is in progress.
func (b *Inbox) sweepFiled() error {
	return b.eachFiled(removeUnfinished)
}

// Filed lists the jobs filed under done/ and failed/, for the follow-up of
// their orders; a directory whose sheet cannot be told is left out.
func (b *Inbox) Filed() ([]*Job, error) {
	var jobs []*Job
	err := b.eachFiled(func(dir string, files []os.DirEntry) error {
		if sheet, err := sheetOf(dir, files); err == nil && sheet != "" {
			jobs = append(jobs, &Job{Dir: dir, Sheet: sheet, inbox: b})
		}
		return nil
	})
	return jobs, err
}

// eachFiled calls f with each job directory under done/ and failed/, and
// what it holds.
func (b *Inbox) eachFiled(f func(dir string, files []os.DirEntry) error) error {
	for _, under := range []string{Done, Failed} {
		entries, err := os.ReadDir(filepath.Join(b.Dir, under))
		if err != nil {
			return fmt.Errorf("inbox: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			dir := filepath.Join(b.Dir, under, e.Name())
			files, err := os.ReadDir(dir)
			if err != nil {
				return fmt.Errorf("inbox: %w", err)
			}
			if err := f(dir, files); err != nil {
				return err
			}
		}
	}
	return nil
}

// Marker is the file in a job directory that names the job's sheet.
const Marker = ".importer-job"

// sheetOf names the sheet of a job directory: the one its marker names, if
// it is there. A directory from a version without markers is read by
// elimination: X's results beside a sheet X are X's (report.ResultsPath,
// or the name an older version gave them), so re-dropping
// orders.results.xlsx is not confused with the orders.results-2.xlsx it
// produces.
func sheetOf(dir string, files []fs.DirEntry) (string, error) {
	have := map[string]bool{}
	for _, f := range files {
		if f.Type().IsRegular() {
			have[f.Name()] = true
		}
	}
	if have[Marker] {
		b, err := os.ReadFile(filepath.Join(dir, Marker))
		if err != nil {
			return "", err
		}
		if name := strings.TrimSpace(string(b)); have[name] {
			return name, nil
		}
		return "", nil
	}
	ours := map[string]bool{}
	for name := range have {
		if IsSheet(name) {
			ours[report.ResultsPath(name)] = true
			// Before the rule of report.ResultsPath, X.xlsx and X.csv got
			// X.results.xlsx, and X.results.xlsx got X.results.results.xlsx.
			ours[strings.TrimSuffix(name, filepath.Ext(name))+report.ResultsSuffix] = true
		}
	}
	var sheets []string
	for name := range have {
		if IsSheet(name) && !ours[name] {
			sheets = append(sheets, name)
		}
	}
	if len(sheets) != 1 {
		if len(sheets) > 1 {
			return "", fmt.Errorf("%s holds several sheets (%s) and no %s naming its own; file them by hand", dir, strings.Join(sheets, ", "), Marker)
		}
		return "", nil
	}
	return sheets[0], nil
}

// putBack returns what a half-claimed job holds to the inbox: the sheet's
// plan, the only thing a claim moves before the sheet.
func (b *Inbox) putBack(j *Job) {
	files, _ := os.ReadDir(j.Dir)
	for _, f := range files {
		if f.Name() == Marker {
			_ = os.Remove(j.Path(Marker))
			continue
		}
		_ = os.Rename(j.Path(f.Name()), filepath.Join(b.Dir, f.Name()))
	}
	_ = os.Remove(j.Dir)
}

// Finish files the job under done/ (ok) or failed/, in one rename, and
// returns where it went.
// Destination is where Finish(ok) would file the job now: to name in what
// is written before it is filed (the sheet's error file), so that nothing
// names processing/. Only one watcher works an inbox, so nothing else
// takes the name in between.
func (j *Job) Destination(ok bool) (string, error) {
	sub := Failed
	if ok {
		sub = Done
	}
	return unique(filepath.Join(j.inbox.Dir, sub), filepath.Base(j.Dir), false)
}

func (j *Job) Finish(ok bool) (string, error) {
	// Filed, the directory holds only the sheet and its results; a kill
	// between these two steps leaves a job that is read by elimination.
	if err := os.Remove(j.Path(Marker)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("file %s: %w", j.Sheet, err)
	}
	sub := Failed
	if ok {
		sub = Done
	}
	parent := filepath.Join(j.inbox.Dir, sub)
	for {
		dest, err := unique(parent, filepath.Base(j.Dir), false)
		if err != nil {
			return "", err
		}
		// Rename onto an existing empty directory succeeds on Linux, so
		// unique only picks a free name; a race to it is retried.
		if err := os.Rename(j.Dir, dest); err != nil {
			if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
				continue
			}
			return "", fmt.Errorf("file %s under %s/: %w", j.Sheet, sub, err)
		}
		j.Dir = dest
		return dest, nil
	}
}

// unique is parent/name, or parent/name-2, -3, ... if taken; with create,
// the directory is made (so two claims cannot pick the same one).
func unique(parent, name string, create bool) (string, error) {
	for n := 1; ; n++ {
		p := filepath.Join(parent, name)
		if n > 1 {
			p = filepath.Join(parent, fmt.Sprintf("%s-%d", name, n))
		}
		if create {
			err := os.Mkdir(p, 0o777)
			if err == nil {
				return p, nil
			}
			if !errors.Is(err, fs.ErrExist) {
				return "", err
			}
			continue
		}
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p, nil
		} else if err != nil {
			return "", err
		}
	}
}
