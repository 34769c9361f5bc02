package sigma

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// testPlaceholders is the placeholder configuration the testdata files are loaded with.
var testPlaceholders = Placeholders{
	"Administrators": {"adm_*", "root"},
	"JumpServers":    {"jump01", "jump02"},
}

// header reads the leading comment lines of a testdata file: "# error: TEXT" (the
// expected error; TEXT may start with "LINE: ") and "# loaded: N".
func header(t *testing.T, data []byte) (wantErrs []string, loaded int) {
	loaded = -1
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		if s, ok := strings.CutPrefix(line, "# error: "); ok {
			wantErrs = append(wantErrs, s)
		}
		if s, ok := strings.CutPrefix(line, "# loaded: "); ok {
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("bad loaded count %q", s)
			}
			loaded = n
		}
	}
	return wantErrs, loaded
}

// TestTestdata loads every testdata/*.good.yml, which must load without errors, and
// every testdata/*.bad.yml, which must be rejected with the error its first line
// names (matched against "line: reason" so that it may give the line).
func TestTestdata(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			wantErrs, loaded := header(t, data)
			l := &Loader{Placeholders: testPlaceholders}
			c, errs := l.Load(f, data)
			for _, e := range errs {
				if e.File != f || e.Line < 1 || e.Column < 1 {
					t.Errorf("error without a file position: %+v", e)
				}
				if !strings.HasPrefix(e.Error(), fmt.Sprintf("%s:%d: ", f, e.Line)) {
					t.Errorf("Error() = %q", e.Error())
				}
			}
			switch {
			case strings.HasSuffix(f, ".good.yml"):
				for _, e := range errs {
					t.Errorf("unexpected error: %v", e)
				}
				if c.Rejected != 0 {
					t.Errorf("%d documents rejected", c.Rejected)
				}
				if loaded >= 0 && c.Loaded() != loaded {
					t.Errorf("loaded %d documents, want %d", c.Loaded(), loaded)
				}
			case strings.HasSuffix(f, ".bad.yml"):
				if len(wantErrs) == 0 {
					t.Fatal("a bad file needs a first line # error: TEXT")
				}
				if len(errs) == 0 || c.Rejected == 0 {
					t.Fatalf("no error; want %q", wantErrs)
				}
				for _, want := range wantErrs {
					found := false
					for _, e := range errs {
						found = found || strings.Contains(fmt.Sprintf("%d: %s", e.Line, e.Reason), want)
					}
					if !found {
						t.Errorf("no error %q among:", want)
						for _, e := range errs {
							t.Errorf("  %d: %s", e.Line, e.Reason)
						}
					}
				}
			default:
				t.Fatalf("testdata file %s is neither .good.yml nor .bad.yml", f)
			}
		})
	}
}
