package sigma

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// The expected values below were computed with pySigma's algorithm (Python's
// base64 module, the offsets (0, 2, 3) and end cuts (none, 3, 2)).
func TestBase64Offset(t *testing.T) {
	tests := []struct {
		in   string
		want [3]string
	}{
		{"/bin/sh", [3]string{"L2Jpbi9za", "9iaW4vc2", "vYmluL3No"}},
		{"ab", [3]string{"YW", "Fi", "hY"}},
		{"abc", [3]string{"YWJj", "FiY", "hYm"}},
		{"abcd", [3]string{"YWJjZ", "FiY2", "hYmNk"}},
		{"http://", [3]string{"aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"}},
		{"a", [3]string{"Y", "", "h"}},
		{"", [3]string{"", "", ""}},
	}
	for _, tt := range tests {
		if got := Base64Offset([]byte(tt.in)); got != tt.want {
			t.Errorf("Base64Offset(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	wide := Base64Offset(UTF16LE("spinstall0.aspx"))
	want := [3]string{"cwBwAGkAbgBzAHQAYQBsAGwAMAAuAGEAcwBwAHgA", "MAcABpAG4AcwB0AGEAbABsADAALgBhAHMAcAB4A", "zAHAAaQBuAHMAdABhAGwAbAAwAC4AYQBzAHAAeA"}
	if wide != want {
		t.Errorf("Base64Offset(wide spinstall0.aspx) = %q", wide)
	}
}

func TestBase64(t *testing.T) {
	if got := Base64([]byte("/bin/sh")); got != "L2Jpbi9zaA==" {
		t.Errorf("Base64 = %q", got)
	}
	if got := Base64(UTF16("cmd")); got != "//5jAG0AZAA=" {
		t.Errorf("Base64(utf16 cmd) = %q", got)
	}
}

func TestUTF16(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"utf16le", UTF16LE("cmd"), "63006d006400"},
		{"utf16be", UTF16BE("cmd"), "0063006d0064"},
		{"utf16 with BOM", UTF16("cmd"), "fffe63006d006400"},
		{"utf16le non-ASCII", UTF16LE("é😀"), "e9003dd800de"},
		{"utf16be non-ASCII", UTF16BE("é😀"), "00e9d83dde00"},
		{"empty", UTF16LE(""), ""},
		{"empty with BOM", UTF16(""), "fffe"},
	}
	for _, tt := range tests {
		want, _ := hex.DecodeString(tt.want)
		if !bytes.Equal(tt.got, want) {
			t.Errorf("%s = % x, want % x", tt.name, tt.got, want)
		}
	}
}

func TestUTF16PatternKeepsWildcards(t *testing.T) {
	got := utf16Pattern(ParsePattern("*cmd?"), UTF16LE, false)
	want := Pattern{anyTok, lit("c\x00m\x00d\x00"), oneTok}
	if !got.Equal(want) {
		t.Errorf("wide(*cmd?) = %#v", got)
	}
	got = utf16Pattern(ParsePattern("*cmd"), UTF16LE, true)
	want = Pattern{lit("\xff\xfe"), anyTok, lit("c\x00m\x00d\x00")}
	if !got.Equal(want) {
		t.Errorf("utf16(*cmd) = %#v", got)
	}
}
