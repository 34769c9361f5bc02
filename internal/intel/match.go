package intel

import (
	"net/netip"
	"sort"

	"github.com/vigilsec/vigil/internal/event"
)

// The normalized fields a Matcher checks, by kind of value.
var (
	IPFields     = []string{"source.ip", "destination.ip", "related.ip", "client.ip", "server.ip", "host.ip"}
	DomainFields = []string{"source.domain", "destination.domain", "client.domain", "server.domain", "url.domain", "dns.question.name"}
	URLFields    = []string{"url.original", "url.full"}
	HashFields   = []string{"file.hash.md5", "file.hash.sha1", "file.hash.sha256", "process.hash.md5", "process.hash.sha1", "process.hash.sha256"}
)

// Hit is one indicator found in one field of an event.
type Hit struct {
	Indicator *Indicator
	Field     string
	// Value is the field's value that matched (one element of a list field).
	Value string
}

// Matcher looks for the indicators of some lists in events. It is safe for concurrent
// use once built.
type Matcher struct {
	ips map[netip.Addr][]*Indicator
	// nets holds the networks by prefix; bits4 and bits6 are the prefix lengths in use,
	// longest first, so that a lookup tries each length once and the most specific
	// network is found first.
	nets         map[netip.Prefix][]*Indicator
	bits4, bits6 []int
	domains      map[string][]*Indicator
	urls         map[string][]*Indicator
	hashes       map[string][]*Indicator
	n            int
}

// NewMatcher builds a matcher from lists.
func NewMatcher(lists ...*List) *Matcher {
	m := &Matcher{ips: map[netip.Addr][]*Indicator{}, nets: map[netip.Prefix][]*Indicator{},
		domains: map[string][]*Indicator{}, urls: map[string][]*Indicator{}, hashes: map[string][]*Indicator{}}
	seen4, seen6 := map[int]bool{}, map[int]bool{}
	for _, l := range lists {
		for i := range l.Indicators {
			ind := &l.Indicators[i]
			m.n++
			switch ind.Type {
			case IPv4, IPv6:
				a := netip.MustParseAddr(ind.Value)
				m.ips[a] = append(m.ips[a], ind)
			case CIDR:
				p := netip.MustParsePrefix(ind.Value)
				m.nets[p] = append(m.nets[p], ind)
				if p.Addr().Is4() {
					seen4[p.Bits()] = true
				} else {
					seen6[p.Bits()] = true
				}
			case Domain:
				m.domains[ind.Value] = append(m.domains[ind.Value], ind)
			case URL:
				m.urls[ind.Value] = append(m.urls[ind.Value], ind)
			default:
				m.hashes[ind.Value] = append(m.hashes[ind.Value], ind)
			}
		}
	}
	m.bits4, m.bits6 = sortedDesc(seen4), sortedDesc(seen6)
	return m
}

func sortedDesc(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for b := range set {
		out = append(out, b)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(out)))
	return out
}

// Len is the number of indicators.
func (m *Matcher) Len() int { return m.n }

// Match returns the indicators found in ev's fields (IPFields, DomainFields, URLFields,
// HashFields), nil when there are none.
func (m *Matcher) Match(ev *event.Event) []Hit { return m.AppendMatch(nil, ev) }

// AppendMatch appends the hits of Match to dst. It allocates nothing when nothing
// matches (or dst has room).
func (m *Matcher) AppendMatch(dst []Hit, ev *event.Event) []Hit {
	if len(m.ips) > 0 || len(m.nets) > 0 {
		for _, f := range IPFields {
			dst = m.check(dst, ev, f, (*Matcher).ip)
		}
	}
	if len(m.domains) > 0 {
		for _, f := range DomainFields {
			dst = m.check(dst, ev, f, (*Matcher).domain)
		}
	}
	if len(m.urls) > 0 {
		for _, f := range URLFields {
			dst = m.check(dst, ev, f, (*Matcher).url)
		}
	}
	if len(m.hashes) > 0 {
		for _, f := range HashFields {
			dst = m.check(dst, ev, f, (*Matcher).hash)
		}
	}
	return dst
}

// check runs look on the value or values of one field.
func (m *Matcher) check(dst []Hit, ev *event.Event, field string, look func(*Matcher, []Hit, string, string) []Hit) []Hit {
	v, ok := ev.Get(field)
	if !ok {
		return dst
	}
	switch v := v.(type) {
	case string:
		dst = look(m, dst, field, v)
	case []string:
		for _, s := range v {
			dst = look(m, dst, field, s)
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				dst = look(m, dst, field, s)
			}
		}
	}
	return dst
}

func appendHits(dst []Hit, inds []*Indicator, field, value string) []Hit {
	for _, ind := range inds {
		dst = append(dst, Hit{Indicator: ind, Field: field, Value: value})
	}
	return dst
}

// ip finds the address s and the networks that hold it: the indicators of the address
// first, then those of its networks, the most specific first.
func (m *Matcher) ip(dst []Hit, field, s string) []Hit {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return dst
	}
	a = a.Unmap().WithZone("")
	dst = appendHits(dst, m.ips[a], field, s)
	bits := m.bits6
	if a.Is4() {
		bits = m.bits4
	}
	for _, b := range bits {
		p, _ := a.Prefix(b)
		dst = appendHits(dst, m.nets[p], field, s)
	}
	return dst
}

// domain finds s and its listed parent domains (sub.evil.example finds evil.example),
// the most specific first.
func (m *Matcher) domain(dst []Hit, field, s string) []Hit {
	var buf [256]byte
	d := s
	if len(d) > 0 && d[len(d)-1] == '.' {
		d = d[:len(d)-1]
	}
	if len(d) > len(buf) {
		return dst // no valid domain is that long
	}
	b := lower(buf[:0], d)
	for {
		dst = appendHits(dst, m.domains[string(b)], field, s)
		i := indexDot(b)
		if i < 0 {
			return dst
		}
		b = b[i+1:]
	}
}

func (m *Matcher) url(dst []Hit, field, s string) []Hit {
	var buf [1024]byte
	b := buf[:0]
	if len(s) > len(buf) {
		b = make([]byte, 0, len(s))
	}
	return appendHits(dst, m.urls[string(lower(b, s))], field, s)
}

func (m *Matcher) hash(dst []Hit, field, s string) []Hit {
	var buf [64]byte
	if len(s) > len(buf) {
		return dst
	}
	return appendHits(dst, m.hashes[string(lower(buf[:0], s))], field, s)
}

func lower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func indexDot(b []byte) int {
	for i, c := range b {
		if c == '.' {
			return i
		}
	}
	return -1
}
