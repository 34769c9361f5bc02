package sigma

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// BenchmarkLoadCorpusLinuxCloud loads every Linux and cloud rule of the SigmaHQ
// corpus from memory, references resolved across files, and reports rules per second.
func BenchmarkLoadCorpusLinuxCloud(b *testing.B) {
	root := corpusRoot(b)
	mem := fstest.MapFS{}
	for _, sub := range []string{"rules/linux", "rules/cloud"} {
		err := filepath.WalkDir(filepath.Join(root, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yml") {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			mem[filepath.ToSlash(rel)] = &fstest.MapFile{Data: data}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	rules := 0
	for i := 0; i < b.N; i++ {
		c, errs := LoadDir(mem, "rules")
		if len(errs) > 0 {
			b.Fatal(errs[0])
		}
		rules += c.Loaded()
	}
	b.ReportMetric(float64(rules)/b.Elapsed().Seconds(), "rules/s")
}
