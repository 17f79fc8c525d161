//go:build integration

// Package apps deploys real applications nobody here wrote, with the
// README's settings per runtime, on real systemd: Debian's gunicorn (per
// port and on a shared socket) and Node.js each go through install, a new
// version, a broken version (caught in batch 1 and rolled back) and a
// rollback; an app that keeps its state under $HOME runs with the default
// sandbox; and apps the default sandbox blocks fail with a hint naming the
// hardening: key that relaxes it.
//
// Container sysroll-e2e-apps, ports 24300-24499. Needs /usr/bin/gunicorn and
// /usr/bin/node on the host (scripts/deps.sh). Run as root:
//
//	go test -tags integration -count=1 -v ./internal/e2e/apps/
package apps
