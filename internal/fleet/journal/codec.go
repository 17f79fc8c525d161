package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxBytes bounds a journal or claim: 10,000 hosts of a few hundred bytes
// each, with room to spare.
const MaxBytes = 8 << 20

// Encode renders j as indented JSON, newline-terminated; map keys are
// sorted, so the bytes are deterministic. It refuses an invalid journal,
// so nothing this package writes fails its own Decode.
func Encode(j *Journal) ([]byte, error) {
	if err := j.Validate(); err != nil {
		return nil, fmt.Errorf("encode fleet journal: %w", err)
	}
	return encode(j)
}

// EncodeClaim renders c as Encode does.
func EncodeClaim(c *Claim) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("encode fleet claim: %w", err)
	}
	return encode(c)
}

func encode(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Decode reads a journal named name (for messages) and validates it
// whole: one JSON object, no unknown field, this Schema, at most MaxBytes.
func Decode(name string, data []byte) (*Journal, error) {
	var j Journal
	if err := decode(data, &j); err != nil {
		return nil, fmt.Errorf("fleet journal %s: %w", name, err)
	}
	if j.Schema != Schema {
		return nil, fmt.Errorf("fleet journal %s: schema %q, but this sysroll reads %q: use the sysroll that wrote it, or rebuild the journal from the hosts' claims",
			name, clip(j.Schema), Schema)
	}
	if err := j.Validate(); err != nil {
		return nil, fmt.Errorf("fleet journal %s: %w", name, err)
	}
	return &j, nil
}

// DecodeClaim reads a claim from host (for messages) and validates it.
func DecodeClaim(host string, data []byte) (*Claim, error) {
	var c Claim
	if err := decode(data, &c); err != nil {
		return nil, fmt.Errorf("fleet claim on %s: %w", host, err)
	}
	if c.Schema != ClaimSchema {
		return nil, fmt.Errorf("fleet claim on %s: schema %q, but this sysroll reads %q: the host was claimed by another sysroll version",
			host, clip(c.Schema), ClaimSchema)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("fleet claim on %s: %w", host, err)
	}
	return &c, nil
}

func decode(data []byte, v any) error {
	if len(data) > MaxBytes {
		return fmt.Errorf("%d bytes, more than the %d a fleet document may have", len(data), MaxBytes)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("not a valid document: %w", err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return errors.New("not a valid document: data after the JSON object")
	}
	return nil
}
