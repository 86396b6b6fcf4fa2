#!/usr/bin/env bash
# Container smoke test: build the real Containerfile on a locally assembled base image, run the
# daemon under `podman run --sdnotify=container` against the image's own local endpoint, and check
# what systemd and the endpoint would see: READY=1 and WATCHDOG=1 on a real NOTIFY_SOCKET, events
# received, a clean exit 0 on SIGTERM, exit 78 on bad configuration.
#
# Prints `PASS|FAIL|SKIP <step>: detail` per step and a closing `smoke: N passed, N failed, N
# skipped`; exits 1 if any step failed. A step the environment refuses is a SKIP naming why, and
# the steps that do not depend on it still run. SMOKE_STRICT=1 turns every SKIP into a failure.
# The `image` step prints the runtime image's size and fails above 150 MB.
#
# The base image is the official Node SMOKE_NODE_VERSION (a Node 24, as node:24-bookworm-slim
# has) for this machine's architecture, laid into a local Debian bookworm by build-base.sh, so the
# daemon runs on the Node the image ships and the size is the real one.
#
# Runs as root (podman with chroot isolation and the runc runtime, as this machine allows).
# Removes every container, volume, temp file and process it starts, and every image it builds
# except the cached base image (localhost/dht-node-base:node<version>, see build-base.sh).
# Functions called through trap and wait_for look unreachable to shellcheck 0.9 (SC2317).
# shellcheck disable=SC2317
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=test/container/smoke-lib.sh
. "$here/smoke-lib.sh"
node_version=${SMOKE_NODE_VERSION:-24.22.3}
base_image=${SMOKE_BASE_IMAGE:-localhost/dht-node-base:node$node_version}
id="$$-$RANDOM"
image="localhost/dht-telemetry:smoke-$id"
ep_name="dht-smoke-endpoint-$id"
daemon_name="dht-smoke-daemon-$id"
volume="dht-smoke-data-$id"

work=$(mktemp -d "${TMPDIR:-/tmp}/dht-smoke.XXXXXX")
unit_name="dht-smoke-unit-$id"
cleanup() {
  (( ${#listener_pids[@]} > 0 )) && kill "${listener_pids[@]}" 2>/dev/null
  # --volumes: the image declares a VOLUME, so each container also has an anonymous one.
  podman rm --force --ignore --volumes --time 0 "$daemon_name" "$ep_name" "$daemon_name-badconf" "$unit_name" >/dev/null 2>&1
  podman volume rm --force "$volume" "$unit_name" >/dev/null 2>&1
  podman secret rm "$unit_name" >/dev/null 2>&1
  podman rmi --force "$image" >/dev/null 2>&1
  # Intermediate images of the build inherit the base image's label: remove the untagged ones.
  podman image prune --force --filter label=dht.test.base-key >/dev/null 2>&1
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- prerequisites -----------------------------------------------------------------------------
describe_tools() { echo "$(podman --version), runc $(runc --version 2>/dev/null | awk 'NR==1{print $3}')"; }
prerequisites_step "run .ci/checks/install-deps.sh" "debootstrap and chroot-isolated builds" describe_tools \
  podman runc debootstrap python3

# --- base image --------------------------------------------------------------------------------
if ok prerequisites; then
  build_base_step base-image "$base_image" --node "$node_version"
else
  skip base-image "needs prerequisites"
fi

if ok base-image; then
  node_runs_step "$base_image" "$(node -p process.arch)"
else
  skip base-run "needs base-image"
fi

# --- build the real Containerfile ----------------------------------------------------------------
if ! ok base-run; then
  skip build "needs base-run"
elif [[ ! -f $repo/src/cli/main.ts ]]; then
  skip build "src/cli/main.ts does not exist yet: nothing to build"
else
  build_step "$image" --build-arg NODE_IMAGE="$base_image" --build-arg REVISION=smoke
fi

if ok build; then
  size=$(podman image inspect --format '{{.Size}}' "$image")
  problems=()
  fmt() { podman image inspect --format "$1" "$image"; }
  (( size <= image_size_limit )) || problems+=("the image is $(mb "$size"), above the $(mb "$image_size_limit") limit")
  # Set by the units on their container only: an image label reaches every container of the image.
  [[ -z $(fmt '{{ index .Labels "io.containers.autoupdate" }}') ]] || problems+=("the image carries the label io.containers.autoupdate")
  [[ $(fmt '{{.Config.User}}') =~ ^[1-9][0-9]*$ ]] || problems+=("user is '$(fmt '{{.Config.User}}')', not a numeric non-root uid")
  [[ $(fmt '{{.Config.StopSignal}}') == SIGTERM ]] || problems+=("stop signal is '$(fmt '{{.Config.StopSignal}}')'")
  [[ $(fmt '{{json .Config.Volumes}}') == *'/var/lib/dht-telemetry'* ]] || problems+=("no volume /var/lib/dht-telemetry")
  [[ $(fmt '{{json .Config.Entrypoint}}') == '["/app/dist/cli/main.js"]' ]] || problems+=("entrypoint is $(fmt '{{json .Config.Entrypoint}}')")
  if (( ${#problems[@]} == 0 )); then
    pass image "runtime image size $(mb "$size") (limit $(mb "$image_size_limit"), linux/$(fmt '{{.Architecture}}')); no autoupdate label; user, volume, stop signal, entrypoint"
  else
    fail image "$(IFS=';'; echo "${problems[*]}")"
  fi
  addons_step "$image" "$(node -p process.arch)"
else
  skip image "needs build"
  skip addons "needs build"
fi

# --- run: endpoint, then the daemon under --sdnotify=container ----------------------------------
if ok build; then
  start_endpoint "$ep_name" "$image" 30
else
  skip endpoint "needs build"
fi

notify_log=$work/notify.log
status_port=$(free_port)
if ok endpoint; then
  start_daemon "$daemon_name" "$image" 90 -e APP_ID=smoke -e GEOLOCATION='{"lat": "44.8166", "lon": "20.4721"}' \
    -e STATUS_LISTEN="127.0.0.1:$status_port" -e WATCHDOG_INTERVAL=4
else
  skip daemon-start "needs endpoint"
fi

if ok daemon-start; then
  expect_ready "$daemon_name" 30
  expect_events "$ep_name" "$daemon_name" 40
  # WATCHDOG_INTERVAL=4 s: pings come at half of it while the loops are alive.
  if wait_for 15 grep -qx 'WATCHDOG=1' "$notify_log"; then
    pass watchdog "$(grep -cx 'WATCHDOG=1' "$notify_log") WATCHDOG=1 ping(s) forwarded"
  else
    fail watchdog "no WATCHDOG=1 within 15 s with WATCHDOG_INTERVAL=4"
  fi
  if out=$(podman exec "$daemon_name" node /app/dist/cli/main.js health 2>&1); then
    pass health "the HealthCmd (dht-telemetry health) exits 0"
  else
    fail health "dht-telemetry health exited $? in the container: $(echo "$out" | tail -n 1)"
  fi
  expect_sigterm "$daemon_name" 15
else
  for step in ready events watchdog health sigterm; do skip "$step" "needs daemon-start"; done
fi

# --- the plain unit's own podman command lines (systemd/dht-telemetry.service) --------------------
# systemd itself does not run here (no systemd as PID 1), so its ExecStart/ExecStop/ExecStopPost
# are run as systemd would start them, after %-specifier and ${VAR} expansion, with the names
# made unique, the test's endpoint, and this machine's run options.
unit_file=$repo/systemd/dht-telemetry.service
unit_args() { # unit_args KEY: the unit's KEY= command, expanded, as NUL-separated words
  python3 - "$unit_file" "$1" "$work" "$image" "$unit_name" "$work/unit.env" <<'PY'
import re, shlex, subprocess, sys, os
path, key, work, image, name, env_file = sys.argv[1:]
text = re.sub(r"\\\n", " ", open(path).read())
env = dict(m.groups() for m in re.finditer(r"^Environment=([A-Z_]+)=(.*)$", text, re.M))
def unit_line(line):
    return line.replace("%t", work).replace("%n", "dht-telemetry.service")
# The ExecStartPre that writes %t/%n.host-args runs as systemd would run it ($$ is a literal $),
# and its DHT_HOST_ARGS is split into words where ExecStart says $DHT_HOST_ARGS.
host_args = []
if key == "ExecStart":
    for pre in re.findall(r"^ExecStartPre=(.*)$", text, re.M):
        if ".host-args" in pre:
            subprocess.run(shlex.split(unit_line(pre).replace("$$", "$")), check=True)
            written = open(os.path.join(work, "dht-telemetry.service.host-args")).read()
            host_args = re.match(r"DHT_HOST_ARGS=(.*)", written).group(1).split()
line = unit_line(re.search(rf"^{key}=(.*)$", text, re.M).group(1))
line = re.sub(r"\$\{([A-Z_]+)\}", lambda m: image if m.group(1) == "DHT_TELEMETRY_IMAGE" else env[m.group(1)], line)
out = []
for word in shlex.split(line):
    if word == "$DHT_HOST_ARGS":
        out.extend(host_args)
        continue
    word = word.replace("--name=dht-telemetry", f"--name={name}")
    word = re.sub(r"^--env-file=.*", f"--env-file={env_file}", word)
    word = word.replace("--secret=dht-telemetry-password,", f"--secret={name},")
    word = word.replace("--volume=dht-telemetry-data:", f"--volume={name}:")
    if word.startswith("--device=") and not os.path.exists(word.split("=", 1)[1].split(":")[0]):
        continue
    out.append(word)
sys.stdout.write("\0".join(out))
PY
}
if ok events; then
  t=$(now)
  printf '%s\n' "ENDPOINT=http://127.0.0.1:$ep_port" APP_ID=smoke DEVICE_ID=unit SENSOR_TYPE=sim INTERVAL=1s \
    "STATUS_LISTEN=127.0.0.1:$(free_port)" >"$work/unit.env"
  printf 'smoke-secret' | podman secret create "$unit_name" - >/dev/null
  start_listener "$work/unit-notify.sock" "$work/unit-notify.log"
  mapfile -d '' start_cmd < <(unit_args ExecStart)
  # After `podman run`: this machine's run options and the host network (to reach the endpoint).
  start_cmd=("${start_cmd[@]:0:2}" "${run_opts[@]}" --network=host "${start_cmd[@]:2}")
  if ! NOTIFY_SOCKET=$work/unit-notify.sock timeout 90 "${start_cmd[@]}" >/dev/null 2>"$work/unit.err"; then
    fail unit-start "the unit's ExecStart failed: $(tail -n 1 "$work/unit.err")"
  elif ! wait_for 30 grep -qx 'READY=1' "$work/unit-notify.log"; then
    tail_logs "$unit_name"
    fail unit-start "the unit's ExecStart ran, but no READY=1 within 30 s"
  else
    pass unit-start "systemd/dht-telemetry.service's ExecStart: READY=1 after $(since "$t") ($(paste -sd' ' "$work/unit-notify.log"))"
  fi
  if ok unit-start; then
    if out=$(podman healthcheck run "$unit_name" 2>&1); then
      pass unit-health "podman healthcheck run (the unit's --health-cmd): ${out:-healthy}"
    else
      fail unit-health "podman healthcheck run (the unit's --health-cmd): ${out:-unhealthy}"
    fi
    t=$(now)
    mapfile -d '' stop_cmd < <(unit_args ExecStop)
    mapfile -d '' stop_post_cmd < <(unit_args ExecStopPost)
    "${stop_cmd[@]}" >/dev/null 2>&1
    code=$(podman inspect --format '{{.State.ExitCode}}' "$unit_name" 2>/dev/null || echo removed)
    "${stop_post_cmd[@]}" >/dev/null 2>&1
    if podman container exists "$unit_name"; then
      fail unit-stop "the container is still there after ExecStop and ExecStopPost"
    elif [[ $code != 0 && $code != removed ]]; then
      fail unit-stop "exit code $code after ExecStop"
    else
      pass unit-stop "ExecStop and ExecStopPost stopped and removed it in $(since "$t") (exit code: ${code/removed/gone with --rm})"
    fi
  else
    skip unit-health "needs unit-start"
    skip unit-stop "needs unit-start"
  fi
else
  for step in unit-start unit-health unit-stop; do skip "$step" "needs events"; done
fi

if ok build; then
  code=$(podman run --rm --name "$daemon_name-badconf" "${run_opts[@]}" --network none \
    -e ENDPOINT=http://127.0.0.1:1 -e APP_ID=smoke -e DEVICE_ID=pi -e DEVICE_PASSWORD=x \
    -e SENSOR_TYPE=DHT99 "$image" run >"$work/badconf.log" 2>&1; echo $?)
  if [[ $code == 78 ]]; then
    pass bad-config "exit 78 (RestartPreventExitStatus) on SENSOR_TYPE=DHT99: $(grep -m1 SENSOR_TYPE "$work/badconf.log" | cut -c1-160)"
  else
    fail bad-config "exit $code on SENSOR_TYPE=DHT99, expected 78: $(tail -n 1 "$work/badconf.log")"
  fi
else
  skip bad-config "needs build"
fi

summary smoke
