// Package lint checks hand-written systemd unit files for the pitfalls that
// break replicated, rolling-restarted services, and says for each one what
// systemd will actually do and how to fix it.
//
// It has its own small parser of systemd.syntax(7) (ParseUnit): whole-line
// comments only, so "RestartSec=2  # delay" hands "2  # delay" to the
// RestartSec= parser, which rejects it; backslash continuations; repeated
// keys kept in order with their line numbers. Rules that follow dependencies
// look across all files given at once: "Requires=my-service-1.service" in
// my-service-2.service is only a problem because both are instances of one
// service.
//
// On top of its own rules, Check runs `systemd-analyze verify` when it is
// installed, on copies of the files in one temporary directory (so units
// refer to each other whatever directory they came from). verify exits 0 on
// warnings, so every line it prints becomes a finding, or evidence attached
// to the finding that already explains it. Missing programs and missing
// dependency units are reported as Info: true on the machine lint runs on,
// which is often not the host the unit is deployed to.
//
// The rules (Rule ids, see finding.go):
//
//	syntax                lines systemd cannot read (an invalid [header] refuses the unit)
//	inline-comment        "Key=value  # comment": what systemd makes of it, per key type
//	wrong-section         e.g. PartOf= in [Service]: "Unknown key", line dropped
//	partof-direction      a group unit with PartOf= its members (backwards)
//	no-exec-start         a .service systemd refuses for lack of ExecStart=
//	service-refused       the other refusals of service_verify() (Type=oneshot rules, ...)
//	restart-sec-fallback  Restart= with RestartSec= at 100ms: a crash loop hits the start limit
//	restart-start-limit   an explicit RestartSec= that does the same (Info)
//	instance-dependency   Requires=/BindsTo=/PartOf=/Conflicts=/Upholds=/PropagatesStopTo=/
//	                      StopPropagatedFrom= between instances of one service
//	network-target        Requires=/Wants=network.target
//	active-not-ready      After= a Type=simple service: active is not ready
//	systemd-analyze       a line of `systemd-analyze verify` no rule above explains
//
// The guide's three unit files in testdata/guide show the pitfalls sysroll
// exists to avoid; testdata/guide.golden is the output on them.
package lint
