package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/cspimporter/importer/pkg/importer"
	"github.com/cspimporter/importer/pkg/prices"
)

// A config file holds what a cron line would otherwise repeat. Its keys are
// the commands' long flag names (endpoint, rate, concurrency, batch, inbox,
// notify, ...), so a setting means the same in the file and on the command
// line. A flag given on the command line wins over the file; the
// environment only ever carries secrets, which a config file must not.

// configFile is a config file's settings, key -> values (a list key, like
// notify, may have several).
type configFile struct {
	path     string
	settings map[string][]string
}

// secretKeys, and keys ending in -KEY (client-secret, refresh-token,
// smtp-password), may not be in a config file: secrets belong in the
// environment or the owner-only credentials file.
var secretKeys = []string{"secret", "token", "password"}

// loadConfig reads a YAML (.yaml, .yml) or TOML (.toml) config file.
func loadConfig(path string) (*configFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	raw := map[string]any{}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		// Decoded as nodes, so a value is the text written: YAML would make
		// batch: 2026-11-01 a time, and print it back as another string.
		nodes := map[string]yaml.Node{}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&nodes); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		for k, n := range nodes {
			raw[k] = yamlValue(&n)
		}
	case ".toml":
		if _, err := toml.Decode(string(b), &raw); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	default:
		return nil, fmt.Errorf("config %s: name it .yaml, .yml or .toml, so its format is clear", path)
	}
	c := &configFile{path: path, settings: map[string][]string{}}
	for k, v := range raw {
		key := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "_", "-")
		for _, s := range secretKeys {
			if key == s || strings.HasSuffix(key, "-"+s) {
				return nil, fmt.Errorf("config %s: %q is a secret; put it in the environment or the --credentials file, never in a config file", path, k)
			}
		}
		vals, err := configValues(v)
		if err != nil {
			return nil, fmt.Errorf("config %s, %s: %w", path, k, err)
		}
		c.settings[key] = vals
	}
	return c, nil
}

// yamlValue is a node as configValues takes it: text, a list, a section.
func yamlValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return n.Value
	case yaml.SequenceNode:
		list := make([]any, len(n.Content))
		for i, c := range n.Content {
			list[i] = yamlValue(c)
		}
		return list
	case yaml.AliasNode:
		return yamlValue(n.Alias)
	default:
		return map[string]any{}
	}
}

func configValues(v any) ([]string, error) {
	switch v := v.(type) {
	case time.Time:
		// TOML's dates and times, written back as they were written: the
		// decoder marks local ones by the name of their zone.
		layout := time.RFC3339Nano
		switch v.Location().String() {
		case "date-local":
			layout = time.DateOnly
		case "datetime-local":
			layout = "2006-01-02T15:04:05.999999999"
		case "time-local":
			layout = "15:04:05.999999999"
		}
		return []string{v.Format(layout)}, nil
	case []any:
		var out []string
		for _, e := range v {
			vals, err := configValues(e)
			if err != nil {
				return nil, err
			}
			out = append(out, vals...)
		}
		return out, nil
	case map[string]any:
		return nil, errors.New("a section is not a setting: write the keys at the top level")
	case nil:
		return nil, errors.New("no value")
	default:
		return []string{fmt.Sprint(v)}, nil
	}
}

// apply sets every flag of cmd the file has a setting for and the command
// line did not set. Keys that are not flags of cmd are left for the
// commands they belong to; check finds the ones no command knows.
func (c *configFile) apply(flags *pflag.FlagSet) error {
	keys := make([]string, 0, len(c.settings))
	for k := range c.settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := flags.Lookup(k)
		if f == nil || f.Changed || k == "config" {
			continue
		}
		for _, v := range c.settings[k] {
			if err := flags.Set(k, v); err != nil {
				return fmt.Errorf("config %s, %s: %w", c.path, k, err)
			}
		}
	}
	return nil
}

// check lists the keys no command knows and the values their flag
// refuses (checkValues goes on to what a run would refuse).
func (c *configFile) check(root *cobra.Command) []string {
	var problems []string
	for k, vals := range c.settings {
		known := false
		for _, cmd := range root.Commands() {
			fs := pflag.NewFlagSet(cmd.Name(), pflag.ContinueOnError)
			fs.AddFlagSet(cmd.Flags())
			fs.AddFlagSet(root.PersistentFlags())
			f := fs.Lookup(k)
			if f == nil {
				continue
			}
			known = true
			// Parse into a scratch copy, so checking sets nothing.
			scratch := pflag.NewFlagSet("check", pflag.ContinueOnError)
			scratch.AddFlag(&pflag.Flag{Name: f.Name, Value: cloneValue(f), Usage: f.Usage})
			for _, v := range vals {
				if err := scratch.Set(k, v); err != nil {
					problems = append(problems, badValue(f, v))
					break
				}
			}
			break
		}
		if !known {
			problems = append(problems, fmt.Sprintf("%s: no command has this setting (settings are the long flag names, e.g. endpoint, rate, inbox, notify)", k))
		}
	}
	sort.Strings(problems)
	return problems
}

// badValue says in words why v is no value for f: what kind of value it
// takes, and what the setting is.
func badValue(f *pflag.Flag, v string) string {
	what := "is not a valid value"
	switch f.Value.Type() {
	case "int", "uint64":
		what = "is not a whole number"
	case "bool":
		what = "is not true or false (yes/no)"
	case "duration":
		what = "is not a length of time; write it with a unit, e.g. 10s, 5m or 1h"
	}
	return fmt.Sprintf("%s: %q %s — %s: %s", f.Name, v, what, f.Name, f.Usage)
}

// cloneValue is a fresh value of a flag's type, to parse into.
func cloneValue(f *pflag.Flag) pflag.Value {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	switch f.Value.Type() {
	case "int":
		fs.Int(f.Name, 0, "")
	case "bool":
		fs.Bool(f.Name, false, "")
	case "duration":
		fs.Duration(f.Name, 0, "")
	case "stringArray":
		fs.StringArray(f.Name, nil, "")
	case "uint64":
		fs.Uint64(f.Name, 0, "")
	default:
		fs.String(f.Name, "", "")
	}
	return fs.Lookup(f.Name).Value
}

func newConfigCmd(a *app, root func() *cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with config files",
	}
	check := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Check a config file (default: --config): every key known, every value valid",
		Example: `  importer config check /etc/importer/importer.yaml
  importer --config importer.toml config check`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := a.config
			if len(args) == 1 {
				path = args[0]
			}
			if path == "" {
				return fail(errors.New("name the config file: importer config check FILE"))
			}
			c, err := loadConfig(path)
			if err != nil {
				return fail(err)
			}
			// Every problem at once: the keys and values, then what a run
			// would refuse of the values that could be read.
			problems := append(c.check(root()), c.checkValues()...)
			if len(problems) > 0 {
				return fail(fmt.Errorf("config %s:\n  %s", path, strings.Join(problems, "\n  ")))
			}
			fmt.Fprintf(a.stdout, "config %s is valid: %d settings\n", path, len(c.settings))
			return nil
		},
	}
	cmd.AddCommand(check)
	return cmd
}

// checkValues applies the file to a fresh watch command (which has every
// setting a run can have) and runs the checks a run would.
func (c *configFile) checkValues() []string {
	var problems []string
	o := defaultWatchOptions()
	fs := pflag.NewFlagSet("config", pflag.ContinueOnError)
	o.register(fs)
	var root app
	root.registerPersistent(fs)
	// A value that cannot be read is check's to report; the rest are
	// checked as a run would.
	for k, vals := range c.settings {
		f := fs.Lookup(k)
		if f == nil || k == "config" {
			continue
		}
		for _, v := range vals {
			// pflag sets a number it cannot parse to 0: try a copy first.
			if cloneValue(f).Set(v) == nil {
				_ = fs.Set(k, v)
			}
		}
	}
	if f := root.logFormat; f != logAuto && f != logText && f != logJSON {
		problems = append(problems, fmt.Sprintf("log-format %q: use auto, text or json", f))
	}
	if err := o.submitOptions.check(); err != nil {
		problems = append(problems, err.Error())
	}
	if err := importer.CheckURL(o.endpoint); err != nil && !o.sandbox {
		problems = append(problems, "endpoint: "+err.Error())
	}
	if o.credentials != "" {
		if err := importer.CheckCredentialsFile(o.credentials); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if o.prices != "" {
		if _, err := prices.Load(context.Background(), o.prices, func(string) bool { return false }); err != nil {
			problems = append(problems, "prices: "+err.Error())
		}
	}
	if o.inbox != "" {
		if err := o.check(); err != nil {
			problems = append(problems, err.Error())
		}
		if info, err := os.Stat(o.inbox); err != nil {
			problems = append(problems, "inbox: "+err.Error())
		} else if !info.IsDir() {
			problems = append(problems, "inbox "+o.inbox+" is not a directory")
		}
	}
	return problems
}
