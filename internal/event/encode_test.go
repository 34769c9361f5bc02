package event_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// treeJSON is the reference encoding: the nested maps of Tree through encoding/json.
func treeJSON(tb testing.TB, e *event.Event) []byte {
	tb.Helper()
	b, err := json.Marshal(e.Tree())
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func checkSameAsTree(tb testing.TB, e *event.Event) {
	tb.Helper()
	want := treeJSON(tb, e)
	got, err := e.AppendJSON(nil)
	if err != nil {
		tb.Fatalf("AppendJSON: %v", err)
	}
	if !bytes.Equal(got, want) {
		tb.Fatalf("AppendJSON differs from json.Marshal(Tree()):\n got %s\nwant %s", got, want)
	}
	viaMarshal, err := json.Marshal(e)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Equal(viaMarshal, want) {
		tb.Fatalf("json.Marshal(event) differs:\n got %s\nwant %s", viaMarshal, want)
	}
}

func TestAppendJSONMatchesTree(t *testing.T) {
	ts := time.Date(2026, 11, 28, 10, 0, 1, 120000000, time.FixedZone("x", 3600))
	cases := map[string]*event.Event{
		"empty": {},
		"text line": func() *event.Event {
			e := &event.Event{ID: "abc", Type: "sshd", Time: ts, Message: "a <b> & \"c\"\t\u2028 \xff end"}
			e.Set("host.hostname", "web-1")
			e.Set("process.pid", int64(1234))
			e.Set("event.category", []string{"authentication", "network"})
			e.Append("related.user", "alice")
			e.Append("related.user", "bob")
			e.Set("ssh.invalid_user", true)
			e.Set("user.name", "alice")
			return e
		}(),
		"original with overlapping fields": {
			ID: "cloudtrail:1", Type: "cloudtrail", Time: ts,
			Original: map[string]any{
				"event":        map[string]any{"custom": "x", "id": "replaced"},
				"host":         "a-string",
				"message":      "replaced by Message? no: Message is empty",
				"@timestamp":   "replaced",
				"userIdentity": map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::1:user/a", "nested": map[string]any{"z": nil, "a": []any{int64(1), 2.5, "s", true, nil, map[string]any{"k": "v"}}}},
				"a.b":          "flat original key",
				"num":          1e21,
				"small":        1e-7,
				"neg":          -0.000001,
				"list":         []any{},
				"obj":          map[string]any{},
			},
			Fields: []event.Field{
				{Key: "event.action", Value: "login"},
				{Key: "host.name", Value: "h"},
				{Key: "userIdentity.extra", Value: "added inside an original object"},
				{Key: "userIdentity.type.sub", Value: "flat under a string"},
				{Key: "a.b", Value: "replaces the flat key? no: goes into a new a object"},
				{Key: "x", Value: map[string]any{"y": "object field", "w": int64(1)}},
				{Key: "x.z", Value: "inside the object field"},
				{Key: "x.y.q", Value: "flat under its string"},
				{Key: "s", Value: "string"},
				{Key: "s", Value: "replaced string"},
				{Key: "t.u", Value: "will be replaced by a leaf"},
				{Key: "t", Value: int64(7)},
				{Key: "t.v", Value: "flat under the leaf"},
				{Key: "..dots.", Value: "empty segments"},
				{Key: "", Value: "empty key"},
				{Key: "n", Value: []string(nil)},
				{Key: "f", Value: 3.0},
				{Key: "i", Value: 42},
				{Key: "other", Value: map[string]string{"k": "<v>"}},
				{Key: "num2", Value: json.Number("12.50")},
			},
		},
	}
	// Layouts that a plan holds, and events of the same keys whose original record
	// takes one of the plan's members.
	planned := func(orig map[string]any) *event.Event {
		e := &event.Event{ID: "p", Type: "t", Time: ts, Original: orig, Fields: []event.Field{
			{Key: "user.name", Value: "u"}, {Key: "event.action", Value: "a"}, {Key: "user", Value: "flat"},
			{Key: "user.id", Value: int64(1)}, {Key: "z.y.x", Value: []any{"v"}}, {Key: "user.name", Value: "dup"},
			{Key: "a-b", Value: true}, {Key: "a.b", Value: 1.5}, {Key: "a_b", Value: nil},
		}}
		return e
	}
	cases["planned"] = planned(nil)
	cases["planned with original"] = planned(map[string]any{"eventName": "x", "b": int64(2), "zz": "last", "a": "first"})
	cases["planned, original takes event"] = planned(map[string]any{"event": map[string]any{"kind": "x"}})
	cases["planned, original takes user"] = planned(map[string]any{"user": "string"})
	cases["planned, original takes a flat key"] = planned(map[string]any{"a.b": "flat"})
	for name, e := range cases {
		t.Run(name, func(t *testing.T) {
			checkSameAsTree(t, e)
			checkSameAsTree(t, e) // the second time from a cached plan
		})
	}
}

func TestAppendJSONFailsLikeMarshal(t *testing.T) {
	e := &event.Event{ID: "x"}
	e.Set("f", math.NaN())
	if _, err := e.AppendJSON(nil); err == nil {
		t.Error("NaN encoded")
	}
	if _, err := json.Marshal(e); err == nil {
		t.Error("NaN marshalled")
	}
}

func TestAppendValueJSON(t *testing.T) {
	v := map[string]any{"b": []any{1.5, int64(2), "<", nil}, "a": map[string]any{"y": true, "x": "\u2029"}}
	want, _ := json.Marshal(v)
	got, err := event.AppendValueJSON([]byte("prefix"), v)
	if err != nil || string(got) != "prefix"+string(want) {
		t.Errorf("got %s, %v; want %s", got, err, want)
	}
}

// FuzzAppendJSON builds events from arbitrary originals (any JSON object) and field keys
// and checks that AppendJSON writes exactly json.Marshal(Tree()).
func FuzzAppendJSON(f *testing.F) {
	f.Add([]byte(`{"event":{"custom":"x"},"host":"a","user":{"name":"o"},"n":1.5,"i":12}`), "event.action\nhost.name\nuser.name.x\nuser\nuser.id", "msg <&>")
	f.Add([]byte(`{"a.b":{"c":[1,{"d":null}]},"a":{"b":{}}}`), "a.b.c\na.b\na..b\n.\n\xff\u2028", "")
	f.Add([]byte(`{}`), "x\nx.y\nx.y.z\nx", "\x00\x1f")
	f.Fuzz(func(t *testing.T, doc []byte, keys, msg string) {
		e := &event.Event{Message: msg, Type: "fuzz", ID: msg, Time: time.Unix(int64(len(doc))*1e6, int64(len(keys))).UTC()}
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var orig map[string]any
		if dec.Decode(&orig) == nil {
			e.Original = normalize(orig).(map[string]any)
		}
		for i, k := range strings.Split(keys, "\n") {
			var v any
			switch i % 7 {
			case 0:
				v = k
			case 1:
				v = int64(i) * -12345
			case 2:
				v = float64(i) * 1.25e-7
			case 3:
				v = i%2 == 1
			case 4:
				v = []string{k, msg}
			case 5:
				if m, ok := e.Original[k].(map[string]any); ok {
					v = m
				} else {
					v = map[string]any{k: msg, "n": int64(i)}
				}
			case 6:
				v = []any{k, float64(i) * 1e20, nil}
			}
			e.Set(k, v)
		}
		checkSameAsTree(t, e)
	})
}

// normalize turns json.Number into int64 or float64, as the parsers' decoder does.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

func BenchmarkAppendJSON(b *testing.B) {
	e := &event.Event{ID: "9cf2289286d19ac16518d45f6ebcfbf5", Type: "sshd", Time: time.Now(),
		Message: "Nov 28 10:00:01 web-1 sshd[1234]: Failed password for invalid user admin from 203.0.113.5 port 52144 ssh2"}
	e.Set("host.hostname", "web-1")
	e.Set("process.name", "sshd")
	e.Set("process.pid", int64(1234))
	e.Set("event.dataset", "sshd")
	e.Set("event.category", []string{"authentication"})
	e.Set("event.type", []string{"start"})
	e.Set("event.outcome", "failure")
	e.Set("event.action", "ssh_login")
	e.Set("user.name", "admin")
	e.Append("related.user", "admin")
	e.Set("source.ip", "203.0.113.5")
	e.Append("related.ip", "203.0.113.5")
	e.Set("source.port", int64(52144))
	e.Set("ssh.method", "password")
	e.Set("ssh.invalid_user", true)
	e.Set("host.name", "web-1")
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = e.AppendJSON(buf[:0])
		}
	})
	b.Run("MarshalTree", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(e.Tree())
		}
	})
}

// TestAppendStringEveryByte checks the eight-byte scan of the string encoder: every byte
// value at every position of strings of 1 to 20 bytes (whole eight-byte words, and tails
// that the last eight bytes cover), and every pair of some bytes that need attention at
// every two positions, against encoding/json.
func TestAppendStringEveryByte(t *testing.T) {
	for n := 1; n <= 20; n++ {
		for c := range 256 {
			for pos := range n {
				b := []byte("abcdefghijklmnopqrst"[:n])
				b[pos] = byte(c)
				e := &event.Event{Message: string(b)}
				checkSameAsTree(t, e)
			}
		}
	}
	// Two bytes that need attention: the scan resumes after the first.
	special := []byte{0, 0x1f, ' ', '"', '\\', '<', '>', '&', 'a', 0x7f, 0x80, 0xe2, 0xff}
	for n := 2; n <= 18; n++ {
		for p1 := range n {
			for p2 := p1 + 1; p2 < n; p2++ {
				for _, c1 := range special {
					for _, c2 := range special {
						b := []byte("abcdefghijklmnopqr"[:n])
						b[p1], b[p2] = c1, c2
						checkSameAsTree(t, &event.Event{Message: string(b)})
					}
				}
			}
		}
	}
}

// Parsers share constant lists between events (event.category, event.type): Append must
// copy a list before adding to it, even where the list has room to grow in place.
func TestAppendNeverWritesIntoAList(t *testing.T) {
	backing := []string{"a", "spare"}
	shared := backing[:1]
	var e1, e2 event.Event
	e1.Set("l", shared)
	e2.Set("l", shared)
	e1.Append("l", "b")
	e2.Append("l", "c")
	if backing[1] != "spare" || e1.GetString("l") != "a,b" || e2.GetString("l") != "a,c" {
		t.Errorf("backing %v, e1 %q, e2 %q", backing, e1.GetString("l"), e2.GetString("l"))
	}
}

// The plan cache is shared by all encoders: goroutines that encode events of new and
// known layouts at once must each get their own event's document.
func TestAppendJSONConcurrent(t *testing.T) {
	var events []*event.Event
	for i := range 40 {
		e := &event.Event{ID: "c", Type: "t", Time: time.Unix(int64(i), 0)}
		for j := range i%7 + 1 {
			e.Set(fmt.Sprintf("k%d.f%d", i%5, j), int64(j))
		}
		events = append(events, e)
	}
	want := make([][]byte, len(events))
	for i, e := range events {
		want[i] = treeJSON(t, e)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Go(func() {
			for range 50 {
				for i, e := range events {
					if got, _ := e.AppendJSON(nil); !bytes.Equal(got, want[i]) {
						errs <- string(got)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
