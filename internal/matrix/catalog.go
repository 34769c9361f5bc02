package matrix

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// catalogFS holds the catalog as compiled into the binary.
//
//go:embed catalog/*.yaml
var catalogFS embed.FS

// Text is a piece of text in Chinese and English; both are required.
type Text struct {
	Zh string `yaml:"zh" json:"zh"`
	En string `yaml:"en" json:"en"`
}

// empty reports whether neither language is present.
func (t Text) empty() bool {
	return strings.TrimSpace(t.Zh) == "" && strings.TrimSpace(t.En) == ""
}

// Tactic is a column of the matrix.
type Tactic struct {
	// ID is the two-letter code used in technique ids (IA for initial access).
	ID string `yaml:"id" json:"id"`
	// Order places the tactic in the attack path, 1 for initial access.
	Order int `yaml:"order" json:"order"`
	// Attack is the nearest MITRE ATT&CK tactic (TA0001).
	Attack      string `yaml:"attack" json:"attack"`
	Name        Text   `yaml:"name" json:"name"`
	Description Text   `yaml:"description" json:"description"`
	// Notes records what is uncertain about the tactic's mapping, if anything.
	Notes *Text `yaml:"notes,omitempty" json:"notes,omitempty"`

	pos position
}

// BestPractice is a mitigation that techniques refer to, taken from the best
// practices (mission section 2) and host security strategies (section 4).
type BestPractice struct {
	// ID is the reference used by techniques, such as BP-MFA.
	ID string `yaml:"id" json:"id"`
	// Sections lists the sections of the mission that ask for the practice.
	Sections    []int `yaml:"sections" json:"sections"`
	Name        Text  `yaml:"name" json:"name"`
	Description Text  `yaml:"description" json:"description"`

	pos position
}

// Edition says which edition of the matrix a technique comes from.
type Edition string

const (
	// EditionV1 marks the techniques of the matrix v1.0 (September 2021).
	EditionV1 Edition = "v1.0"
	// EditionLater marks the items that later public editions added and that fit
	// cloud servers.
	EditionLater Edition = "later"
)

// Phase is a phase of a response checklist.
type Phase string

// The five phases of a response checklist, in their order.
const (
	PhaseConfirm     Phase = "confirm"
	PhaseContain     Phase = "contain"
	PhaseInvestigate Phase = "investigate"
	PhaseEradicate   Phase = "eradicate"
	PhaseRecover     Phase = "recover"
)

// Phases returns the phases in the order a checklist goes through them.
func Phases() []Phase {
	return []Phase{PhaseConfirm, PhaseContain, PhaseInvestigate, PhaseEradicate, PhaseRecover}
}

// Action names a containment action that a checklist step asks for, so that a
// later stage can offer to carry it out. Steps without an action are done by hand.
type Action string

// The containment actions of the mission (section 1, response).
const (
	ActionBlockIP           Action = "block-ip"
	ActionLockUser          Action = "lock-user"
	ActionKillProcess       Action = "kill-process"
	ActionIsolateHost       Action = "isolate-host"
	ActionDisableAccessKey  Action = "disable-access-key"
	ActionDenySecurityGroup Action = "deny-security-group"
)

// Actions returns every containment action.
func Actions() []Action {
	return []Action{ActionBlockIP, ActionLockUser, ActionKillProcess, ActionIsolateHost,
		ActionDisableAccessKey, ActionDenySecurityGroup}
}

// Step is one human step of a response checklist.
type Step struct {
	Phase Phase `yaml:"phase" json:"phase"`
	// Action is the containment action the step asks for, if it is one.
	Action Action `yaml:"action,omitempty" json:"action,omitempty"`
	Text   `yaml:",inline"`
}

// CloudEvents lists, per provider, the audit events that can reveal a technique,
// each written "<service host>:<event name>". The keys are the values of the
// normalized field cloud.provider.
type CloudEvents struct {
	AWS     []string `yaml:"aws,omitempty" json:"aws,omitempty"`
	Tencent []string `yaml:"tencent_cloud,omitempty" json:"tencent_cloud,omitempty"`
	Alibaba []string `yaml:"alibaba_cloud,omitempty" json:"alibaba_cloud,omitempty"`
}

// Provider values, as the normalized field cloud.provider holds them.
const (
	ProviderAWS     = "aws"
	ProviderTencent = "tencent_cloud"
	ProviderAlibaba = "alibaba_cloud"
)

// Providers returns the cloud providers the catalog knows.
func Providers() []string {
	return []string{ProviderAWS, ProviderTencent, ProviderAlibaba}
}

// For returns the events of one provider (aws, tencent_cloud or alibaba_cloud).
func (c CloudEvents) For(provider string) []string {
	switch provider {
	case ProviderAWS:
		return c.AWS
	case ProviderTencent:
		return c.Tencent
	case ProviderAlibaba:
		return c.Alibaba
	}
	return nil
}

// Empty reports whether no provider has an event.
func (c CloudEvents) Empty() bool {
	return len(c.AWS) == 0 && len(c.Tencent) == 0 && len(c.Alibaba) == 0
}

// SplitCloudEvent splits "<service host>:<event name>" into its parts.
func SplitCloudEvent(s string) (service, name string, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// DataSources are the logs that can reveal a technique.
type DataSources struct {
	// Host lists Vigil's host log types (parser names: sshd, auditd, nginx, ...).
	Host  []string    `yaml:"host,omitempty" json:"host,omitempty"`
	Cloud CloudEvents `yaml:"cloud,omitempty" json:"cloud,omitempty"`
}

// Empty reports whether there is no data source at all.
func (d DataSources) Empty() bool {
	return len(d.Host) == 0 && d.Cloud.Empty()
}

// Undetectable explains why no log reveals a technique and what to watch instead.
type Undetectable struct {
	Reason Text `yaml:"reason" json:"reason"`
	// LaterEvidence lists the techniques whose detection is the evidence to watch.
	LaterEvidence []string `yaml:"later_evidence" json:"later_evidence"`
}

// Technique is a cell of the matrix.
type Technique struct {
	// ID is the stable id, CS-<tactic code>-<nn>.
	ID string `yaml:"id" json:"id"`
	// Tactic is the code of the technique's tactic.
	Tactic string `yaml:"tactic" json:"tactic"`
	// MissionName is the matrix item as the mission lists it, so that the catalog
	// can be checked against it.
	MissionName string  `yaml:"mission_name" json:"mission_name"`
	Edition     Edition `yaml:"edition" json:"edition"`
	Name        Text    `yaml:"name" json:"name"`
	Description Text    `yaml:"description" json:"description"`
	// Attack lists the nearest MITRE ATT&CK technique ids (T1078.004).
	Attack      []string    `yaml:"attack" json:"attack"`
	DataSources DataSources `yaml:"data_sources,omitempty" json:"data_sources"`
	// Detectable is false for techniques that no log can reveal; Undetectable then
	// says why and what to watch instead.
	Detectable   bool          `yaml:"detectable" json:"detectable"`
	Undetectable *Undetectable `yaml:"undetectable,omitempty" json:"undetectable,omitempty"`
	// Detection says what to look for in the data sources; detectable techniques
	// have it.
	Detection Text `yaml:"detection,omitempty" json:"detection"`
	// Mitigations are ids of best practices.
	Mitigations []string `yaml:"mitigations" json:"mitigations"`
	// Response is the default response checklist.
	Response []Step `yaml:"response" json:"response"`
	// Notes records what is uncertain (an ATT&CK mapping, a provider's event name).
	Notes *Text `yaml:"notes,omitempty" json:"notes,omitempty"`

	pos position
}

// Tag returns the Sigma tag of the technique (cs.ia-01).
func (t *Technique) Tag() string { return TagFor(t.ID) }

// Steps returns the steps of the response checklist in one phase.
func (t *Technique) Steps(p Phase) []Step {
	var out []Step
	for _, s := range t.Response {
		if s.Phase == p {
			out = append(out, s)
		}
	}
	return out
}

// position is where an entry was read, for error messages.
type position struct {
	file string
	line int
}

// Catalog is a loaded and validated catalog. Its accessors return the catalog's
// own entries, which callers must treat as read-only.
type Catalog struct {
	tactics       []*Tactic
	techniques    []*Technique
	bestPractices []*BestPractice

	tacticByID    map[string]*Tactic
	techniqueByID map[string]*Technique
	practiceByID  map[string]*BestPractice
}

// catalogFile is the content of one catalog file.
type catalogFile struct {
	Tactics       []Tactic       `yaml:"tactics"`
	BestPractices []BestPractice `yaml:"best_practices"`
	Techniques    []Technique    `yaml:"techniques"`
}

// Load reads the catalog compiled into the binary and validates it. Each call
// decodes the catalog afresh; callers keep the result.
func Load() (*Catalog, error) {
	sub, err := fs.Sub(catalogFS, "catalog")
	if err != nil {
		return nil, err
	}
	return LoadFS(sub)
}

// LoadFS reads the *.yaml files at the root of fsys, in lexical order, as one
// catalog and validates it. Decoding errors are reported first; if there are none,
// the error is the *ValidationError of Validate.
func LoadFS(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("matrix: no catalog files (*.yaml)")
	}
	c := &Catalog{}
	var errs []error
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := c.add(path.Base(name), data); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.index()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// add decodes one file strictly and appends its entries.
func (c *Catalog) add(name string, data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f catalogFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: the file holds no YAML document", name)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: the file holds more than one YAML document", name)
	}
	lines := entryLines(data)
	for i := range f.Tactics {
		f.Tactics[i].pos = position{name, lineOf(lines["tactics"], i)}
		c.tactics = append(c.tactics, &f.Tactics[i])
	}
	for i := range f.BestPractices {
		f.BestPractices[i].pos = position{name, lineOf(lines["best_practices"], i)}
		c.bestPractices = append(c.bestPractices, &f.BestPractices[i])
	}
	for i := range f.Techniques {
		f.Techniques[i].pos = position{name, lineOf(lines["techniques"], i)}
		c.techniques = append(c.techniques, &f.Techniques[i])
	}
	return nil
}

// entryLines returns, for each top-level list of a file, the line of each entry.
func entryLines(data []byte) map[string][]int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil
	}
	out := map[string][]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		for _, item := range root.Content[i+1].Content {
			out[root.Content[i].Value] = append(out[root.Content[i].Value], item.Line)
		}
	}
	return out
}

func lineOf(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return 0
}

// index orders the entries and builds the lookup maps. The first of two entries
// with the same id wins the lookup; Validate reports the second.
func (c *Catalog) index() {
	c.tacticByID = map[string]*Tactic{}
	c.techniqueByID = map[string]*Technique{}
	c.practiceByID = map[string]*BestPractice{}
	slices.SortStableFunc(c.tactics, func(a, b *Tactic) int { return a.Order - b.Order })
	for _, t := range c.tactics {
		if _, dup := c.tacticByID[t.ID]; !dup {
			c.tacticByID[t.ID] = t
		}
	}
	for _, p := range c.bestPractices {
		if _, dup := c.practiceByID[p.ID]; !dup {
			c.practiceByID[p.ID] = p
		}
	}
	order := func(t *Technique) int {
		if ta, ok := c.tacticByID[t.Tactic]; ok {
			return ta.Order
		}
		return int(^uint(0) >> 1)
	}
	slices.SortStableFunc(c.techniques, func(a, b *Technique) int {
		if d := order(a) - order(b); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, t := range c.techniques {
		if _, dup := c.techniqueByID[t.ID]; !dup {
			c.techniqueByID[t.ID] = t
		}
	}
}

// Tactics returns the tactics in attack-path order, initial access first.
func (c *Catalog) Tactics() []*Tactic { return slices.Clone(c.tactics) }

// Tactic returns the tactic with the code id (IA).
func (c *Catalog) Tactic(id string) (*Tactic, bool) {
	t, ok := c.tacticByID[id]
	return t, ok
}

// Techniques returns every technique, ordered by tactic and then by id.
func (c *Catalog) Techniques() []*Technique { return slices.Clone(c.techniques) }

// TechniquesOf returns the techniques of one tactic, ordered by id.
func (c *Catalog) TechniquesOf(tacticID string) []*Technique {
	var out []*Technique
	for _, t := range c.techniques {
		if t.Tactic == tacticID {
			out = append(out, t)
		}
	}
	return out
}

// Technique returns the technique with the id (CS-IA-01).
func (c *Catalog) Technique(id string) (*Technique, bool) {
	t, ok := c.techniqueByID[id]
	return t, ok
}

// ByAttack returns the techniques mapped to an ATT&CK technique id, in catalog
// order. The id may be written in lower case, as Sigma tags write it (t1098.001).
// A technique id without a sub-technique (T1098) also finds the techniques mapped
// to its sub-techniques (T1098.001); a sub-technique id finds only itself.
func (c *Catalog) ByAttack(attackID string) []*Technique {
	id := strings.ToUpper(strings.TrimSpace(attackID))
	if id == "" {
		return nil
	}
	parent := !strings.Contains(id, ".")
	var out []*Technique
	for _, t := range c.techniques {
		for _, a := range t.Attack {
			if a == id || parent && strings.HasPrefix(a, id+".") {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// BestPractice returns the best practice with the id (BP-MFA).
func (c *Catalog) BestPractice(id string) (*BestPractice, bool) {
	p, ok := c.practiceByID[id]
	return p, ok
}

// BestPractices returns every best practice, in the order of the catalog files.
func (c *Catalog) BestPractices() []*BestPractice { return slices.Clone(c.bestPractices) }
