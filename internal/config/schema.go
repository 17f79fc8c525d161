package config

import _ "embed"

//go:embed schema.json
var schema []byte

// Schema returns a JSON Schema (draft 2020-12) of the service file, for editors
// (e.g. the YAML language server's "# yaml-language-server: $schema=" line).
// Validate remains the authority: the schema cannot express the cross-field rules.
func Schema() []byte { return append([]byte(nil), schema...) }
