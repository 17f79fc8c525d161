// Package safeio reads the files sysroll is handed or keeps, through a bound.
//
// Every input — a service file, an inventory, unit files for lint, rollout
// records, release metadata, hook and check output — is read here so that a
// hostile or broken file cannot exhaust memory (/dev/zero), block the command
// (a FIFO), or be read through a link planted where sysroll expects a file.
// Errors name the file and the rule that was broken.
package safeio
