package cli

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/sigma"
)

func newRules() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Check Sigma rules",
	}
	cmd.AddCommand(newRulesLint(), newRulesTest())
	return cmd
}

func newRulesLint() *cobra.Command {
	var opts ruleFlags
	var warnings bool
	cmd := &cobra.Command{
		Use:   "lint DIR|FILE...",
		Short: "Load Sigma rules as the detection engine would and report every rule it cannot run",
		Long: "Reads the rule files (*.yml and *.yaml under each DIR, or each FILE), checks them against the\n" +
			"Sigma specification and compiles them for the detection engine: field names through the logsource\n" +
			"mapping, patterns, correlations and filters. Prints each rejected rule as 'file:line: reason' and\n" +
			"then 'loaded N, rejected M'; exits 1 when any rule is rejected.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, loadErrs, compileErrs, _, err := opts.load(args)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, e := range sortErrors(append(loadErrs, compileErrs...)) {
				fmt.Fprintln(out, e)
			}
			if warnings {
				for _, w := range c.Warnings {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s (warning)\n", w)
				}
			}
			loaded, rejected := c.Loaded()-len(compileErrs), c.Rejected+len(compileErrs)+unreadable(loadErrs)
			fmt.Fprintf(out, "loaded %d, rejected %d\n", loaded, rejected)
			if rejected > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	opts.register(cmd)
	cmd.Flags().BoolVar(&warnings, "warnings", false, "also print the warnings (problems that do not reject a rule) to standard error")
	return cmd
}

// ruleFlags are the flags that decide how rules load and compile.
type ruleFlags struct {
	ignoreLogsource bool
	logsources      string
	placeholders    string
}

func (o *ruleFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.ignoreLogsource, "ignore-logsource", false, "offer every event to every rule, and accept rules whose logsource has no mapping")
	cmd.Flags().StringVar(&o.logsources, "logsources", "", "YAML file of the logsource mapping and field pipelines (default: the built-in mapping)")
	cmd.Flags().StringVar(&o.placeholders, "placeholders", "", "YAML file of the values of the expand modifier's %name% placeholders (name: [values])")
}

// loader returns the rule loader, with the placeholder values when a file gives them.
func (o *ruleFlags) loader() (*sigma.Loader, error) {
	l := &sigma.Loader{}
	if o.placeholders == "" {
		return l, nil
	}
	data, err := os.ReadFile(o.placeholders)
	if err != nil {
		return nil, err
	}
	var raw map[string]detect.Values
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", o.placeholders, err)
	}
	l.Placeholders = sigma.Placeholders{}
	for k, v := range raw {
		l.Placeholders[k] = v
	}
	return l, nil
}

// options returns the engine options the flags ask for.
func (o *ruleFlags) options() (detect.Options, error) {
	opts := detect.Options{IgnoreLogsource: o.ignoreLogsource}
	if o.logsources != "" {
		data, err := os.ReadFile(o.logsources)
		if err != nil {
			return opts, err
		}
		if opts.Mapping, err = detect.LoadMapping(data); err != nil {
			return opts, fmt.Errorf("%s: %w", o.logsources, err)
		}
	}
	return opts, nil
}

// load reads the rules and compiles them. loadErrs are the loader's reasons (several
// may concern one document), compileErrs the compiler's (one per document), and err a
// problem that stops everything, such as a bad mapping.
func (o *ruleFlags) load(paths []string) (c *sigma.Collection, loadErrs, compileErrs []error, e *detect.Engine, err error) {
	opts, err := o.options()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	l, err := o.loader()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	c, lerrs := l.LoadPaths(paths...)
	for _, le := range lerrs {
		loadErrs = append(loadErrs, le)
	}
	e, compileErrs = detect.Compile(c, opts)
	if e == nil {
		return nil, nil, nil, nil, errors.Join(compileErrs...)
	}
	return c, loadErrs, compileErrs, e, nil
}

// sortErrors orders rule errors by file and line, as the loader orders its own.
func sortErrors(errs []error) []error {
	sort.SliceStable(errs, func(i, j int) bool {
		a, aok := errs[i].(*sigma.Error)
		b, bok := errs[j].(*sigma.Error)
		if !aok || !bok {
			return aok && !bok
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return errs
}

// unreadable counts the loader's errors about whole files that could not be read (a
// missing path, say): they reject no document, but lint fails on them all the same.
func unreadable(errs []error) int {
	n := 0
	for _, e := range errs {
		if se, ok := e.(*sigma.Error); ok && se.Line == 0 {
			n++
		}
	}
	return n
}
