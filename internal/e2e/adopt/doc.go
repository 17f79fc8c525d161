// Package adopt tests `sysroll adopt` on real systemd: the guide's own three
// hand-written units (my-service-1/2.service with 2 Requires= 1, and the
// group unit with no ExecStart=) running the hello example are migrated
// onto one sysroll service, behind a real HAProxy under load and without a
// balancer. Container sysroll-e2e-adopt, ports 24500-24699.
package adopt
