package matrix

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// loadOne loads a single catalog file, named catalog.yaml in errors.
func loadOne(data []byte) (*Catalog, error) {
	return LoadFS(fstest.MapFS{"catalog.yaml": &fstest.MapFile{Data: data}})
}

// TestTestdata loads every testdata file as a whole catalog. A *.good.yaml must
// load; a *.bad.yaml must fail with the error its first line names ("# error: TEXT").
func TestTestdata(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := loadOne(data)
			switch {
			case strings.HasSuffix(f, ".good.yaml"):
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if len(c.Techniques()) == 0 {
					t.Error("no techniques")
				}
			case strings.HasSuffix(f, ".bad.yaml"):
				first, _, _ := strings.Cut(string(data), "\n")
				want, ok := strings.CutPrefix(first, "# error: ")
				if !ok || want == "" {
					t.Fatal("a bad file needs a first line # error: TEXT")
				}
				if err == nil {
					t.Fatalf("no error; want %q", want)
				}
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
				var ve *ValidationError
				if errors.As(err, &ve) {
					for _, p := range ve.Problems {
						if p.Subject == "catalog" {
							continue // A problem of the catalog as a whole has no position.
						}
						if p.File != "catalog.yaml" || p.Line < 1 {
							t.Errorf("problem without a position: %+v", p)
						}
					}
				}
			default:
				t.Fatal("a testdata file is named *.good.yaml or *.bad.yaml")
			}
		})
	}
}

// TestProblemLines checks that a problem points at the entry that has it.
func TestProblemLines(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "minimal.good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "mitigations: [BP-TRAINING, BP-MFA]", "mitigations: [BP-TRAINING, BP-MFA, BP-NOPE]", 1)
	_, err = loadOne([]byte(bad))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 {
		t.Fatalf("want one problem, got %v", err)
	}
	line := 0
	for i, l := range strings.Split(bad, "\n") {
		if l == "  - id: CS-IA-02" {
			line = i + 1
		}
	}
	if p := ve.Problems[0]; p.Line != line || p.Subject != "technique CS-IA-02" {
		t.Errorf("problem = %+v, want line %d", p, line)
	}
}

func TestLoadFSAcrossFiles(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "minimal.good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The same catalog split into a file per list loads the same.
	s := string(data)
	i, j := strings.Index(s, "best_practices:"), strings.Index(s, "techniques:")
	fsys := fstest.MapFS{
		"a.yaml":    {Data: []byte(s[:i])},
		"b.yaml":    {Data: []byte(s[i:j])},
		"c.yaml":    {Data: []byte(s[j:])},
		"notes.txt": {Data: []byte("not a catalog file")},
	}
	c, err := LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tactics()) != 1 || len(c.BestPractices()) != 2 || len(c.Techniques()) != 2 {
		t.Errorf("loaded %d tactics, %d best practices, %d techniques",
			len(c.Tactics()), len(c.BestPractices()), len(c.Techniques()))
	}
	// A problem names the file it is in.
	fsys["c.yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(s[j:], "attack: [T1566]", "attack: [T15]", 1))}
	if _, err := LoadFS(fsys); err == nil || !strings.Contains(err.Error(), "c.yaml:") {
		t.Errorf("error does not name c.yaml: %v", err)
	}
	if _, err := LoadFS(fstest.MapFS{}); err == nil {
		t.Error("an empty directory loads")
	}
}
