package intel

import (
	"fmt"
	"net/netip"
	"strings"
)

// normalize checks value as an indicator of type typ and returns its normalized form
// and type ("ip" becomes ipv4 or ipv6; an address with a prefix length becomes cidr).
func normalize(typ, value string) (string, string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", "", fmt.Errorf("empty value")
	}
	switch typ {
	case "ip", IPv4, IPv6:
		if strings.Contains(value, "/") {
			return normalize(CIDR, value)
		}
		a, err := netip.ParseAddr(value)
		if err != nil {
			return "", "", fmt.Errorf("%q is not an IP address", value)
		}
		a = a.Unmap().WithZone("")
		switch {
		case typ == IPv4 && !a.Is4():
			return "", "", fmt.Errorf("%q is not an IPv4 address", value)
		case typ == IPv6 && a.Is4():
			return "", "", fmt.Errorf("%q is not an IPv6 address", value)
		}
		if a.Is4() {
			return a.String(), IPv4, nil
		}
		return a.String(), IPv6, nil
	case CIDR:
		p, err := netip.ParsePrefix(value)
		if err != nil {
			// A bare address is a network of one.
			if a, aerr := netip.ParseAddr(value); aerr == nil && a.Zone() == "" {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				return "", "", fmt.Errorf("%q is not a network in CIDR notation", value)
			}
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked().String(), CIDR, nil
	case Domain:
		d := strings.TrimSuffix(strings.ToLower(value), ".")
		if err := checkDomain(d); err != nil {
			return "", "", fmt.Errorf("%q is not a domain name: %v", value, err)
		}
		return d, Domain, nil
	case URL:
		i := strings.Index(value, "://")
		if i <= 0 || i+3 == len(value) || strings.ContainsAny(value, " \t\r\n") {
			return "", "", fmt.Errorf("%q is not a URL (scheme://host…)", value)
		}
		return strings.ToLower(value), URL, nil
	case MD5, SHA1, SHA256:
		want := map[string]int{MD5: 32, SHA1: 40, SHA256: 64}[typ]
		if len(value) != want || !isHex(value) {
			return "", "", fmt.Errorf("%q is not a %s hash (%d hex digits)", value, typ, want)
		}
		return strings.ToLower(value), typ, nil
	}
	return "", "", fmt.Errorf("unknown type %q (want ipv4, ipv6, cidr, domain, url, md5, sha1 or sha256)", typ)
}

func checkDomain(d string) error {
	if len(d) > 253 {
		return fmt.Errorf("longer than 253 characters")
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" {
			return fmt.Errorf("empty label")
		}
		if len(label) > 63 {
			return fmt.Errorf("label longer than 63 characters")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c >= 0x80) {
				return fmt.Errorf("character %q", c)
			}
		}
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
