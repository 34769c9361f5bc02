package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Loader reads rule files with a configuration. The zero Loader is ready to use; it
// has no placeholder values, so rules whose values use the expand modifier are
// rejected, as the specification requires of a tool that cannot resolve them.
type Loader struct {
	// Placeholders holds the values of the %name% placeholders of the expand
	// modifier.
	Placeholders Placeholders
}

// Load reads one file with the zero Loader. See Loader.Load.
func Load(name string, data []byte) (*Collection, []*Error) {
	return (&Loader{}).Load(name, data)
}

// LoadDir reads the *.yml and *.yaml files under root in fsys with the zero Loader.
func LoadDir(fsys fs.FS, root string) (*Collection, []*Error) {
	return (&Loader{}).LoadDir(fsys, root)
}

// LoadPaths reads files and directories (recursively, *.yml and *.yaml) with the
// zero Loader.
func LoadPaths(paths ...string) (*Collection, []*Error) {
	return (&Loader{}).LoadPaths(paths...)
}

// Load reads one file, which may hold several YAML documents, named name in errors.
// References between its documents (correlations, filters) are resolved within the
// file. It returns the documents that passed every check and the reasons for
// rejecting the others, ordered by position.
func (l *Loader) Load(name string, data []byte) (*Collection, []*Error) {
	return l.build([]*parsedFile{l.parseFile(name, data)})
}

// Source is a rule file held in memory: its name (in errors) and its content.
type Source struct {
	Name string
	Data []byte
}

// LoadSources reads files held in memory, in the order given, and resolves references
// across all of them.
func (l *Loader) LoadSources(files []Source) (*Collection, []*Error) {
	parsed := make([]*parsedFile, len(files))
	for i, f := range files {
		parsed[i] = l.parseFile(f.Name, f.Data)
	}
	return l.build(parsed)
}

// LoadDir reads the *.yml and *.yaml files under root in fsys, in lexical order,
// and resolves references across all of them.
func (l *Loader) LoadDir(fsys fs.FS, root string) (*Collection, []*Error) {
	var files []*parsedFile
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			files = append(files, failedFile(p, err))
			return nil
		}
		if d.IsDir() || !isRuleFile(p) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			files = append(files, failedFile(p, err))
			return nil
		}
		files = append(files, l.parseFile(p, data))
		return nil
	})
	if err != nil {
		files = append(files, failedFile(root, err))
	}
	return l.build(files)
}

// LoadPaths reads files and directories (recursively, *.yml and *.yaml, in lexical
// order) and resolves references across all of them. A file named explicitly is
// read whatever its extension.
func (l *Loader) LoadPaths(paths ...string) (*Collection, []*Error) {
	var files []*parsedFile
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			files = append(files, failedFile(root, err))
			continue
		}
		if !info.IsDir() {
			files = append(files, l.readFile(root))
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				files = append(files, failedFile(p, err))
				return nil
			}
			if !d.IsDir() && isRuleFile(p) {
				files = append(files, l.readFile(p))
			}
			return nil
		})
		if err != nil {
			files = append(files, failedFile(root, err))
		}
	}
	return l.build(files)
}

func (l *Loader) readFile(p string) *parsedFile {
	data, err := os.ReadFile(p)
	if err != nil {
		return failedFile(p, err)
	}
	return l.parseFile(p, data)
}

// isRuleFile tells whether a path found in a directory names a rule file: a YAML file
// that is not a rule's test events (NAME.tests.yml beside NAME.yml, see docs/RULES.md).
// A test file named explicitly is still read.
func isRuleFile(p string) bool {
	lower := strings.ToLower(path.Base(p))
	ext := path.Ext(lower)
	if ext != ".yml" && ext != ".yaml" {
		return false
	}
	return !strings.HasSuffix(strings.TrimSuffix(lower, ext), ".tests")
}

// parsedFile is what one file yielded before references are resolved.
type parsedFile struct {
	name     string
	rules    []*Rule
	errs     []*Error
	warns    []*Error
	rejected int
	// rejectedRefs holds the ids (lower case) and names of rejected documents, so
	// that references to them can say why they fail.
	rejectedRefs map[string]bool
}

// failedFile records a file that could not be read.
func failedFile(name string, err error) *parsedFile {
	return &parsedFile{name: name, errs: []*Error{{File: name, Reason: err.Error()}}, rejectedRefs: map[string]bool{}}
}

// decodeNext decodes the next YAML document, turning a panic of the YAML library on
// hostile input into an error.
func decodeNext(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

// parseFile reads every document of one file.
func (l *Loader) parseFile(name string, data []byte) *parsedFile {
	pf := &parsedFile{name: name, rejectedRefs: map[string]bool{}}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var global, prev *yaml.Node
	for index := 1; ; index++ {
		var doc yaml.Node
		err := decodeNext(dec, &doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			pf.errs = append(pf.errs, &Error{File: name, Line: yamlErrorLine(err), Column: 1,
				Rule: "document " + strconv.Itoa(index), Reason: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
			pf.rejected++
			break
		}
		root := &doc
		if doc.Kind == yaml.DocumentNode {
			if len(doc.Content) == 0 {
				continue
			}
			root = doc.Content[0]
		}
		if isNull(root) {
			continue // an empty document, e.g. after a trailing ---
		}
		p := &docParser{nodeReader: nodeReader{reporter: &reporter{file: name, rule: "document " + strconv.Itoa(index)}},
			placeholders: l.Placeholders, lines: lines}
		root = p.deref(root)
		if root == nil {
			pf.reject(p, nil)
			continue
		}
		action, body := p.collectionAction(root)
		switch action {
		case "global":
			global, prev = body, body
			continue
		case "reset":
			global = nil
			continue
		case "repeat":
			if prev == nil {
				p.errorf(root, "action: repeat needs a document before it to repeat")
				pf.reject(p, nil)
				continue
			}
			body = p.merge(prev, body, true)
		case "":
			if global != nil {
				body = p.merge(global, body, false)
			}
		default:
			pf.reject(p, nil)
			continue
		}
		prev = body
		r := p.parseDocument(body, index)
		if p.failed() || r == nil {
			pf.reject(p, r)
			continue
		}
		pf.rules = append(pf.rules, r)
		pf.warns = append(pf.warns, p.warns...)
	}
	return pf
}

// reject records a rejected document and its errors.
func (pf *parsedFile) reject(p *docParser, r *Rule) {
	pf.rejected++
	pf.errs = append(pf.errs, p.errs...)
	pf.warns = append(pf.warns, p.warns...)
	if r != nil {
		if r.ID != "" {
			pf.rejectedRefs[strings.ToLower(r.ID)] = true
		}
		if r.Name != "" {
			pf.rejectedRefs[r.Name] = true
		}
	}
}

// collectionAction reads the action key of a rule collection (multi-document file)
// and returns it with the document without it. The actions are those of Sigma 1
// collections that pySigma still reads: global sets a template merged into every
// following document, reset drops it, repeat reads the previous document again with
// this one's keys replacing its own. Sigma 2.1 no longer describes them.
func (p *docParser) collectionAction(root *yaml.Node) (string, *yaml.Node) {
	if root.Kind != yaml.MappingNode {
		return "", root
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Kind != yaml.ScalarNode || k.Value != "action" {
			continue
		}
		v := p.deref(root.Content[i+1])
		if v == nil || v.Kind != yaml.ScalarNode {
			p.errorf(k, "action must be global, reset or repeat")
			return "invalid", root
		}
		switch v.Value {
		case "global", "reset", "repeat":
		default:
			p.errorf(v, "unknown collection action %q: use global, reset or repeat", v.Value)
			return "invalid", root
		}
		body := *root
		body.Content = append(append([]*yaml.Node(nil), root.Content[:i]...), root.Content[i+2:]...)
		return v.Value, &body
	}
	return "", root
}

// merge combines a base document with an overlay. Mappings merge key by key, at
// every depth. For other values the overlay wins when override is set (repeat);
// otherwise (global) a key set in both is an error, because pySigma lets the global
// document win while the Sigma 1 tools let the document win.
func (p *docParser) merge(base, overlay *yaml.Node, override bool) *yaml.Node {
	if base.Kind != yaml.MappingNode || overlay.Kind != yaml.MappingNode {
		return overlay
	}
	out := *overlay
	out.Content = nil
	over := map[string]pair{}
	for _, kv := range p.pairs(overlay) {
		over[kv.key.Value] = kv
	}
	done := map[string]bool{}
	for _, kv := range p.pairs(base) {
		o, both := over[kv.key.Value]
		switch {
		case !both:
			out.Content = append(out.Content, kv.key, kv.val)
		case kv.val.Kind == yaml.MappingNode && o.val.Kind == yaml.MappingNode:
			out.Content = append(out.Content, o.key, p.merge(kv.val, o.val, override))
		case override || sameScalar(kv.val, o.val):
			out.Content = append(out.Content, o.key, o.val)
		default:
			p.errorf(o.key, "%q is set both here and in the global document (line %d)", kv.key.Value, kv.key.Line)
			out.Content = append(out.Content, o.key, o.val)
		}
		done[kv.key.Value] = true
	}
	for _, kv := range p.pairs(overlay) {
		if !done[kv.key.Value] {
			out.Content = append(out.Content, kv.key, kv.val)
		}
	}
	return &out
}

// sameScalar tells whether two nodes are the same plain value.
func sameScalar(a, b *yaml.Node) bool {
	return a.Kind == yaml.ScalarNode && b.Kind == yaml.ScalarNode && a.Value == b.Value && a.ShortTag() == b.ShortTag()
}
