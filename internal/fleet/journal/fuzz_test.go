package journal_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/sysroll/sysroll/internal/fleet/journal"
)

// FuzzDecode: no input makes Decode panic; whatever it accepts is valid,
// encodes, and decodes back to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"testdata/journal.golden.json", "testdata/claim.golden.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema":"sysroll.fleet.journal/v1"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := journal.Decode("fuzz.json", data)
		if err != nil {
			return
		}
		if err := j.Validate(); err != nil {
			t.Fatalf("Decode accepted an invalid journal: %v", err)
		}
		once, err := journal.Encode(j)
		if err != nil {
			t.Fatalf("an accepted journal does not encode: %v", err)
		}
		back, err := journal.Decode("again.json", once)
		if err != nil {
			t.Fatalf("an encoded journal does not decode: %v\n%s", err, once)
		}
		twice, err := journal.Encode(back)
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("encoding is not stable (%v):\n%s\n%s", err, once, twice)
		}
	})
}

// FuzzDecodeClaim does the same for claims, the documents read off hosts.
func FuzzDecodeClaim(f *testing.F) {
	b, err := os.ReadFile("testdata/claim.golden.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := journal.DecodeClaim("fuzz", data)
		if err != nil {
			return
		}
		once, err := journal.EncodeClaim(c)
		if err != nil {
			t.Fatalf("an accepted claim does not encode: %v", err)
		}
		back, err := journal.DecodeClaim("again", once)
		if err != nil {
			t.Fatalf("an encoded claim does not decode: %v\n%s", err, once)
		}
		if twice, _ := journal.EncodeClaim(back); !bytes.Equal(once, twice) {
			t.Fatalf("encoding is not stable:\n%s\n%s", once, twice)
		}
	})
}
