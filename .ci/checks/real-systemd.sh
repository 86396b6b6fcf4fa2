#!/usr/bin/env bash
# The deployment under a real systemd 252 with Debian's Podman 4.3.1: restarts, podman auto-update,
# rollbacks, exit 78 and the native install (test/container/real-systemd.sh, which says how).
# Exit 0 = every step passed, 77 = this machine cannot run it (printed `SKIP: reason`), else failed.
# Measured here under load: the cached root 8 min once; a run 16 min (+10 min when the daemon
# image must be rebuilt). The root is cached under
# DHT_TEST_CACHE (default /var/cache/dht-telemetry-test).
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
log=$(mktemp "${TMPDIR:-/tmp}/real-systemd-check.XXXXXX")
trap 'rm -f "$log"' EXIT
"$repo/test/container/real-systemd.sh" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if (( rc == 77 )); then
  echo "SKIP: $(grep -m1 '^SKIP real-systemd' "$log" | sed 's/^SKIP real-systemd: //')"
fi
exit "$rc"
