#!/usr/bin/env bash
# Assemble a local stand-in for the Containerfile's base image (node:24-bookworm-slim), because no
# image registry is reachable from CI: a Debian bookworm minbase from Debian's packages, plus the
# HOST's Node runtime laid out where the official image has it (/usr/local/bin/node, npm under
# /usr/local/lib/node_modules/npm, headers under /usr/local/include/node). The host runs Node 20,
# the real image Node 24: fine for a smoke test of the packaging, not for the Node version.
#
# The image is cached: it carries a label with a key made of the host's Node version, this
# script's own hash and the CA bundle's hash, and is rebuilt only when the key changes.
#
# Usage: test/container/build-base.sh [IMAGE]   (default localhost/dht-node-base:test)
# Prints one line `base-image: built|cached IMAGE (key ...)` on stdout; progress on stderr.
set -euo pipefail

image=${1:-localhost/dht-node-base:test}
suite=bookworm

die() { echo "build-base: $*" >&2; exit 1; }

for tool in podman debootstrap node tar sha256sum; do
  command -v "$tool" >/dev/null || die "missing tool: $tool (run .ci/checks/install-deps.sh)"
done
[[ $(id -u) == 0 ]] || die "debootstrap needs root"

node_bin=$(readlink -f "$(command -v node)")
node_prefix=$(dirname "$(dirname "$node_bin")")
npm_dir=$node_prefix/lib/node_modules/npm
headers=$node_prefix/include/node
[[ -d $npm_dir ]] || die "no npm beside the host's node (looked in $npm_dir)"
[[ -f $headers/common.gypi ]] || die "no Node headers beside the host's node (looked in $headers)"

# The machine may reach the registries through a TLS proxy with its own CA: the base carries the
# host's bundle so that `npm ci` inside the build trusts what the host trusts.
ca_bundle=/etc/ssl/certs/ca-certificates.crt
ca_hash=none
[[ -f $ca_bundle ]] && ca_hash=$(sha256sum "$ca_bundle" | cut -c1-12)

node_version=$(node --version)
npm_version=$(node "$npm_dir/bin/npm-cli.js" --version)
key="$suite-node$node_version-npm$npm_version-$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)-ca$ca_hash"

if [[ $(podman image inspect --format '{{ index .Labels "dht.test.base-key" }}' "$image" 2>/dev/null || true) == "$key" ]]; then
  echo "base-image: cached $image (key $key)"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dht-base.XXXXXX")
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT
root=$work/rootfs

echo "build-base: debootstrap $suite minbase into $root" >&2
# debootstrap's own default mirror is used on purpose: it is Debian's package archive.
if ! debootstrap --variant=minbase "$suite" "$root" >"$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log" >&2
  die "debootstrap $suite failed (log above)"
fi

# Same apt sources as the host (which include -updates and -security, like the official image).
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
  rm -f "$root/etc/apt/sources.list"
fi

echo "build-base: copying Node $node_version and npm $npm_version from the host" >&2
install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
cp -a "$headers" "$root/usr/local/include/node"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
if [[ $ca_hash != none ]]; then
  install -D -m 0644 "$ca_bundle" "$root/etc/ssl/certs/ca-certificates.crt"
fi

# Trim what a slim image does not carry.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log

echo "build-base: importing as $image" >&2
tar --numeric-owner --xattrs -C "$root" -cf "$work/rootfs.tar" .
podman rmi --force "$image" >/dev/null 2>&1 || true
podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  --change "LABEL dht.test.base-key=$key" \
  "$work/rootfs.tar" "$image" >/dev/null
echo "base-image: built $image (key $key)"
