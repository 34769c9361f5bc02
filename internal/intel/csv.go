package intel

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// readCSV reads a CSV list with a header row.
func (l *List) readCSV(r io.Reader, now time.Time) error {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("empty list: want a CSV header row (type,value,…) or a STIX 2.1 bundle")
	}
	if err != nil {
		return fmt.Errorf("CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, bom)))
		if h == "level" {
			h = "severity"
		}
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	if _, ok := col["type"]; !ok {
		return fmt.Errorf("line 1: CSV header has no \"type\" column")
	}
	if _, ok := col["value"]; !ok {
		return fmt.Errorf("line 1: CSV header has no \"value\" column")
	}
	cell := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			l.reject(fmt.Sprintf("line %d", perr.Line), "%v", perr.Err)
			continue
		}
		if err != nil {
			return err
		}
		line, _ := cr.FieldPos(0)
		pos := fmt.Sprintf("line %d", line)
		typ := strings.ToLower(cell(rec, "type"))
		if typ == "" {
			l.reject(pos, "no type")
			continue
		}
		value, typ, err := normalize(typ, cell(rec, "value"))
		if err != nil {
			l.reject(pos, "%v", err)
			continue
		}
		ind := Indicator{Type: typ, Value: value, Description: cell(rec, "description"), Source: cell(rec, "source"),
			Tags: splitTags(cell(rec, "tags"))}
		if s := cell(rec, "severity"); s != "" {
			lv, ok := normLevel(s)
			if !ok {
				l.reject(pos, "unknown severity %q (want informational, low, medium, high or critical)", s)
				continue
			}
			ind.Level = lv
		}
		if s := cell(rec, "valid_until"); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				l.reject(pos, "valid_until %q is not an RFC 3339 time", s)
				continue
			}
			ind.ValidUntil = t
		}
		l.add(ind, now)
	}
}
