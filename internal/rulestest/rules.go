package rulestest

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/vigilsec/vigil/internal/sigma"
)

// RuleFiles walks dir and returns its rule files (*.yml and *.yaml that are not test
// files) and its test files (*.tests.yml), each sorted.
func RuleFiles(dir string) (rules, tests []string, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch name := d.Name(); {
		case strings.HasSuffix(name, TestsSuffix):
			tests = append(tests, p)
		case strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml"):
			rules = append(rules, p)
		}
		return nil
	})
	sort.Strings(rules)
	sort.Strings(tests)
	return rules, tests, err
}

// TestsFor returns the path of the test file of a rule file.
func TestsFor(ruleFile string) string {
	ext := filepath.Ext(ruleFile)
	return strings.TrimSuffix(ruleFile, ext) + TestsSuffix
}

// RuleFor returns the path of the rule file of a test file.
func RuleFor(testFile string) string {
	return strings.TrimSuffix(testFile, TestsSuffix) + ".yml"
}

// Placeholders merges the placeholder values of test files. A placeholder given two
// different lists is an error.
func Placeholders(files []*File) (sigma.Placeholders, error) {
	out := sigma.Placeholders{}
	from := map[string]string{}
	var errs []error
	for _, f := range files {
		for _, k := range slices.Sorted(maps.Keys(f.Placeholders)) {
			v := f.Placeholders[k]
			if old, ok := out[k]; ok && !slices.Equal(old, v) {
				errs = append(errs, fmt.Errorf("%s: placeholder %q has other values than in %s", f.Path, k, from[k]))
				continue
			}
			out[k], from[k] = v, f.Path
		}
	}
	return out, errors.Join(errs...)
}

// MainRules returns, per file, the rules that no correlation of the collection
// refers to: the rules that raise alerts. The others are helper documents.
func MainRules(c *sigma.Collection) map[string][]*sigma.Rule {
	referenced := map[*sigma.Rule]bool{}
	for _, r := range c.Rules {
		if r.Correlation != nil {
			for _, t := range r.Correlation.Targets {
				referenced[t] = true
			}
		}
	}
	out := map[string][]*sigma.Rule{}
	for _, r := range c.Rules {
		if !referenced[r] {
			out[r.File] = append(out[r.File], r)
		}
	}
	return out
}

// LogSources returns the log sources a rule reads: its own, or those of the rules
// its correlation refers to, recursively.
func LogSources(r *sigma.Rule) []*sigma.LogSource {
	var out []*sigma.LogSource
	seen := map[*sigma.Rule]bool{}
	var walk func(*sigma.Rule)
	walk = func(r *sigma.Rule) {
		if r == nil || seen[r] {
			return
		}
		seen[r] = true
		if r.LogSource != nil {
			out = append(out, r.LogSource)
		}
		if r.Correlation != nil {
			for _, t := range r.Correlation.Targets {
				walk(t)
			}
		}
	}
	walk(r)
	return out
}

// Cloud log sources: product and service, and the parser type of their records.
var cloudSources = map[[2]string]string{
	{"aws", "cloudtrail"}:           "cloudtrail",
	{"tencentcloud", "cloudaudit"}:  "cloudaudit",
	{"alibabacloud", "actiontrail"}: "actiontrail",
}

// Host log sources of product linux: service, and the parser types of its events.
var linuxServices = map[string][]string{
	"sshd":    {"sshd"},
	"sudo":    {"sudo"},
	"su":      {"su"},
	"auth":    {"sshd", "sudo", "su", "accounts"},
	"cron":    {"cron"},
	"systemd": {"systemd"},
	"auditd":  {"auditd"},
	"syslog":  {"syslog"},
}

// Host log sources by category: the parser types of their events.
var categories = map[string][]string{
	"process_creation": {"sudo", "cron", "auditd"},
	"webserver":        {"nginx", "apache"},
	"firewall":         {"kernel"},
}

// EventTypes returns the parser types (event.Event.Type) of the events a log source
// covers, following the conventions of docs/RULES.md, or an error for a log source
// outside them.
func EventTypes(ls *sigma.LogSource) ([]string, error) {
	if ls == nil {
		return nil, errors.New("no logsource")
	}
	switch {
	case ls.Product != "" && ls.Product != "linux" && ls.Category == "":
		if typ, ok := cloudSources[[2]string{ls.Product, ls.Service}]; ok {
			return []string{typ}, nil
		}
	case ls.Category != "":
		types, ok := categories[ls.Category]
		if !ok || ls.Service != "" {
			break
		}
		switch {
		case ls.Category == "webserver" && (ls.Product == "" || ls.Product == "linux"):
			return types, nil
		case ls.Product == "linux":
			return types, nil
		}
	case ls.Product == "linux":
		if types, ok := linuxServices[ls.Service]; ok {
			return types, nil
		}
	}
	return nil, fmt.Errorf("logsource (category %q, product %q, service %q) is not one of the conventions of docs/RULES.md",
		ls.Category, ls.Product, ls.Service)
}
