package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/coverage"
)

func newMatrix() *cobra.Command {
	var format, dir, navigator string
	cmd := &cobra.Command{
		Use:   "matrix",
		Short: "Show the attack matrix and how the rules cover it",
		Long: "Prints the cloud-server attack matrix, tactic by tactic: per technique its id, its Chinese and\n" +
			"English name, the number of rules whose tags name it and the state of their tests (unknown\n" +
			"until a test run reports it). By default the rules built into this binary are counted; --rules\n" +
			"counts the rules of a directory instead. --navigator FILE also writes the coverage as a MITRE\n" +
			"ATT&CK Navigator layer (\"-\" for standard output, instead of the matrix).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "text", "markdown", "json":
			default:
				return fmt.Errorf("--format %q: use text, markdown or json", format)
			}
			rep, err := matrixReport(dir)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if navigator != "" {
				var buf bytes.Buffer
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep.Navigator("Vigil rule coverage")); err != nil {
					return err
				}
				if navigator == "-" {
					_, err = out.Write(buf.Bytes())
					return err
				}
				if err := os.WriteFile(navigator, buf.Bytes(), 0o644); err != nil {
					return err
				}
			}
			switch format {
			case "json":
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			case "markdown":
				return writeMatrixMarkdown(out, rep)
			}
			return writeMatrixText(out, rep)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, markdown or json")
	cmd.Flags().StringVar(&dir, "rules", "", "directory of Sigma rules to count (default: the rules built into this binary)")
	cmd.Flags().StringVar(&navigator, "navigator", "", "also write an ATT&CK Navigator layer to this file (\"-\": standard output only)")
	return cmd
}

// matrixReport computes the coverage of the rules of dir, or of the built-in rules,
// with the results of their tests.
func matrixReport(dir string) (*coverage.Report, error) {
	if dir == "" {
		return coverage.Builtin()
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("--rules %s: not a directory", dir)
	}
	return coverage.ForDir(dir)
}

func writeMatrixText(w io.Writer, rep *coverage.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, ta := range rep.Tactics {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "%s  %s  %s  (%s)\n", ta.ID, ta.Name.En, ta.Name.Zh, ta.Attack)
		// The Chinese name comes last: it is twice as wide as it counts, and would
		// throw the columns after it out of line.
		for _, te := range ta.Techniques {
			fmt.Fprintf(tw, "  %s\t%s\t%s\ttests: %s\t%s\n", te.ID, te.Name.En, ruleCount(te), te.Tests, te.Name.Zh)
		}
	}
	s := rep.Summary
	fmt.Fprintf(tw, "\n%d techniques, %d detectable, %d covered by %d rules (%d rules name no technique)\n",
		s.Techniques, s.Detectable, s.Covered, s.Rules, s.Unmapped)
	return tw.Flush()
}

// ruleCount writes a technique's rule count, or why it has none.
func ruleCount(te *coverage.Technique) string {
	switch {
	case te.RuleCount == 1:
		return "1 rule"
	case te.RuleCount > 1:
		return fmt.Sprintf("%d rules", te.RuleCount)
	case !te.Detectable:
		return "0 rules (not detectable)"
	}
	return "0 rules"
}

func writeMatrixMarkdown(w io.Writer, rep *coverage.Report) error {
	var b strings.Builder
	b.WriteString("# Attack matrix coverage\n")
	for _, ta := range rep.Tactics {
		fmt.Fprintf(&b, "\n## %s %s / %s (%s)\n\n", ta.ID, md(ta.Name.Zh), md(ta.Name.En), ta.Attack)
		b.WriteString("| Technique | 名称 | Name | ATT&CK | Rules | Tests |\n")
		b.WriteString("|---|---|---|---|---:|---|\n")
		for _, te := range ta.Techniques {
			rc := fmt.Sprint(te.RuleCount)
			if !te.Detectable {
				rc += " (not detectable)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", te.ID, md(te.Name.Zh), md(te.Name.En),
				strings.Join(te.Attack, ", "), rc, te.Tests)
		}
	}
	s := rep.Summary
	fmt.Fprintf(&b, "\n%d techniques, %d detectable, %d covered by %d rules (%d rules name no technique).\n",
		s.Techniques, s.Detectable, s.Covered, s.Rules, s.Unmapped)
	_, err := io.WriteString(w, b.String())
	return err
}

// md escapes the characters that would break a Markdown table cell.
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
