package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/coverage"
	"github.com/vigilsec/vigil/internal/rulestest"
)

func newRulesTest() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run every rule's positive and negative test events through the engine (default: the rules built into vigil)",
		Long: "Each rule NAME.yml has its test events in NAME.tests.yml beside it (see docs/RULES.md). A positive case\n" +
			"must raise an alert of the rule, a negative case must not. Exit 1 on any miss or false hit.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if len(args) == 1 {
				dir = args[0]
			} else {
				tmp, cleanup, err := coverage.UnpackBuiltin()
				if err != nil {
					return err
				}
				defer cleanup()
				dir = tmp
			}
			if _, err := os.Stat(dir); err != nil {
				return err
			}
			results, err := rulestest.Run(dir, nil)
			if err != nil {
				return err
			}
			out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			failed := 0
			files := map[string]bool{}
			for _, r := range results {
				files[r.RuleFile] = true
				if len(args) == 0 {
					if rel, err := filepath.Rel(dir, r.RuleFile); err == nil {
						r.RuleFile = filepath.ToSlash(filepath.Join("rules", rel))
					}
				}
				if !r.Passed() {
					failed++
					fmt.Fprintln(out, r.String())
				} else if verbose {
					fmt.Fprintln(out, r.String())
				}
			}
			fmt.Fprintf(stderr, "rules %d, cases %d, failed %d\n", len(files), len(results), failed)
			if failed > 0 || len(results) == 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every case, not only failures")
	return cmd
}
