#!/usr/bin/env bash
# arm64 smoke test: build the real Containerfile for linux/arm64 on this (amd64) machine and run
# the arm64 image under qemu-user-static emulation with the simulated sensor, against the image's
# own local endpoint (also the arm64 image): READY=1 must arrive on a real NOTIFY_SOCKET, and
# events must be accepted with 202.
#
# Set-up, undone at the end:
# - binfmt_misc is mounted if it is not, and the qemu-aarch64 handler from Debian's
#   /usr/lib/binfmt.d/qemu-aarch64.conf is registered if it is not (flag F: the interpreter is
#   opened now, so it works inside the containers' root file systems). What this script mounted or
#   registered, it unregisters and unmounts; what was there before, it leaves alone.
# - Two local stand-ins for node:24-bookworm-slim (no image registry is reachable), assembled by
#   build-base.sh from Debian bookworm and the official Node ARM_SMOKE_NODE_VERSION binaries from
#   the npm registry: the amd64 one for the build stage (which runs on the build platform and
#   cross-compiles the addons) and the arm64 one for the target's node binary. Both are cached;
#   the first arm64 one takes about 8 minutes (debootstrap's second stage runs emulated).
#
# Not in .ci/run (see README "The image"): run it on demand, as root:
#   test/container/arm-smoke.sh
# Prints `PASS|FAIL|SKIP <step>: detail` per step, the wall time, and a closing `arm-smoke: N
# passed, N failed, N skipped`; exits 1 if any step failed.
# Functions called through trap and wait_for look unreachable to shellcheck 0.9 (SC2317).
# shellcheck disable=SC2317
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=test/container/smoke-lib.sh
. "$here/smoke-lib.sh"
started=$(now)
node_version=${ARM_SMOKE_NODE_VERSION:-24.22.3}
build_base=localhost/dht-node-base:node$node_version
target_base=localhost/dht-node-base:node$node_version-arm64
id="$$-$RANDOM"
image="localhost/dht-telemetry:arm-smoke-$id"
ep_name="dht-arm-smoke-endpoint-$id"
daemon_name="dht-arm-smoke-daemon-$id"
volume="dht-arm-smoke-data-$id"
binfmt=/proc/sys/fs/binfmt_misc
binfmt_conf=/usr/lib/binfmt.d/qemu-aarch64.conf
mounted_binfmt=0 registered_handler=0
# Emulated, a node start takes seconds: every wait here is several times smoke.sh's.
emulated=(--platform linux/arm64)

work=$(mktemp -d "${TMPDIR:-/tmp}/dht-arm-smoke.XXXXXX")
cleanup() {
  (( ${#listener_pids[@]} > 0 )) && kill "${listener_pids[@]}" 2>/dev/null
  podman rm --force --ignore --volumes --time 0 "$daemon_name" "$ep_name" >/dev/null 2>&1
  podman volume rm --force "$volume" >/dev/null 2>&1
  podman rmi --force "$image" >/dev/null 2>&1
  # Intermediate images of the build inherit the base image's label: remove the untagged ones.
  podman image prune --force --filter label=dht.test.base-key >/dev/null 2>&1
  (( registered_handler )) && echo -1 >"$binfmt/qemu-aarch64"
  (( mounted_binfmt )) && umount "$binfmt"
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- prerequisites and the qemu-aarch64 binfmt_misc handler ------------------------------------
describe_tools() { echo "$(podman --version), $(/usr/bin/qemu-aarch64-static --version | head -n 1)"; }
prerequisites_step "apt-get install qemu-user-static; .ci/checks/install-deps.sh for the rest" \
  "binfmt_misc, debootstrap and chroot-isolated builds" describe_tools podman runc debootstrap python3 npm "$binfmt_conf"

if ok prerequisites; then
  problem=
  if [[ ! -e $binfmt/register ]]; then
    if mount -t binfmt_misc binfmt_misc "$binfmt" 2>"$work/mount.err"; then
      mounted_binfmt=1
    else
      problem="cannot mount binfmt_misc: $(tail -n 1 "$work/mount.err")"
    fi
  fi
  if [[ -z $problem && ! -e $binfmt/qemu-aarch64 ]]; then
    # The .conf file is one registration line, exactly what the register file takes.
    if grep -v '^#' "$binfmt_conf" >"$binfmt/register" 2>"$work/register.err"; then
      registered_handler=1
    else
      problem="cannot register $binfmt_conf: $(tail -n 1 "$work/register.err")"
    fi
  fi
  if [[ -n $problem ]]; then
    fail binfmt "$problem"
  elif ! grep -qx enabled "$binfmt/qemu-aarch64"; then
    fail binfmt "the qemu-aarch64 handler is registered but disabled"
  else
    how="already registered"
    (( registered_handler )) && how="registered from $binfmt_conf (unregistered at the end)"
    pass binfmt "qemu-aarch64 $how, flags $(awk '/^flags:/ {print $2}' "$binfmt/qemu-aarch64")"
  fi
else
  skip binfmt "needs prerequisites"
fi

# --- the two base images -------------------------------------------------------------------------
if ok binfmt; then
  build_base_step base-image "$build_base" --node "$node_version"
  build_base_step base-image-arm64 "$target_base" --arch arm64 --node "$node_version"
else
  skip base-image "needs binfmt"
  skip base-image-arm64 "needs binfmt"
fi

if ok base-image-arm64; then
  node_runs_step "$target_base" arm64 "${emulated[@]}"
else
  skip base-run "needs base-image-arm64"
fi

# --- build the real Containerfile for linux/arm64 ----------------------------------------------
if ok base-run && ok base-image; then
  # Podman 4.3 (buildah 1.28) does not set BUILDPLATFORM itself: without it, the build stage's
  # `FROM --platform=$BUILDPLATFORM` would look for an arm64 build base.
  build_step "$image" --platform linux/arm64 \
    --build-arg BUILDPLATFORM="linux/$(podman info --format '{{.Host.Arch}}')" --build-arg NODE_IMAGE="$target_base" \
    --build-arg BUILD_NODE_IMAGE="$build_base" --build-arg REVISION=arm-smoke
else
  skip build "needs base-run and base-image"
fi

if ok build; then
  size=$(podman image inspect --format '{{.Size}}' "$image")
  arch=$(podman image inspect --format '{{.Os}}/{{.Architecture}}' "$image")
  if [[ $arch != linux/arm64 ]]; then
    fail image "the image is $arch, not linux/arm64"
  elif (( size > image_size_limit )); then
    fail image "the linux/arm64 image is $(mb "$size"), above the $(mb "$image_size_limit") limit"
  else
    pass image "runtime image size $(mb "$size") (limit $(mb "$image_size_limit"), $arch)"
  fi
  addons_step "$image" arm64 "${emulated[@]}"
else
  skip image "needs build"
  skip addons "needs build"
fi

# --- run, emulated: the endpoint, then the daemon under --sdnotify=container ----------------------
if ok addons; then
  start_endpoint "$ep_name" "$image" 120 "${emulated[@]}"
else
  skip endpoint "needs addons"
fi

if ok endpoint; then
  start_daemon "$daemon_name" "$image" 120 "${emulated[@]}" -e APP_ID=arm-smoke -e STATUS_LISTEN="127.0.0.1:$(free_port)"
else
  skip daemon-start "needs endpoint"
fi

if ok daemon-start; then
  expect_ready "$daemon_name" 180
  expect_events "$ep_name" "$daemon_name" 120
  expect_sigterm "$daemon_name" 30
else
  for step in ready events sigterm; do skip "$step" "needs daemon-start"; done
fi

echo "arm-smoke: wall time $(since "$started")"
summary arm-smoke
