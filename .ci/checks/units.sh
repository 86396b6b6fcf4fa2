#!/usr/bin/env bash
# Verify every unit in systemd/ with `systemd-analyze verify`. It exits 0 on parse warnings
# ("Unknown key ..., ignoring"), so ANY output is a failure here.
#
# Quadlet .container files are not systemd units. With a Quadlet generator (Podman >= 4.4) the
# file goes through it and the generated .service is verified. Without one (Debian bookworm ships
# Podman 4.3.1) the check does what it can: every [Container] key must be one Quadlet 4.6 knows,
# each maps to a `podman run` flag this Podman knows, and a .service assembled the way Quadlet
# would (its [Unit], [Service], [Install] plus Type=notify and a podman ExecStart) is verified.
#
# Also checks what ties the units to the daemon: WatchdogSec equals the WATCHDOG_INTERVAL passed
# into the container, and exit 78 (bad configuration) prevents restarts.
#
# Prints `PASS name` / `FAIL name: reason` per check; exits 1 if any failed.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
units_dir=$repo/systemd
failed=0
pass() { echo "PASS $1${2:+: $2}"; }
fail() { echo "FAIL $1: $2"; failed=1; }

if ! command -v systemd-analyze >/dev/null; then
  fail units "systemd-analyze is missing (run .ci/checks/install-deps.sh)"; exit 1
fi
if ! command -v podman >/dev/null; then
  # The units' ExecStart is /usr/bin/podman: verify would rightly report it missing.
  fail units "podman is missing (run .ci/checks/install-deps.sh)"; exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/dht-units.XXXXXX")
trap 'rm -rf "$work"' EXIT

# verify NAME FILE: systemd-analyze verify, silent or failed.
verify() {
  local out
  out=$(cd "$(dirname "$2")" && systemd-analyze verify "./$(basename "$2")" 2>&1)
  local rc=$?
  if [[ $rc == 0 && -z $out ]]; then return 0; fi
  fail "$1" "systemd-analyze verify (exit $rc): $(echo "$out" | paste -sd'|' | cut -c1-400)"
  return 1
}

shopt -s nullglob
units=("$units_dir"/*.service "$units_dir"/*.timer "$units_dir"/*.socket "$units_dir"/*.path)
containers=("$units_dir"/*.container)
if (( ${#units[@]} + ${#containers[@]} == 0 )); then
  fail units "no unit files in systemd/"; exit 1
fi

for unit in "${units[@]}"; do
  verify "$(basename "$unit")" "$unit" && pass "$(basename "$unit")" "systemd-analyze verify: no output"
done

quadlet=
for candidate in /usr/libexec/podman/quadlet /usr/lib/podman/quadlet; do
  [[ -x $candidate ]] && quadlet=$candidate && break
done

for container in "${containers[@]}"; do
  name=$(basename "$container")
  service=$work/${name%.container}.service
  if [[ -n $quadlet ]]; then
    mkdir -p "$work/quadlet-in" "$work/quadlet-out"
    cp "$container" "$work/quadlet-in/"
    if ! QUADLET_UNIT_DIRS=$work/quadlet-in "$quadlet" -no-kmsg-log "$work/quadlet-out" >"$work/quadlet.log" 2>&1 \
       || [[ ! -f $work/quadlet-out/$(basename "$service") ]]; then
      fail "$name" "Quadlet ($quadlet) made no unit: $(paste -sd'|' "$work/quadlet.log" | cut -c1-400)"
      continue
    fi
    cp "$work/quadlet-out/$(basename "$service")" "$service"
    verify "$name" "$service" && pass "$name" "Quadlet generated $(basename "$service"), systemd-analyze verify: no output"
  else
    if ! python3 "$repo/.ci/checks/quadlet-lite.py" "$container" "$service" >"$work/lite.log" 2>&1; then
      fail "$name" "$(paste -sd'|' "$work/lite.log")"
      continue
    fi
    unknown=()
    while read -r flag; do
      podman run --help 2>/dev/null | grep -qE -- "(^|[ ,])$flag( |=|$)" || unknown+=("$flag")
    done < <(grep -oE -- '--[a-z-]+' "$work/lite.log" | sort -u)
    if (( ${#unknown[@]} > 0 )); then
      fail "$name" "podman $(podman --version | awk '{print $3}') has no run flag ${unknown[*]}"
      continue
    fi
    verify "$name" "$service" && pass "$name" "no Quadlet in podman $(podman --version | awk '{print $3}'): keys known to Quadlet 4.6, flags known to podman run, the service Quadlet would make verifies with no output"
  fi
done

# What ties the units to the daemon.
for unit in "$units_dir"/dht-telemetry.service "$units_dir"/dht-telemetry.container; do
  [[ -f $unit ]] || continue
  name=$(basename "$unit")
  watchdog=$(sed -n 's/^WatchdogSec=//p' "$unit")
  interval=$(grep -oE 'WATCHDOG_INTERVAL=[0-9]+' "$unit" | head -n 1 | cut -d= -f2)
  if [[ -z $watchdog || $watchdog != "$interval" ]]; then
    fail "$name watchdog" "WatchdogSec=${watchdog:-unset} but the container gets WATCHDOG_INTERVAL=${interval:-unset}"
  elif ! grep -qx 'RestartPreventExitStatus=78' "$unit"; then
    fail "$name restart" "no RestartPreventExitStatus=78 (exit 78 = bad configuration)"
  else
    pass "$name wiring" "WatchdogSec=$watchdog = WATCHDOG_INTERVAL, RestartPreventExitStatus=78"
  fi
done

exit "$failed"
