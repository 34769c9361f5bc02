package rulestest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/enrich"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/parse"
)

// TestsSuffix ends the name of a test file: the tests of rules/x/NAME.yml are in
// rules/x/NAME.tests.yml.
const TestsSuffix = ".tests.yml"

// MaxRepeat bounds the repeat of one case.
const MaxRepeat = 10000

// Now is the reference time of the test events: year-less syslog timestamps resolve
// against it, and input without any time gets it.
var Now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// File is one test file.
type File struct {
	// Path is the file's path as given to LoadFile.
	Path string
	// Placeholders holds test values for the %name% placeholders of the expand
	// modifier that the rule uses; production values come from configuration.
	Placeholders map[string][]string `yaml:"placeholders"`
	// Instances are the cloud instances the platform knows from its agents: the
	// events of every case are enriched with them as the server enriches events.
	Instances []enrich.Instance `yaml:"instances"`
	Positive  []*Case           `yaml:"positive"`
	Negative  []*Case           `yaml:"negative"`
}

// Case is one test case: input that must, or must not, fire the rule.
type Case struct {
	Name string `yaml:"name"`
	// Log is text input: log lines (or JSON lines), parsed as `vigil parse` parses
	// them, the type detected per line unless Type forces one.
	Log string `yaml:"log"`
	// Type forces the parser of Log (one of parse.Types).
	Type string `yaml:"type"`
	// Records are JSON records, each parsed as one record (containers such as a
	// CloudTrail file are opened as usual).
	Records []map[string]any `yaml:"records"`
	// Repeat feeds the whole input this many times (0 and 1 mean once).
	Repeat int `yaml:"repeat"`

	// Positive tells a case that must fire the rule from one that must not.
	Positive bool `yaml:"-"`
	// Line is the line of the case in its file.
	Line int `yaml:"-"`

	enricher *enrich.Enricher
}

// Cases returns the positive cases, then the negative ones.
func (f *File) Cases() []*Case {
	return append(slices.Clone(f.Positive), f.Negative...)
}

// LoadFile reads and checks a test file. The decoding is strict: unknown keys,
// duplicate keys and a second YAML document are errors.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse reads a test file's content; name is used in errors.
func Parse(name string, data []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the file is empty", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: the file holds more than one YAML document", name)
	}
	f := &File{Path: name}
	if err := decodeStrict(&root, f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	setLines(&root, f)
	for _, c := range f.Positive {
		if c != nil {
			c.Positive = true
		}
	}
	var errs []error
	seen := map[string]bool{}
	for _, c := range f.Cases() {
		if c == nil {
			errs = append(errs, fmt.Errorf("%s: a case is empty", name))
			continue
		}
		where := fmt.Sprintf("%s:%d", name, c.Line)
		switch {
		case strings.TrimSpace(c.Name) == "":
			errs = append(errs, fmt.Errorf("%s: a case has no name", where))
		case seen[c.Name]:
			errs = append(errs, fmt.Errorf("%s: two cases are named %q", where, c.Name))
		}
		seen[c.Name] = true
		if strings.TrimSpace(c.Log) == "" && len(c.Records) == 0 {
			errs = append(errs, fmt.Errorf("%s: case %q has no input (log or records)", where, c.Name))
		}
		if c.Type != "" && !slices.Contains(parse.Types(), c.Type) {
			errs = append(errs, fmt.Errorf("%s: case %q forces the unknown type %q (known: %v)", where, c.Name, c.Type, parse.Types()))
		}
		if c.Type != "" && strings.TrimSpace(c.Log) == "" {
			errs = append(errs, fmt.Errorf("%s: case %q forces a type but has no log", where, c.Name))
		}
		if c.Repeat < 0 || c.Repeat > MaxRepeat {
			errs = append(errs, fmt.Errorf("%s: case %q: repeat must be between 1 and %d", where, c.Name, MaxRepeat))
		}
	}
	if len(f.Instances) > 0 {
		en := enrich.New(f.Instances)
		if en.Len() != len(f.Instances) {
			errs = append(errs, fmt.Errorf("%s: every instance needs an instance_id", name))
		}
		for _, c := range f.Cases() {
			if c != nil {
				c.enricher = en
			}
		}
	}
	for k, vs := range f.Placeholders {
		if len(vs) == 0 {
			errs = append(errs, fmt.Errorf("%s: placeholder %q has no values", name, k))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

// decodeStrict decodes a node with unknown fields refused.
func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// setLines records the line of each case.
func setLines(root *yaml.Node, f *File) {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		var cases []*Case
		switch doc.Content[i].Value {
		case "positive":
			cases = f.Positive
		case "negative":
			cases = f.Negative
		default:
			continue
		}
		for j, item := range doc.Content[i+1].Content {
			if j < len(cases) && cases[j] != nil {
				cases[j].Line = item.Line
			}
		}
	}
}

// Events parses the input of a case into events, as `vigil parse` would, with Now as
// the reference time and host as the host of records that name none. Input that the
// parser rejects is an error.
func (c *Case) Events(host string) ([]*event.Event, error) {
	var rejected []string
	p, err := parse.New(parse.Options{
		Type:   c.Type,
		Now:    func() time.Time { return Now },
		Host:   host,
		Source: "rulestest",
		Reject: func(r parse.Rejection) {
			rejected = append(rejected, fmt.Sprintf("input %d: %s: %.80s", r.Index, r.Reason, r.Raw))
		},
	})
	if err != nil {
		return nil, err
	}
	var recs []byte
	for i, r := range c.Records {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i+1, err)
		}
		recs = append(recs, b...)
		recs = append(recs, '\n')
	}
	var out []*event.Event
	emit := func(ev *event.Event) {
		c.enricher.Event(ev)
		out = append(out, ev)
	}
	for range max(c.Repeat, 1) {
		if strings.TrimSpace(c.Log) != "" {
			if err := parse.Read(strings.NewReader(c.Log), p, emit); err != nil {
				return nil, err
			}
			p.Flush(emit)
		}
		if len(recs) > 0 {
			// Records are never forced to the log's type.
			rp, err := parse.New(parse.Options{Now: func() time.Time { return Now }, Host: host, Source: "rulestest-records",
				Reject: func(r parse.Rejection) {
					rejected = append(rejected, fmt.Sprintf("record %d: %s: %.80s", r.Index, r.Reason, r.Raw))
				}})
			if err != nil {
				return nil, err
			}
			if err := parse.Read(bytes.NewReader(recs), rp, emit); err != nil {
				return nil, err
			}
			rp.Flush(emit)
		}
	}
	if len(rejected) > 0 {
		return nil, fmt.Errorf("input rejected by the parser: %s", strings.Join(rejected, "; "))
	}
	slices.SortStableFunc(out, func(a, b *event.Event) int { return a.Time.Compare(b.Time) })
	return out, nil
}
