package parse

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

func init() { programParsers["kernel"] = parseKernel }

// parseKernel understands the packet log that netfilter writes to the kernel log for
// iptables' LOG target, nftables' log statement, UFW and firewalld:
//
//	[12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00
//	SRC=203.0.113.5 DST=10.0.0.4 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=54321 DF PROTO=TCP
//	SPT=52144 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0
//
// The uptime and the rule's log prefix (anything before IN=) are optional. Other kernel
// messages return false and stay generic syslog events.
//
// Fields: event.category ["network"], event.type ["connection"] plus "denied" when the
// prefix says BLOCK, DROP, REJECT or DENY and "allowed" when it says ALLOW or ACCEPT,
// event.action "firewall_log", rule.name and iptables.prefix (the prefix without UFW's
// brackets or a trailing colon), observer.ingress.interface.name (IN),
// observer.egress.interface.name (OUT), network.direction (ingress when only IN is set,
// egress when only OUT is), source.ip/port, destination.ip/port, source.mac and
// destination.mac (from MAC=), network.transport (lower case; ICMPv6 is "ipv6-icmp"),
// network.iana_number, network.type (ipv4/ipv6), iptables.length (the packet's LEN),
// iptables.ttl (TTL or HOPLIMIT), iptables.id, iptables.fragment_flags (["DF"]),
// iptables.tcp.flags (["SYN"]), iptables.tcp.window, iptables.icmp.type/code,
// iptables.mark, user.id (UID= of --log-uid), and the Sigma firewall names src_ip,
// src_port, dst_ip, dst_port.
func parseKernel(_ *Parser, msg string, ev *event.Event) bool {
	s := msg
	if strings.HasPrefix(s, "[") {
		if end := strings.IndexByte(s, ']'); end > 0 && nfUptime(s[1:end]) {
			s = strings.TrimLeft(s[end+1:], " ")
		}
	}
	i := netfilterStart(s)
	if i < 0 {
		return false
	}
	prefix := strings.TrimSpace(s[:i])
	if strings.HasPrefix(prefix, "[") && strings.HasSuffix(prefix, "]") {
		prefix = strings.TrimSpace(prefix[1 : len(prefix)-1])
	}
	prefix = strings.TrimSpace(strings.TrimRight(prefix, ":"))

	// About 30 fields follow: one allocation instead of the slice growing step by step.
	ev.Fields = slices.Grow(ev.Fields, 32)
	ev.Set("event.dataset", "iptables")
	ev.Set("event.category", []string{"network"})
	typ := []string{"connection"}
	if verdict := nfVerdict(prefix); verdict != "" {
		typ = append(typ, verdict)
	}
	ev.Set("event.type", typ)
	ev.Set("event.action", "firewall_log")
	if prefix != "" {
		ev.Set("rule.name", prefix)
		ev.Set("iptables.prefix", prefix)
	}

	var in, out, src, dst, proto string
	var fragFlags, tcpFlags []string
	afterProto, seenLen, seenID := false, false, false
	for rest := s[i:]; rest != ""; {
		var tok string
		tok, rest, _ = strings.Cut(rest, " ")
		if tok == "" {
			continue
		}
		if tok[0] == '[' {
			break // an ICMP error quotes the offending packet in brackets: not this packet
		}
		if tok[0] == '(' || tok == "OPT" {
			continue // IP or TCP options, logged in hex
		}
		key, val, isKV := strings.Cut(tok, "=")
		if !isKV {
			if afterProto {
				tcpFlags = append(tcpFlags, tok)
			} else {
				fragFlags = append(fragFlags, tok)
			}
			continue
		}
		switch key {
		case "IN":
			in = val
		case "OUT":
			out = val
		case "MAC":
			nfMACs(ev, val)
		case "SRC", "IPSRC":
			src = nfCanonicalIP(val)
		case "DST", "IPDST":
			dst = nfCanonicalIP(val)
		case "LEN":
			if !seenLen { // UDP repeats LEN for its own header
				seenLen = true
				nfInt(ev, "iptables.length", val)
			}
		case "TTL", "HOPLIMIT":
			nfInt(ev, "iptables.ttl", val)
		case "ID":
			if !afterProto && !seenID {
				seenID = true
				nfInt(ev, "iptables.id", val)
			}
		case "PROTO":
			proto, afterProto = val, true
		case "SPT":
			nfInt(ev, "source.port", val)
			nfInt(ev, "src_port", val)
		case "DPT":
			nfInt(ev, "destination.port", val)
			nfInt(ev, "dst_port", val)
		case "WINDOW":
			nfInt(ev, "iptables.tcp.window", val)
		case "TYPE":
			nfInt(ev, "iptables.icmp.type", val)
		case "CODE":
			nfInt(ev, "iptables.icmp.code", val)
		case "MARK":
			ev.Set("iptables.mark", val)
		case "UID":
			ev.Set("user.id", val)
		}
	}
	if in != "" {
		ev.Set("observer.ingress.interface.name", in)
	}
	if out != "" {
		ev.Set("observer.egress.interface.name", out)
	}
	switch {
	case in != "" && out == "":
		ev.Set("network.direction", "ingress")
	case out != "" && in == "":
		ev.Set("network.direction", "egress")
	}
	if src != "" && nfValidIP(src) {
		setSource(ev, src, 0)
		ev.Set("src_ip", src)
	}
	if dst != "" && nfValidIP(dst) {
		ev.Set("destination.ip", dst)
		ev.Append("related.ip", dst)
		ev.Set("dst_ip", dst)
	}
	if ip := src + dst; ip != "" && (nfValidIP(src) || nfValidIP(dst)) {
		if strings.IndexByte(ip, ':') >= 0 {
			ev.Set("network.type", "ipv6")
		} else {
			ev.Set("network.type", "ipv4")
		}
	}
	nfTransport(ev, proto)
	if len(fragFlags) > 0 {
		ev.Set("iptables.fragment_flags", fragFlags)
	}
	if len(tcpFlags) > 0 && proto == "TCP" {
		ev.Set("iptables.tcp.flags", tcpFlags)
	}
	return true
}

// netfilterStart returns where "IN=… OUT=" begins in s, or -1. The prefix before it may
// end in any character (a --log-prefix without a trailing space runs into IN=).
func netfilterStart(s string) int {
	off := 0
	for {
		i := strings.Index(s[off:], "IN=")
		if i < 0 {
			return -1
		}
		i += off
		// "IN=eth0 OUT=" or "IN= OUT=": the interface name holds no space.
		sp := strings.IndexByte(s[i:], ' ')
		if sp >= 0 && strings.HasPrefix(strings.TrimLeft(s[i+sp:], " "), "OUT=") {
			return i
		}
		off = i + 3
	}
}

// nfCanonicalIP writes an IPv6 address in its short form: netfilter logs every digit
// ("2001:0db8:0000:…"), which would not match the same address written anywhere else.
func nfCanonicalIP(s string) string {
	if strings.IndexByte(s, ':') < 0 {
		return s
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return s
}

func nfValidIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// nfUptime reports whether s is the kernel's "   12345.678901" time stamp.
func nfUptime(s string) bool {
	s = strings.TrimLeft(s, " ")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !webDigit(s[i]) && s[i] != '.' {
			return false
		}
	}
	return true
}

// nfVerdict reads the verdict a log prefix names, if any.
func nfVerdict(prefix string) string {
	p := strings.ToUpper(prefix)
	for _, w := range []string{"BLOCK", "DROP", "REJECT", "DENY", "DENIED"} {
		if strings.Contains(p, w) {
			return "denied"
		}
	}
	for _, w := range []string{"ALLOW", "ACCEPT"} {
		if strings.Contains(p, w) {
			return "allowed"
		}
	}
	return ""
}

// nfMACs reads MAC=: the destination MAC, the source MAC and the EtherType, colon
// separated; ECS writes MACs upper case with hyphens.
func nfMACs(ev *event.Event, v string) {
	if len(v) < 35 || v[17] != ':' {
		return
	}
	ev.Set("destination.mac", nfMAC(v[:17]))
	ev.Set("source.mac", nfMAC(v[18:35]))
}

func nfMAC(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, ":", "-"))
}

func nfInt(ev *event.Event, key, val string) {
	if n, err := strconv.ParseInt(val, 10, 64); err == nil {
		ev.Set(key, n)
	}
}

// nfTransport sets network.transport and network.iana_number from PROTO=.
func nfTransport(ev *event.Event, proto string) {
	if proto == "" {
		return
	}
	if n, err := strconv.ParseInt(proto, 10, 64); err == nil {
		ev.Set("network.iana_number", strconv.FormatInt(n, 10))
		return
	}
	name := strings.ToLower(proto)
	if name == "icmpv6" {
		name = "ipv6-icmp"
	}
	ev.Set("network.transport", name)
	if n, ok := nfIANA[name]; ok {
		ev.Set("network.iana_number", n)
	}
}

var nfIANA = map[string]string{
	"icmp": "1", "igmp": "2", "tcp": "6", "udp": "17", "gre": "47", "esp": "50", "ah": "51",
	"ipv6-icmp": "58", "sctp": "132", "udplite": "136",
}
