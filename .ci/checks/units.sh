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

# The native unit runs Node from the README's fixed prefix, which this machine does not have
# (test/container/real-systemd.sh installs it and runs the unit unchanged): verify a copy whose
# node is this machine's, everything else as shipped.
native_node=/opt/dht-telemetry/bin/node
for unit in "${units[@]}"; do
  name=$(basename "$unit")
  if grep -q "^ExecStart=$native_node " "$unit" && [[ ! -x $native_node ]]; then
    mkdir -p "$work/native"
    sed "s|^ExecStart=$native_node |ExecStart=$(command -v node) |" "$unit" >"$work/native/$name"
    verify "$name" "$work/native/$name" && pass "$name" "systemd-analyze verify: no output (with this machine's node for $native_node)"
  else
    verify "$name" "$unit" && pass "$name" "systemd-analyze verify: no output"
  fi
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

# Podman 4.3 leaves the cidfile behind: the plain unit removes it before every start.
plain=$units_dir/dht-telemetry.service quadlet_file=$units_dir/dht-telemetry.container
native=$units_dir/dht-telemetry-native.service
if [[ -f $plain ]]; then
  if grep -qx 'ExecStartPre=/bin/rm -f %t/%n.ctr-id' "$plain" && grep -q -- '--cidfile=%t/%n.ctr-id' "$plain"; then
    pass "dht-telemetry.service cidfile" "ExecStartPre removes %t/%n.ctr-id (Podman 4.3 leaves it after stop/rm)"
  else
    fail "dht-telemetry.service cidfile" "no ExecStartPre=/bin/rm -f %t/%n.ctr-id: every restart and rollback fails on Podman 4.3"
  fi
fi
# Both container units take the host's devices, gpio gid and timesync directory the same way,
# and carry the auto-update label themselves (the image must not).
if [[ -f $plain && -f $quadlet_file ]]; then
  pre_plain=$(grep -E '^ExecStartPre=/bin/sh ' "$plain") pre_quadlet=$(grep -E '^ExecStartPre=/bin/sh ' "$quadlet_file")
  # shellcheck disable=SC2016 # the $ is literal: it is in the unit files
  if [[ -z $pre_plain || $pre_plain != "$pre_quadlet" ]]; then
    fail "host args" "the ExecStartPre that writes DHT_HOST_ARGS differs between dht-telemetry.service and dht-telemetry.container"
  elif ! grep -q 'PodmanArgs=\$DHT_HOST_ARGS' "$quadlet_file" || ! grep -qE '^ +\$DHT_HOST_ARGS \\$' "$plain"; then
    fail "host args" "a container unit does not pass \$DHT_HOST_ARGS to podman run"
  else
    pass "host args" "both container units pass /dev/gpiomem, /dev/gpiochip0 (if present), the gpio gid and /run/systemd/timesync (ro, if present)"
  fi
  if grep -q -- '--label=io.containers.autoupdate=registry' "$plain" && grep -qx 'AutoUpdate=registry' "$quadlet_file"; then
    pass "autoupdate label" "set by both container units"
  else
    fail "autoupdate label" "a container unit lacks io.containers.autoupdate=registry"
  fi
fi
if [[ -f $native ]]; then
  if grep -qx 'DeviceAllow=/dev/gpiomem rw' "$native" && grep -qx 'DeviceAllow=/dev/gpiochip0 rw' "$native" \
     && grep -qx 'PrivateMounts=yes' "$native" && ! grep -q '^ProcSubset=pid' "$native"; then
    pass "native devices" "DeviceAllow /dev/gpiomem and /dev/gpiochip0, PrivateMounts=yes, no ProcSubset=pid"
  else
    fail "native devices" "the native unit must allow /dev/gpiomem and /dev/gpiochip0, set PrivateMounts=yes and never ProcSubset=pid (node-dht-sensor reads /proc/cpuinfo)"
  fi
  # The exposure systemd computes for the native unit; at most 2.0.
  exposure=$(systemd-analyze security --offline=yes "$native" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  echo "native unit: systemd-analyze security exposure ${exposure:-unknown}"
  if [[ -n $exposure ]] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
    pass "native exposure" "systemd-analyze security: $exposure (at most 2.0)"
  else
    fail "native exposure" "systemd-analyze security: ${exposure:-no result}, above 2.0"
  fi
fi

exit "$failed"
