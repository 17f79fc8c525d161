package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// entry is the part of one journalctl -o json line this package reads.
type entry struct {
	priority int // -1 when absent
	fields   map[string]string
}

// parse reads journalctl -o json output: one JSON object per line, field
// values strings, or byte arrays for non-UTF-8 values, or null for values
// too large to show. A line that is not such an object is an error.
func parse(out []byte) ([]entry, error) {
	var es []entry
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(line, &raw); err != nil {
			return nil, fmt.Errorf("journalctl output line %d: %w", n, err)
		}
		e := entry{priority: -1, fields: map[string]string{}}
		for k, v := range raw {
			var s string
			if err := json.Unmarshal(v, &s); err == nil {
				e.fields[k] = s
				continue
			}
			var b []byte
			var ints []int
			if err := json.Unmarshal(v, &ints); err == nil {
				for _, i := range ints {
					b = append(b, byte(i))
				}
				e.fields[k] = string(b)
			}
		}
		if p, err := strconv.Atoi(e.fields["PRIORITY"]); err == nil {
			e.priority = p
		}
		es = append(es, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("journalctl output: %w", err)
	}
	return es, nil
}
