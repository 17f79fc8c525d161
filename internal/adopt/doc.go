// Package adopt decides how hand-written instance units (the guide's
// my-service-1.service, my-service-2.service) become one sysroll service:
// Propose reads the units and proposes the service file, Order says in which
// order the instances are cut over. It is pure: it reads no files and talks
// to no systemd; host.Adopt does the acting.
package adopt
