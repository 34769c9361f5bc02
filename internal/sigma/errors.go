package sigma

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Error is one problem found in a rule file: a reason for rejecting a document, or a
// warning about it. Line and Column are 1-based and point at the key or value at
// fault; they are zero only for problems that concern a whole file that could not be
// read.
type Error struct {
	File   string
	Line   int
	Column int
	// Rule names the document: its id, else its title, else its position in the file.
	Rule   string
	Reason string
}

// Error formats the problem as "file:line: reason".
func (e *Error) Error() string {
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// sortErrors orders errors by file, line and column, keeping the order of discovery
// among errors at the same place.
func sortErrors(errs []*Error) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// reporter collects the errors and warnings of one document.
type reporter struct {
	file  string
	rule  string
	errs  []*Error
	warns []*Error
}

// at builds an Error at the position of node n (or line 1 when n is nil).
func (r *reporter) at(n *yaml.Node, format string, args ...any) *Error {
	e := &Error{File: r.file, Line: 1, Column: 1, Rule: r.rule, Reason: fmt.Sprintf(format, args...)}
	if n != nil && n.Line > 0 {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// errorf records a reason to reject the document, at node n.
func (r *reporter) errorf(n *yaml.Node, format string, args ...any) {
	r.errs = append(r.errs, r.at(n, format, args...))
}

// warnf records a warning about the document, at node n.
func (r *reporter) warnf(n *yaml.Node, format string, args ...any) {
	r.warns = append(r.warns, r.at(n, format, args...))
}

// errorAt records a reason to reject the document at an explicit position.
func (r *reporter) errorAt(line, col int, format string, args ...any) {
	if line <= 0 {
		line, col = 1, 1
	}
	r.errs = append(r.errs, &Error{File: r.file, Line: line, Column: col, Rule: r.rule, Reason: fmt.Sprintf(format, args...)})
}

// failed tells whether any error has been recorded.
func (r *reporter) failed() bool { return len(r.errs) > 0 }

// setRule names the document in every error and warning recorded so far and later.
func (r *reporter) setRule(name string) {
	r.rule = name
	for _, e := range r.errs {
		e.Rule = name
	}
	for _, e := range r.warns {
		e.Rule = name
	}
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// yamlErrorLine extracts the line number from a YAML library error message, or 1.
func yamlErrorLine(err error) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 1
	}
	n, convErr := strconv.Atoi(m[1])
	if convErr != nil || n <= 0 {
		return 1
	}
	return n
}
