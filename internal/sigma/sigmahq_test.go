package sigma

import (
	"net/netip"
	"path/filepath"
	"testing"
)

// TestSigmaHQSamples loads the public rules copied into testdata/sigmahq (see the
// origin noted at the top of each) and checks what a few of their items became.
func TestSigmaHQSamples(t *testing.T) {
	c, errs := LoadPaths(filepath.Join("testdata", "sigmahq"))
	for _, e := range errs {
		t.Error(e)
	}
	if c.Loaded() != 5 {
		t.Fatalf("loaded %d of 5", c.Loaded())
	}

	// A search identifier with a dot cannot be named in a condition but is reached
	// through a pattern, as pySigma does.
	r := c.Lookup("86157017-c2b1-4d4a-8c33-93b8e67e4af4")
	var filter *Condition
	for _, a := range r.Detection.Condition.Args {
		if a.Op == CondNot {
			filter = a.Args[0]
		}
	}
	if filter == nil || len(filter.Matches) != 1 || filter.Matches[0] != "filter_main_mdadm.conf" {
		t.Errorf("filter_main_* matches %v", filter)
	}
	paths := r.Detection.Search("selection_paths").Items[0]
	if got := paths.Values[3].Operands[0].Pattern.String(); got != "*/etc/*.conf*" {
		t.Errorf("contains of a value with a wildcard: %q", got)
	}

	// fieldref compares two fields of the event.
	r = c.Lookup("055fb148-60f8-462d-ad16-26926ce050f1")
	op := r.Detection.Search("filter_main_user_identity").Items[0].Values[0].Operands[0]
	if op.Kind != OperandFieldRef || op.Field != "requestParameters.userName" || op.Anchor != AnchorWhole {
		t.Errorf("fieldref: %+v", op)
	}

	// cidr values become prefixes; numbers stay numbers.
	r = c.Lookup("dbfc7c98-04ab-4ab7-aa94-c74d22aa7376")
	cidr := r.Detection.Search("filter_main_local_ranges").Items[0]
	if p := cidr.Values[2].Operands[0].Prefix; p != netip.MustParsePrefix("172.16.0.0/12") {
		t.Errorf("cidr: %v", p)
	}
	port := r.Detection.Search("selection").Items[1]
	if port.Values[0].Operands[0].Kind != OperandNumber || port.Values[0].Number.Int != 888 {
		t.Errorf("port: %+v", port.Values[0])
	}

	// re compiles with RE2.
	r = c.Lookup("352a918a-34d8-4882-8470-44830c507aa3")
	foundRe := false
	for _, s := range r.Detection.Searches {
		for _, it := range s.Items {
			for _, v := range it.Values {
				for _, o := range v.Operands {
					if o.Kind == OperandRegex && o.Regex.Compiled != nil {
						foundRe = true
					}
				}
			}
		}
	}
	if !foundRe {
		t.Errorf("no compiled regex in %s", r.Title)
	}

	// Keyword lists search the whole event.
	r = c.Lookup("e76b413a-83d0-4b94-8e4c-85db4a5b8bdc")
	kw := r.Detection.Search("keywords")
	if kw.Kind != SearchKeywords || len(kw.Items[0].Values) != 11 || kw.Items[0].All {
		t.Errorf("keywords: %+v", kw)
	}
}
