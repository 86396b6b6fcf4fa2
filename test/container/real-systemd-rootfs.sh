#!/usr/bin/env bash
# Assemble (or reuse) the Debian bookworm root the real-systemd test boots: systemd 252, Debian's
# Podman 4.3.1 with runc, Debian's docker-registry as the local registry, and what a fresh
# bookworm needs for the README's native install (Debian's npm, a compiler, libgpiod-dev).
#
# The root is cached as a directory keyed like build-base.sh keys its image: the suite, this
# script's own hash and the host CA bundle's hash. A new key builds a new root and removes the
# old ones. The test never writes into it: it mounts it as the lower layer of an overlay.
#
# Usage: test/container/real-systemd-rootfs.sh [CACHE_DIR]  (default /var/cache/dht-telemetry-test)
# Prints one line `rootfs: built|cached DIR (key ...)` on stdout; progress on stderr.
set -euo pipefail

cache=${1:-${DHT_TEST_CACHE:-/var/cache/dht-telemetry-test}}
suite=bookworm
# Everything beyond minbase. No Recommends: this list is what the test needs, and nothing else.
packages=(
  systemd systemd-sysv dbus util-linux iproute2 ca-certificates curl
  podman runc conmon containernetworking-plugins iptables catatonit docker-registry
  npm build-essential python3 libgpiod-dev
)

die() { echo "real-systemd-rootfs: $*" >&2; exit 1; }
for tool in debootstrap sha256sum chroot mount; do
  command -v "$tool" >/dev/null || die "missing tool: $tool (run .ci/checks/install-deps.sh)"
done
[[ $(id -u) == 0 ]] || die "debootstrap needs root"

ca_bundle=/etc/ssl/certs/ca-certificates.crt
ca_hash=none
[[ -f $ca_bundle ]] && ca_hash=$(sha256sum "$ca_bundle" | cut -c1-12)
key="$suite-$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)-ca$ca_hash"
root=$cache/real-systemd-$key

if [[ -f $root/.complete ]]; then
  echo "rootfs: cached $root (key $key)"
  exit 0
fi

mkdir -p "$cache"
rm -rf --one-file-system "$root" "$root.partial"
partial=$root.partial
log=$cache/real-systemd-$key.log
mounted=()
cleanup() {
  local m
  for (( i=${#mounted[@]}-1; i>=0; i-- )); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  [[ -d $partial ]] && rm -rf --one-file-system "$partial"
  return 0
}
trap cleanup EXIT

echo "real-systemd-rootfs: debootstrap $suite minbase into $partial (log $log)" >&2
if ! debootstrap --variant=minbase "$suite" "$partial" >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  die "debootstrap $suite failed (log above)"
fi
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
  cp /etc/apt/sources.list.d/debian.sources "$partial/etc/apt/sources.list.d/debian.sources"
  rm -f "$partial/etc/apt/sources.list"
fi
[[ $ca_hash != none ]] && install -D -m 0644 "$ca_bundle" "$partial/etc/ssl/certs/ca-certificates.crt"

for m in proc sys dev; do
  mount --rbind "/$m" "$partial/$m"; mount --make-rslave "$partial/$m"; mounted+=("$partial/$m")
done
# No service may start while packages are installed into the root.
printf '#!/bin/sh\nexit 101\n' >"$partial/usr/sbin/policy-rc.d"; chmod 0755 "$partial/usr/sbin/policy-rc.d"
echo "real-systemd-rootfs: apt-get install ${packages[*]}" >&2
if ! chroot "$partial" /usr/bin/env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin \
     sh -c "apt-get update && apt-get install -y --no-install-recommends ${packages[*]}" >>"$log" 2>&1; then
  tail -n 20 "$log" >&2
  die "apt-get install in the root failed (log above)"
fi
rm -f "$partial/usr/sbin/policy-rc.d"
chroot "$partial" apt-get clean >>"$log" 2>&1
for (( i=${#mounted[@]}-1; i>=0; i-- )); do umount -R "${mounted[i]}"; done
mounted=()

# Other keys' roots are stale.
for old in "$cache"/real-systemd-*; do
  [[ -d $old && $old != "$root" && $old != "$partial" ]] && rm -rf --one-file-system "$old"
done
touch "$partial/.complete"
mv "$partial" "$root"
echo "rootfs: built $root (key $key)"
