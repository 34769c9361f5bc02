package matrix

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with the catalog, at the entry that has it.
type Problem struct {
	File string
	Line int
	// Subject names the entry: "technique CS-IA-01", "tactic IA", ...
	Subject string
	Message string
}

// Error writes the problem as "file:line: subject: message"; a problem of the
// catalog as a whole has neither file nor line.
func (p Problem) Error() string {
	switch {
	case p.File == "":
		return fmt.Sprintf("%s: %s", p.Subject, p.Message)
	case p.Line == 0:
		return fmt.Sprintf("%s: %s: %s", p.File, p.Subject, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Subject, p.Message)
}

// ValidationError lists every problem Validate found, in file and line order.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "matrix: the catalog has %d problem(s):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

var (
	tacticIDRE       = regexp.MustCompile(`^[A-Z]{2}$`)
	attackTacticRE   = regexp.MustCompile(`^TA\d{4}$`)
	techniqueIDRE    = regexp.MustCompile(`^CS-([A-Z]{2})-(\d{2})$`)
	bestPracticeIDRE = regexp.MustCompile(`^BP-[A-Z0-9]+(-[A-Z0-9]+)*$`)
	attackIDRE       = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	serviceHostRE    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
	eventNameRE      = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
)

// HostLogTypes returns the host log types (Vigil's parser names) that a technique
// may list as data sources.
func HostLogTypes() []string {
	return []string{"accounts", "apache", "apache-error", "auditd", "cron", "kernel",
		"nginx", "nginx-error", "sshd", "su", "sudo", "syslog", "systemd"}
}

// providerDomains are the registrable domains of each provider's service hosts.
var providerDomains = map[string][]string{
	ProviderAWS:     {"amazonaws.com"},
	ProviderTencent: {"tencentcloudapi.com", "qcloud.com"},
	ProviderAlibaba: {"aliyuncs.com", "aliyun.com"},
}

// validator collects problems.
type validator struct {
	problems []Problem
}

func (v *validator) add(pos position, subject, format string, args ...any) {
	v.problems = append(v.problems, Problem{File: pos.file, Line: pos.line, Subject: subject,
		Message: fmt.Sprintf(format, args...)})
}

// text checks that a required text has both languages.
func (v *validator) text(pos position, subject, field string, t Text) {
	switch {
	case strings.TrimSpace(t.Zh) == "" && strings.TrimSpace(t.En) == "":
		v.add(pos, subject, "%s is missing (zh and en are required)", field)
	case strings.TrimSpace(t.Zh) == "":
		v.add(pos, subject, "%s has no zh text", field)
	case strings.TrimSpace(t.En) == "":
		v.add(pos, subject, "%s has no en text", field)
	}
}

// notes checks an optional text: absent, or both languages.
func (v *validator) notes(pos position, subject string, t *Text) {
	if t != nil {
		v.text(pos, subject, "notes", *t)
	}
}

// duplicates reports the values of list that occur more than once.
func (v *validator) duplicates(pos position, subject, what string, list []string) {
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s] {
			v.add(pos, subject, "%s %q is listed twice", what, s)
		}
		seen[s] = true
	}
}

// Validate checks the catalog: every id unique and well-formed; every technique's
// tactic exists and matches its id; every tactic has a technique; every mitigation
// and later-evidence reference exists; every ATT&CK id, host log type and cloud
// event is well-formed; Chinese and English text everywhere; every checklist goes
// through the five phases in order; detectable techniques have data sources and
// detection notes, and the others a reason and later evidence that is itself
// detectable. It returns a *ValidationError, or nil.
func (c *Catalog) Validate() error {
	v := &validator{}
	c.validateTactics(v)
	c.validateBestPractices(v)
	c.validateTechniques(v)
	if len(v.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(v.problems, func(a, b Problem) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	return &ValidationError{Problems: v.problems}
}

func (c *Catalog) validateTactics(v *validator) {
	if len(c.tactics) == 0 {
		v.problems = append(v.problems, Problem{Subject: "catalog", Message: "there are no tactics"})
	}
	ids, orders := map[string]bool{}, map[int]string{}
	for _, t := range c.tactics {
		subject := "tactic " + t.ID
		switch {
		case !tacticIDRE.MatchString(t.ID):
			v.add(t.pos, subject, "id %q is not two capital letters (IA)", t.ID)
		case ids[t.ID]:
			v.add(t.pos, subject, "id %s is used twice", t.ID)
		}
		ids[t.ID] = true
		switch other, dup := orders[t.Order]; {
		case t.Order < 1:
			v.add(t.pos, subject, "order %d is not a positive number", t.Order)
		case dup:
			v.add(t.pos, subject, "order %d is also the order of tactic %s", t.Order, other)
		}
		orders[t.Order] = t.ID
		if !attackTacticRE.MatchString(t.Attack) {
			v.add(t.pos, subject, "ATT&CK tactic %q is not of the form TA0001", t.Attack)
		}
		v.text(t.pos, subject, "name", t.Name)
		v.text(t.pos, subject, "description", t.Description)
		v.notes(t.pos, subject, t.Notes)
		if tacticIDRE.MatchString(t.ID) && len(c.TechniquesOf(t.ID)) == 0 {
			v.add(t.pos, subject, "the tactic has no technique")
		}
	}
}

func (c *Catalog) validateBestPractices(v *validator) {
	used := map[string]bool{}
	for _, t := range c.techniques {
		for _, m := range t.Mitigations {
			used[m] = true
		}
	}
	ids := map[string]bool{}
	for _, p := range c.bestPractices {
		subject := "best practice " + p.ID
		switch {
		case !bestPracticeIDRE.MatchString(p.ID):
			v.add(p.pos, subject, "id %q is not of the form BP-NAME (capital letters, digits, dashes)", p.ID)
		case ids[p.ID]:
			v.add(p.pos, subject, "id %s is used twice", p.ID)
		}
		ids[p.ID] = true
		if len(p.Sections) == 0 {
			v.add(p.pos, subject, "sections is empty (name the mission sections, 2 or 4, that ask for it)")
		}
		seen := map[int]bool{}
		for _, s := range p.Sections {
			switch {
			case s != 2 && s != 4:
				v.add(p.pos, subject, "section %d is not a section of best practices (2 or 4)", s)
			case seen[s]:
				v.add(p.pos, subject, "section %d is listed twice", s)
			}
			seen[s] = true
		}
		v.text(p.pos, subject, "name", p.Name)
		v.text(p.pos, subject, "description", p.Description)
		if !used[p.ID] {
			v.add(p.pos, subject, "no technique refers to the best practice")
		}
	}
}

func (c *Catalog) validateTechniques(v *validator) {
	ids, missionNames := map[string]bool{}, map[string]string{}
	for _, t := range c.techniques {
		subject := "technique " + t.ID
		m := techniqueIDRE.FindStringSubmatch(t.ID)
		switch {
		case m == nil:
			v.add(t.pos, subject, "id %q is not of the form CS-<tactic code>-<nn> (CS-IA-01)", t.ID)
		case ids[t.ID]:
			v.add(t.pos, subject, "id %s is used twice", t.ID)
		case m[2] == "00":
			v.add(t.pos, subject, "id %s is numbered 00; numbers start at 01", t.ID)
		}
		ids[t.ID] = true
		if _, ok := c.tacticByID[t.Tactic]; !ok {
			v.add(t.pos, subject, "tactic %q does not exist", t.Tactic)
		} else if m != nil && m[1] != t.Tactic {
			v.add(t.pos, subject, "id %s does not carry the code of its tactic %s", t.ID, t.Tactic)
		}
		// The matrix repeats some items under two tactics (application
		// vulnerability), so a mission name is unique within its tactic.
		key := t.Tactic + "\x00" + t.MissionName
		switch other, dup := missionNames[key]; {
		case strings.TrimSpace(t.MissionName) == "":
			v.add(t.pos, subject, "mission_name is missing")
		case dup:
			v.add(t.pos, subject, "mission_name %q is also the name of %s in the same tactic", t.MissionName, other)
		}
		missionNames[key] = t.ID
		if t.Edition != EditionV1 && t.Edition != EditionLater {
			v.add(t.pos, subject, "edition %q is neither %q nor %q", t.Edition, EditionV1, EditionLater)
		}
		v.text(t.pos, subject, "name", t.Name)
		v.text(t.pos, subject, "description", t.Description)
		v.notes(t.pos, subject, t.Notes)
		c.validateAttack(v, t, subject)
		c.validateSources(v, t, subject)
		c.validateDetectability(v, t, subject)
		c.validateMitigations(v, t, subject)
		validateResponse(v, t, subject)
	}
}

func (c *Catalog) validateAttack(v *validator, t *Technique, subject string) {
	if len(t.Attack) == 0 {
		v.add(t.pos, subject, "attack lists no ATT&CK technique")
	}
	for _, a := range t.Attack {
		if !attackIDRE.MatchString(a) {
			v.add(t.pos, subject, "ATT&CK id %q is not of the form T1234 or T1234.001", a)
		}
	}
	v.duplicates(t.pos, subject, "ATT&CK id", t.Attack)
}

func (c *Catalog) validateSources(v *validator, t *Technique, subject string) {
	known := HostLogTypes()
	for _, h := range t.DataSources.Host {
		if !slices.Contains(known, h) {
			v.add(t.pos, subject, "host log type %q is not one of %s", h, strings.Join(known, ", "))
		}
	}
	v.duplicates(t.pos, subject, "host log type", t.DataSources.Host)
	for _, provider := range Providers() {
		events := t.DataSources.Cloud.For(provider)
		for _, e := range events {
			if msg := checkCloudEvent(provider, e); msg != "" {
				v.add(t.pos, subject, "%s event %q %s", provider, e, msg)
			}
		}
		v.duplicates(t.pos, subject, provider+" event", events)
	}
}

// checkCloudEvent explains what is wrong with an event of a provider, or returns "".
func checkCloudEvent(provider, e string) string {
	service, name, ok := SplitCloudEvent(e)
	switch {
	case !ok:
		return "is not of the form <service host>:<EventName>"
	case !serviceHostRE.MatchString(service):
		return "does not start with a service host in lower case (iam.amazonaws.com)"
	case !eventNameRE.MatchString(name):
		return "does not end with an event name in the provider's spelling (CreateAccessKey)"
	}
	for _, d := range providerDomains[provider] {
		if service == d || strings.HasSuffix(service, "."+d) {
			return ""
		}
	}
	return "has a service host outside the provider's domains (" + strings.Join(providerDomains[provider], ", ") + ")"
}

func (c *Catalog) validateDetectability(v *validator, t *Technique, subject string) {
	if t.Detectable {
		if t.Undetectable != nil {
			v.add(t.pos, subject, "the technique is detectable but has an undetectable section")
		}
		if t.DataSources.Empty() {
			v.add(t.pos, subject, "the technique is detectable but lists no data source")
		}
		v.text(t.pos, subject, "detection", t.Detection)
		return
	}
	if !t.DataSources.Empty() {
		v.add(t.pos, subject, "the technique is not detectable but lists data sources")
	}
	if !t.Detection.empty() {
		v.add(t.pos, subject, "the technique is not detectable but has detection notes")
	}
	u := t.Undetectable
	if u == nil {
		v.add(t.pos, subject, "the technique is not detectable (detectable is false or missing) but gives no undetectable reason and later evidence")
		return
	}
	v.text(t.pos, subject, "undetectable reason", u.Reason)
	if len(u.LaterEvidence) == 0 {
		v.add(t.pos, subject, "the technique is not detectable but names no later evidence to watch")
	}
	for _, id := range u.LaterEvidence {
		other, ok := c.techniqueByID[id]
		switch {
		case !ok:
			v.add(t.pos, subject, "later evidence %q is not a technique of the catalog", id)
		case other == t || id == t.ID:
			v.add(t.pos, subject, "later evidence %s is the technique itself", id)
		case !other.Detectable:
			v.add(t.pos, subject, "later evidence %s is not detectable either", id)
		}
	}
	v.duplicates(t.pos, subject, "later evidence", u.LaterEvidence)
}

func (c *Catalog) validateMitigations(v *validator, t *Technique, subject string) {
	if len(t.Mitigations) == 0 {
		v.add(t.pos, subject, "mitigations lists no best practice")
	}
	for _, m := range t.Mitigations {
		if _, ok := c.practiceByID[m]; !ok {
			v.add(t.pos, subject, "mitigation %q is not a best practice of the catalog", m)
		}
	}
	v.duplicates(t.pos, subject, "mitigation", t.Mitigations)
}

// validateResponse checks that the checklist goes through the five phases in
// order, each with at least one step: every technique calls for something to be
// done in each phase, even if it is only to verify.
func validateResponse(v *validator, t *Technique, subject string) {
	phases := Phases()
	rank := map[Phase]int{}
	for i, p := range phases {
		rank[p] = i
	}
	seen := map[Phase]bool{}
	last := -1
	for i, s := range t.Response {
		where := "response step " + strconv.Itoa(i+1)
		r, ok := rank[s.Phase]
		switch {
		case !ok:
			v.add(t.pos, subject, "%s has the unknown phase %q (want one of confirm, contain, investigate, eradicate, recover)", where, s.Phase)
			continue
		case r < last:
			v.add(t.pos, subject, "%s (%s) comes after a step in the %s phase; phases go confirm, contain, investigate, eradicate, recover", where, s.Phase, phases[last])
		}
		last = max(last, r)
		seen[s.Phase] = true
		if s.Action != "" {
			switch {
			case !slices.Contains(Actions(), s.Action):
				v.add(t.pos, subject, "%s has the unknown action %q", where, s.Action)
			case s.Phase != PhaseContain:
				v.add(t.pos, subject, "%s has the containment action %s in the %s phase", where, s.Action, s.Phase)
			}
		}
		v.text(t.pos, subject, where, s.Text)
	}
	for _, p := range phases {
		if !seen[p] {
			v.add(t.pos, subject, "the response checklist has no %s step", p)
		}
	}
}
