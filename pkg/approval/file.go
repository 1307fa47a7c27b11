package approval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cspimporter/importer/pkg/atomicfile"
)

// ErrNoPlan: the plan file does not exist.
var ErrNoPlan = errors.New("no plan")

// Write saves a plan atomically: an approver never sees half a file. A
// plan is small: ctx is looked at once, before it is written.
func Write(ctx context.Context, path string, p *Plan) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	})
	if err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	return nil
}

// Load reads a plan. Unknown fields are refused: a plan is a control, and
// a field this version does not check must not look as if it were checked.
// A plan is small: ctx is looked at once, before it is read.
func Load(ctx context.Context, path string) (*Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("plan %s: %w", path, ErrNoPlan)
	}
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", path, err)
	}
	return Parse(path, b)
}

// Parse reads a plan from its bytes (name says where they came from, for
// errors), with the checks Load makes.
func Parse(name string, b []byte) (*Plan, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("plan %s is not a plan written by importer validate --plan: %w", name, err)
	}
	if p.Version != Version {
		return nil, fmt.Errorf("plan %s has version %d; this importer reads version %d: make the plan again with importer validate --plan", name, p.Version, Version)
	}
	if len(p.SHA256) != 64 {
		return nil, fmt.Errorf("plan %s has no sheet hash (sha256)", name)
	}
	return &p, nil
}
