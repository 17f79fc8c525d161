// Package prom is the Prometheus provider of package analysis: it expands a
// metric's queries for a set of instances, runs them as instant queries,
// turns every result shape into a Measurement (exactly one finite sample is
// a number; anything else is a named data problem), proves the data comes
// from the set's current processes, and runs the preflight that refuses an
// analysis which could not see the baseline before anything is touched.
//
// It uses client_golang's api packages (the Prometheus project's own
// client: response envelope, typed errors such as bad_data, and model
// values that decode "NaN" and "+Inf"), except for /api/v1/targets, whose
// typed form lacks scrapeInterval and is decoded here.
//
// Placeholders: {instances} is the set's instance labels, each
// regexp.QuoteMeta-quoted and joined by | (PromQL's =~ is anchored), escaped
// for the string it stands in; {window} is the configured window clipped to
// the time since the set went back in traffic, in whole seconds; {service}
// is the service's name.
package prom
