#!/usr/bin/env bash
# The zero-downtime benchmark: a 4-instance hello service upgraded under
# steady load by five methods (systemctl restart of the target, the guide's
# units, a shell loop, sysroll + HAProxy drain, sysroll + shared socket), on a
# throwaway systemd (volatile systemd-nspawn container) with HAProxy on the
# host; both torn down at the end. Arguments go to the benchmark, e.g.
#   bash scripts/bench.sh --runs 1 --methods d,e --json
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/deps.sh
exec go run ./internal/bench "$@"
