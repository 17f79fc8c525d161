// Package controller is the acting part of a fleet rollout: it connects to
// every host, hands the decisions to package fleet/plan and carries them
// out over SSH (fleet.md, architecture (b)). It decides nothing itself that
// plan can decide: which hosts roll together (plan.Batches), whether a host
// batch may start (plan.Preflight) and what follows it (plan.Evaluate) are
// plan's; this package gathers the facts those functions need and acts on
// their answers.
//
// The flow of Run, in order, each phase on every host before the next:
//
//  1. connect (bounded parallel handshakes in sshx): an unreachable host,
//     an unknown or a changed host key refuses the whole rollout before
//     any command runs anywhere;
//  2. handshake: the controller's own build at its content-addressed path
//     answers `version --json` (pushed first when missing); its fleet
//     protocol must be this build's; the boot ID is recorded;
//  3. the service must already be applied on the host (`status --json`
//     reads it): the controller never installs units, so an operator's
//     unit files are never rewritten by a fleet deploy (apply it on each
//     host first, e.g. with `ssh HOST sysroll apply FILE`);
//  4. copy: the release artifact (content-addressed: 0 bytes when the
//     host has it) and `stage --expect-sha256 --fleet ID`, or nothing at
//     all when `stage --has` says the host holds that exact release. A
//     failing host refuses the rollout, before any restart anywhere;
//  5. per host batch: plan.Preflight over fresh statuses, then each host's
//     step as a transient unit (systemd-run), its events followed by
//     offset (reattaching on a lost connection), its record read at the
//     end, plan.Evaluate, and rollbacks (`sysroll rollback` as a transient
//     unit too) as it says.
//
// The fleet journal (controller side) and a claim on each host are
// rewritten at every phase change (package fleet/journal). Everything that
// touches a host goes through the Host interface, so the loop is tested
// with fakes; SSH is one implementation of it (NewSSHHost).
package controller
