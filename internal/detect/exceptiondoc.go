package detect

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/sigma"
)

// ExceptionDoc describes the filter document of an exception, as ExceptionFilter
// writes it.
type ExceptionDoc struct {
	// ID is the document's id: a UUID (version 4, as Sigma asks), or empty.
	ID string
	// Rule is the id or name of the rule the exception applies to.
	Rule string
	// Title names the exception (default: "Exception for rule <Rule>"); Author is who
	// made it; Reason, written as the description, says why the matches are false
	// positives.
	Title, Author, Reason string
	// Fields are the event fields and values of the matches to suppress, in the names
	// the rule's logsource uses: a match is suppressed when every field equals its
	// value, by Sigma's default matching (the whole value, in any letter case). *, ?
	// and \ in a value match themselves. An empty value matches an absent or empty
	// field.
	Fields map[string]string
	// LogSource is the logsource of the rule; nil (for a correlation, which has none)
	// writes an empty one, which covers every rule.
	LogSource *sigma.LogSource
	// Created is the document's date (the day in UTC); zero leaves it out.
	Created time.Time
}

// exceptionYAML is the layout of an exception's filter document.
type exceptionYAML struct {
	Title       string        `yaml:"title"`
	ID          string        `yaml:"id,omitempty"`
	Description string        `yaml:"description,omitempty"`
	Author      string        `yaml:"author,omitempty"`
	Date        string        `yaml:"date,omitempty"`
	LogSource   logSourceYAML `yaml:"logsource"`
	Filter      filterYAML    `yaml:"filter"`
}

type logSourceYAML struct {
	Product    string `yaml:"product,omitempty"`
	Category   string `yaml:"category,omitempty"`
	Service    string `yaml:"service,omitempty"`
	Definition string `yaml:"definition,omitempty"`
}

type filterYAML struct {
	Rules     []string          `yaml:"rules"`
	Selection map[string]string `yaml:"selection"`
	Condition string            `yaml:"condition"`
}

// ExceptionFilter writes the Sigma filter document (YAML) of an exception: it applies
// to rule d.Rule and suppresses its matches on the events whose fields all equal the
// given values ("condition: not selection"). The document is checked by reading it
// back with ParseException: it loads, and each value matches only itself.
func ExceptionFilter(d ExceptionDoc) ([]byte, error) {
	if d.Rule == "" {
		return nil, errors.New("exception filter: no rule to apply to")
	}
	if len(d.Fields) == 0 {
		return nil, errors.New("exception filter: no field: an exception without one would suppress every match")
	}
	doc := exceptionYAML{Title: d.Title, ID: d.ID, Description: d.Reason, Author: d.Author,
		Filter: filterYAML{Rules: []string{d.Rule}, Selection: map[string]string{}, Condition: "not selection"}}
	if doc.Title == "" {
		doc.Title = "Exception for rule " + d.Rule
	}
	if !d.Created.IsZero() {
		doc.Date = d.Created.UTC().Format(time.DateOnly)
	}
	if ls := d.LogSource; ls != nil {
		doc.LogSource = logSourceYAML{Product: ls.Product, Category: ls.Category, Service: ls.Service, Definition: ls.Definition}
	}
	for _, f := range sortedKeys(d.Fields) {
		v := d.Fields[f]
		switch {
		case f == "" || strings.ContainsAny(f, "|\n"):
			return nil, fmt.Errorf("exception filter: field %q: a field name is not empty and has no | or line break", f)
		case !utf8.ValidString(v):
			return nil, fmt.Errorf("exception filter: field %s: the value is not valid UTF-8", f)
		}
		// The value is written as a Sigma string whose wildcards and backslashes are
		// escaped, so that it matches only itself.
		doc.Filter.Selection[f] = sigma.LiteralPattern(v).String()
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("exception filter: %w", err)
	}
	r, err := ParseException("exception filter", out)
	if err != nil {
		return nil, err
	}
	if err := checkLiteral(r, d.Fields); err != nil {
		return nil, fmt.Errorf("exception filter: %w", err)
	}
	return out, nil
}

// checkLiteral checks that a filter written by ExceptionFilter reads back as the
// fields it was given, each with the pattern of its value only.
func checkLiteral(r *sigma.Rule, fields map[string]string) error {
	s := r.Filter.Detection.Search("selection")
	if s == nil || s.Kind != sigma.SearchMap || len(s.Items) != len(fields) {
		return errors.New("the selection does not read back as written")
	}
	for _, it := range s.Items {
		v, ok := fields[it.Field]
		if !ok || len(it.Modifiers) > 0 || len(it.Values) != 1 || len(it.Values[0].Operands) != 1 {
			return fmt.Errorf("field %s does not read back as written", it.Field)
		}
		op := it.Values[0].Operands[0]
		if op.Kind != sigma.OperandString || !op.Pattern.Equal(sigma.LiteralPattern(v)) {
			return fmt.Errorf("field %s: the value %q does not read back as written", it.Field, v)
		}
	}
	return nil
}

// ParseException reads a Sigma filter document (as ExceptionFilter writes it, or as a
// user writes it) for an Exception; name names it in errors. The document must be one
// filter. Its rule references are left for SetExceptions to resolve against the
// engine's rules, so the loader's warning that they name no loaded rule is not an
// error.
func ParseException(name string, data []byte) (*sigma.Rule, error) {
	c, errs := sigma.Load(name, data)
	if len(errs) > 0 {
		list := make([]error, len(errs))
		for i, e := range errs {
			list[i] = e
		}
		return nil, errors.Join(list...)
	}
	switch {
	case len(c.Rules) != 1:
		return nil, fmt.Errorf("%s: %d documents: an exception is one filter document", name, len(c.Rules))
	case c.Rules[0].Kind != sigma.KindFilter:
		return nil, fmt.Errorf("%s: the document is a %s: an exception is a filter", name, c.Rules[0].Kind)
	}
	return c.Rules[0], nil
}
