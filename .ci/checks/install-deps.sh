#!/usr/bin/env bash
# Debian packages the packaging checks need (.ci/checks/units.sh, .ci/checks/shellcheck.sh),
# the container smoke test (test/container/smoke.sh) and the clock-step tests (faketime). Idempotent: installs only what is missing,
# so a warm machine pays one dpkg query. Needs root (CI runs as root).
set -euo pipefail

packages=(
  podman           # builds (chroot isolation) and runs the image; /usr/bin/podman for the units' ExecStart
  buildah          # podman build's engine, recommended by podman and not pulled in with --no-install-recommends
  runc             # the runtime that works here (crun cannot set the default rlimits on this machine)
  conmon
  uidmap
  fuse-overlayfs
  slirp4netns
  catatonit
  containernetworking-plugins
  debootstrap      # the local stand-in for the node base image (no image registry is reachable)
  shellcheck
  systemd          # systemd-analyze verify
  man-db           # verify checks Documentation=man:... pages exist
  python3          # NOTIFY_SOCKET listener and quadlet-lite.py
  ca-certificates
  faketime         # libfaketime: test/e2e/faketime.test.ts steps the built daemon's wall clock
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if (( ${#missing[@]} == 0 )); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
