package intel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

var now = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

func load(t *testing.T, file string) *List {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := LoadAt(file, f, now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLoadCSV(t *testing.T) {
	l := load(t, "feed.csv")
	if l.Format != "csv" || l.Name != "feed.csv" {
		t.Errorf("format %q name %q", l.Format, l.Name)
	}
	want := []string{
		"ipv4 203.0.113.77 critical", "ipv6 2001:db8::5 ", "cidr 198.51.100.0/24 medium", "cidr 2001:db8:bad::/48 low",
		"domain evil.example ", "url http://evil.example/payload.sh ", "md5 d41d8cd98f00b204e9800998ecf8427e ",
		"sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 ", "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ",
	}
	if len(l.Indicators) != len(want) {
		t.Fatalf("indicators %+v", l.Indicators)
	}
	for i, ind := range l.Indicators {
		if got := ind.Type + " " + ind.Value + " " + ind.Level; got != want[i] {
			t.Errorf("indicator %d: %q, want %q", i, got, want[i])
		}
	}
	first := l.Indicators[0]
	if first.Description != "SSH brute-force source" || first.Source != "example-feed" || strings.Join(first.Tags, ",") != "attack.t1110,cs.ca-01" || first.List != "feed.csv" {
		t.Errorf("first %+v", first)
	}
	wantRej := []string{
		`line 12: "999.1.1.1" is not an IP address`,
		`line 13: "2001:db8::1" is not an IPv4 address`,
		`line 14: unknown type "foo"`,
		`line 15: "bad domain" is not a domain name`,
		`line 16: "abc" is not a md5 hash`,
		`line 17: unknown severity "urgent"`,
	}
	if len(l.Rejected) != len(wantRej) {
		t.Fatalf("rejected %v", l.Rejected)
	}
	for i, r := range l.Rejected {
		if !strings.HasPrefix(r.String(), wantRej[i]) {
			t.Errorf("rejection %d: %q, want prefix %q", i, r, wantRej[i])
		}
	}
}

func TestLoadCSVErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty list"},
		{"value,description\n1.2.3.4,x\n", `no "type" column`},
		{"type\nipv4\n", `no "value" column`},
	} {
		if _, err := LoadAt("x.csv", strings.NewReader(tc.in), now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.in, err, tc.want)
		}
	}
	// A malformed row is rejected; the rows after it still load.
	l, err := LoadAt("x.csv", strings.NewReader("\ufeffType,Value,valid_until\nipv4,\"1.2.3.4\"x\nipv4,5.6.7.8\nipv4,9.9.9.9,2026-01-01T00:00:00Z\n"), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Indicators) != 1 || l.Indicators[0].Value != "5.6.7.8" || len(l.Rejected) != 1 || !strings.HasPrefix(l.Rejected[0].Pos, "line 2") || l.Expired != 1 {
		t.Errorf("%+v", l)
	}
}

func TestLoadSTIX(t *testing.T) {
	l := load(t, "bundle.json")
	if l.Format != "stix" || l.Ignored != 2 || l.Expired != 1 {
		t.Errorf("format %q ignored %d expired %d", l.Format, l.Ignored, l.Expired)
	}
	var got []string
	for _, ind := range l.Indicators {
		got = append(got, ind.ID+" "+ind.Type+" "+ind.Value+" "+ind.Level)
	}
	want := []string{
		"indicator--a1 ipv4 203.0.113.5 ",
		"indicator--a2 cidr 198.51.100.0/24 ",
		"indicator--a3 domain evil.example ",
		"indicator--a3 url http://evil.example/x ",
		"indicator--a3 ipv6 2001:db8::dead ",
		"indicator--a4 sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 critical",
		"indicator--a4 md5 d41d8cd98f00b204e9800998ecf8427e critical",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("indicators:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	a1 := l.Indicators[0]
	if a1.Description != "C2 server" || strings.Join(a1.Tags, ",") != "c2,malicious-activity" {
		t.Errorf("a1 %+v", a1)
	}
	wantRej := []string{
		"objects[5] indicator--b1: pattern \"[ipv4-addr:value = '203.0.113.9' AND domain-name:value = 'x.example']\": AND is not supported",
		`objects[6] indicator--b2: pattern "[process:name = 'nc']": object type "process" is not supported`,
		`objects[7] indicator--b3: pattern_type "sigma" is not supported`,
		"objects[8] indicator--b4: pattern \"[ipv4-addr:value = '203.0.113.10'] WITHIN 60 SECONDS\": qualifier WITHIN is not supported",
	}
	if len(l.Rejected) != len(wantRej) {
		t.Fatalf("rejected %v", l.Rejected)
	}
	for i, r := range l.Rejected {
		if !strings.HasPrefix(r.String(), wantRej[i]) {
			t.Errorf("rejection %d: %q, want prefix %q", i, r, wantRej[i])
		}
	}
	// Before valid_until, the indicator is kept.
	f, _ := os.Open(filepath.Join("testdata", "bundle.json"))
	defer f.Close()
	early, err := LoadAt("bundle.json", f, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || early.Expired != 0 || len(early.Indicators) != len(want)+1 {
		t.Errorf("early: %v %+v", err, early)
	}
}

func TestParsePattern(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[ipv4-addr:value = '10.0.0.1']`, "ipv4 10.0.0.1"},
		{`[ipv4-addr:value = '10.0.0.0/8']`, "cidr 10.0.0.0/8"},
		{`[ipv6-addr:value ISSUBSET '2001:db8::/32']`, "cidr 2001:db8::/32"},
		{`[file:hashes.'SHA-1' = 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709']`, "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{`[url:value = 'http://x.example/it\'s']`, "url http://x.example/it's"},
		{`[domain-name:value = 'a.example'] OR [domain-name:value = 'b.example']`, "domain a.example|domain b.example"},
		{`[domain-name:value != 'a.example']`, "error: operator != is not supported"},
		{`[domain-name:value = 'a.example'`, "error: unexpected end"},
		{`[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '1.2.3.5']`, "error: AND is not supported"},
		{`([ipv4-addr:value = '1.2.3.4'])`, `error: unexpected "("`},
		{`[domain-name:value LIKE 'a%']`, "error: operator LIKE is not supported"},
	} {
		var got []string
		cmps, err := parsePattern(tc.in)
		for _, c := range cmps {
			if err != nil {
				break
			}
			var v, typ string
			v, typ, err = c.indicator()
			got = append(got, typ+" "+v)
		}
		s := strings.Join(got, "|")
		if err != nil {
			s = "error: " + err.Error()
		}
		if !strings.HasPrefix(s, tc.want) {
			t.Errorf("%s: %q, want %q", tc.in, s, tc.want)
		}
	}
}

func TestLoadNotAList(t *testing.T) {
	for _, in := range []string{`{"type":"indicator"}`, `{"type":`} {
		if _, err := Load("x.json", strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}

func matcher(t *testing.T) *Matcher {
	return NewMatcher(load(t, "feed.csv"), load(t, "bundle.json"))
}

// hits formats the hits as "list field=value type:indicator".
func hits(hs []Hit) string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Indicator.List+" "+h.Field+"="+h.Value+" "+h.Indicator.Type+":"+h.Indicator.Value)
	}
	return strings.Join(out, "\n")
}

func TestMatch(t *testing.T) {
	m := matcher(t)
	if m.Len() != 16 {
		t.Errorf("len %d", m.Len())
	}
	for _, tc := range []struct {
		name   string
		fields []event.Field
		want   string
	}{
		{"ipv4 exact and in related", []event.Field{{Key: "source.ip", Value: "203.0.113.77"}, {Key: "related.ip", Value: []string{"10.0.0.1", "203.0.113.77"}}},
			"feed.csv source.ip=203.0.113.77 ipv4:203.0.113.77\nfeed.csv related.ip=203.0.113.77 ipv4:203.0.113.77"},
		{"cidr v4 in both lists", []event.Field{{Key: "destination.ip", Value: "198.51.100.200"}},
			"feed.csv destination.ip=198.51.100.200 cidr:198.51.100.0/24\nbundle.json destination.ip=198.51.100.200 cidr:198.51.100.0/24"},
		{"v4-mapped address", []event.Field{{Key: "client.ip", Value: "::ffff:203.0.113.5"}},
			"bundle.json client.ip=::ffff:203.0.113.5 ipv4:203.0.113.5"},
		{"cidr v6", []event.Field{{Key: "host.ip", Value: []string{"2001:db8:bad:1::7"}}},
			"feed.csv host.ip=2001:db8:bad:1::7 cidr:2001:db8:bad::/48"},
		{"ipv6 exact, other spelling", []event.Field{{Key: "source.ip", Value: "2001:0db8:0000::0005"}},
			"feed.csv source.ip=2001:0db8:0000::0005 ipv6:2001:db8::5"},
		{"domain suffix", []event.Field{{Key: "dns.question.name", Value: "WWW.Evil.Example."}},
			"feed.csv dns.question.name=WWW.Evil.Example. domain:evil.example\nbundle.json dns.question.name=WWW.Evil.Example. domain:evil.example"},
		{"not a parent domain", []event.Field{{Key: "url.domain", Value: "notevil.example"}}, ""},
		{"url", []event.Field{{Key: "url.original", Value: "http://EVIL.example/payload.sh"}},
			"feed.csv url.original=http://EVIL.example/payload.sh url:http://evil.example/payload.sh"},
		{"hashes", []event.Field{{Key: "file.hash.sha256", Value: "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}, {Key: "process.hash.sha1", Value: "da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
			"feed.csv file.hash.sha256=E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
				"bundle.json file.hash.sha256=E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855 sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
				"feed.csv process.hash.sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709 sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"no match", []event.Field{{Key: "source.ip", Value: "192.0.2.10"}, {Key: "url.domain", Value: "good.example"}, {Key: "user.name", Value: "203.0.113.77"}}, ""},
		{"not an address", []event.Field{{Key: "source.ip", Value: "evil.example"}}, ""},
	} {
		ev := &event.Event{Fields: tc.fields}
		if got := hits(m.Match(ev)); got != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.name, got, tc.want)
		}
	}
	// Fields of a JSON event's original record are read too.
	ev := &event.Event{Original: map[string]any{"source": map[string]any{"ip": "203.0.113.5"}}}
	if got := hits(m.Match(ev)); got != "bundle.json source.ip=203.0.113.5 ipv4:203.0.113.5" {
		t.Errorf("original: %s", got)
	}
}

func TestAlerts(t *testing.T) {
	m := matcher(t)
	ev := &event.Event{ID: "e1", Time: now, Fields: []event.Field{
		{Key: "source.ip", Value: "203.0.113.77"}, {Key: "url.domain", Value: "a.evil.example"},
		{Key: "file.hash.md5", Value: "d41d8cd98f00b204e9800998ecf8427e"}}}
	alerts := Alerts(ev, m.Match(ev))
	if len(alerts) != 2 {
		t.Fatalf("alerts %+v", alerts)
	}
	got := string(alerts[0].AppendJSON(nil))
	want := `{"@timestamp":"2026-07-01T00:00:00Z","rule":{"id":"intel:feed.csv","title":"Threat intelligence match: feed.csv","level":"critical","tags":["attack.t1110","cs.ca-01","phishing"],"kind":"intel"},` +
		`"event":{"ids":["e1"],"count":1,"first":"2026-07-01T00:00:00Z","last":"2026-07-01T00:00:00Z"},` +
		`"matched":{"source.ip":"203.0.113.77","url.domain":"a.evil.example","file.hash.md5":"d41d8cd98f00b204e9800998ecf8427e","threat.indicator.type":"ipv4","threat.indicator.description":"SSH brute-force source","threat.indicator.provider":"example-feed"}}`
	if got != want {
		t.Errorf("alert\n%s\nwant\n%s", got, want)
	}
	b := alerts[1]
	if b.Rule.ID != "intel:bundle.json" || b.Rule.Level != "critical" || strings.Join(b.Rule.Tags, ",") != "" {
		t.Errorf("bundle alert %+v", b.Rule)
	}
	if Alerts(ev, nil) != nil {
		t.Error("alerts without hits")
	}
}

func TestMatchNoAllocation(t *testing.T) {
	m := matcher(t)
	ev := noMatchEvent()
	if n := testing.AllocsPerRun(100, func() { m.Match(ev) }); n != 0 {
		t.Errorf("%v allocations per event without a match", n)
	}
}

func noMatchEvent() *event.Event {
	return &event.Event{Fields: []event.Field{
		{Key: "source.ip", Value: "192.0.2.10"}, {Key: "destination.ip", Value: "10.1.2.3"},
		{Key: "related.ip", Value: []string{"192.0.2.10", "10.1.2.3", "2001:db8:1::1"}},
		{Key: "url.domain", Value: "www.Good.Example"}, {Key: "url.original", Value: "https://www.good.example/index.html?q=1"},
		{Key: "file.hash.sha256", Value: "0000000000000000000000000000000000000000000000000000000000000000"},
		{Key: "user.name", Value: "alice"}, {Key: "event.action", Value: "http_request"},
	}}
}

func BenchmarkMatchNoHit(b *testing.B) {
	f, _ := os.Open(filepath.Join("testdata", "feed.csv"))
	l, err := LoadAt("feed.csv", f, now)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	m := NewMatcher(l)
	ev := noMatchEvent()
	b.ReportAllocs()
	for b.Loop() {
		if m.Match(ev) != nil {
			b.Fatal("hit")
		}
	}
}

func BenchmarkMatchHit(b *testing.B) {
	f, _ := os.Open(filepath.Join("testdata", "feed.csv"))
	l, err := LoadAt("feed.csv", f, now)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	m := NewMatcher(l)
	ev := &event.Event{Fields: []event.Field{{Key: "source.ip", Value: "198.51.100.9"}}}
	var dst []Hit
	b.ReportAllocs()
	for b.Loop() {
		dst = m.AppendMatch(dst[:0], ev)
	}
}
