#!/usr/bin/env bash
# The fleet benchmarks (issue 11): `sysroll fleet deploy` and `fleet
# status` on 10 throwaway hosts (systemd-nspawn containers, each in its own
# network namespace with a real sshd, 4 hello instances each), booted for
# the run and torn down at its end. Needs root, like the integration tests.
# Figures and how to read them: docs/fleet-bench.md.
#   bash scripts/bench-fleet.sh                 # every benchmark, 3 iterations
#   bash scripts/bench-fleet.sh 5 FleetStatus   # 5 iterations of one
#   HEALTHY_FOR=5s bash scripts/bench-fleet.sh 3 FleetDeploy   # the service default's gate
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/deps.sh
n="${1:-3}"
bench="${2:-.}"
echo "machine: $(nproc) cores; memory before:"
free -m
# HEALTHY_FOR=5s: each instance's healthy_for (default 1s), see docs/fleet-bench.md.
go test -tags integration -count=1 -run '^$' -bench "$bench" -benchtime="${n}x" -timeout 60m ./internal/e2e/fleetbench/ \
  -args -fleetbench.healthy-for="${HEALTHY_FOR:-1s}"
echo "memory after:"
free -m
