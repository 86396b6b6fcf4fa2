#!/usr/bin/env bash
# The deployment under a real systemd: systemd 252 booted as PID 1 in its own namespaces, chrooted
# into a Debian bookworm with Debian's Podman 4.3.1, runc and docker-registry (a local registry),
# runs the shipped units, and `podman auto-update` updates and rolls back the daemon's image.
#
# What it proves (one PASS/FAIL line each):
# - `systemctl enable --now dht-telemetry.service` returns only after the daemon's READY=1;
# - `systemctl restart` works, twice (Podman 4.3 leaves the cidfile: the unit removes it);
# - auto-update to a good new image reports `true`, and the new image runs;
# - auto-update to an image that exits before READY=1 reports `rolled back`, the old image runs;
# - an image that never sends READY=1, under a shortened TimeoutStartSec drop-in, is rolled back;
# - exit 78 (bad configuration) does not restart-loop;
# - the native unit runs from the README's native install (/opt/dht-telemetry, Node 22 from npm,
#   an `npm pack` tarball built with libgpiod) and is ready; its `systemd-analyze security`.
#
# The plain unit is installed as shipped. Its only drop-in sets the image (the test's own
# registry); the GPIO devices need no drop-in: the unit passes /dev/gpiomem and /dev/gpiochip0
# only where they exist, and the test's /dev has neither.
#
# How: `unshare --pid --fork --mount --cgroup --net --propagation private`, then chroot into an
# overlay on the cached root (real-systemd-rootfs.sh) and exec systemd with container=podman. The
# host here is cgroup v1 hybrid: the root gets a tmpfs at sys/fs/cgroup with the host's v1
# hierarchies, the named systemd one and cgroup2 at unified (a pure cgroup v2 host gets cgroup2).
# The root is made rshared before systemd starts, as a kernel-started systemd makes it (the
# credentials of LoadCredential= reach a service only through shared propagation of /run).
# Its own network namespace keeps its podman bridge and registry off the host's. Health is
# asked from outside the container (nsenter into its network namespace): `podman exec` and
# `healthcheck run` fail inside the chroot (runc cannot chdir). systemd-binfmt.service is masked:
# it would flush the host's binfmt_misc registrations.
#
# Images: the daemon image is built from the Containerfile on build-base.sh's base, as smoke.sh
# does; three images derive from it (a new generation, one that exits at once, one that never
# sends READY=1). All carry the tag prefix in $image_repo, so they never collide with other
# builds on the same podman store, and are removed at the end.
#
# Needs root, network to Debian's mirror and the npm registry (the first run builds the cached
# root; every run installs the native package). Measured on the 2-core CI machine under load
# (load average ~14): the root 8 min once (cached); a run 16 min, of it the native install 11.5
# min and the daemon image 10 min when the tree changed (kept between runs otherwise). Tears down everything it starts: the namespace (every process in it), the
# overlay, its cgroups, images and temp files.
#
# Prints `PASS|FAIL|SKIP step: detail` and closes with `real-systemd: N passed, N failed, N
# skipped`; exits 1 if any step failed, 77 if the machine cannot run it at all.
# Functions called through trap and wait_for look unreachable to shellcheck 0.9 (SC2317).
# Scripts for other shells (the chroot, the namespace) are single-quoted on purpose (SC2016).
# shellcheck disable=SC2317,SC2016
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${DHT_TEST_CACHE:-/var/cache/dht-telemetry-test}
base_image=${REAL_SYSTEMD_BASE_IMAGE:-localhost/dht-node-base:test}
id="$$-$RANDOM"
# The one image reference: every image of this test is a tag of it, the unit runs :test.
image_repo=localhost:5000/dht-rs/dht-telemetry
unit_image=$image_repo:test
tags=(gen1 gen2 exits silent)
run_opts_conf='[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"'

# shellcheck source=test/container/smoke-lib.sh
. "$here/smoke-lib.sh" # pass, fail, skip, ok, summary NAME, since, wait_for
started=$EPOCHREALTIME

if [[ $(id -u) != 0 ]]; then echo "SKIP real-systemd: needs root (unshare, chroot, mount)"; exit 77; fi
for tool in unshare nsenter chroot podman debootstrap mount npm; do
  command -v "$tool" >/dev/null || { echo "SKIP real-systemd: missing $tool (run .ci/checks/install-deps.sh)"; exit 77; }
done

work=$(mktemp -d "${TMPDIR:-/var/tmp}/dht-real-systemd.XXXXXX")
root=$work/merged
sys_pid=
cgroup_dirs=()
cleanup() {
  # Killing PID 1 of the namespace kills every process in it: conmon, containers, registry.
  local pid
  if [[ -n ${unshare_pid:-} ]]; then
    for pid in $sys_pid $(cat "/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null) "$unshare_pid"; do
      kill -KILL "$pid" 2>/dev/null
    done
    wait "$unshare_pid" 2>/dev/null
  fi
  [[ -n $sys_pid ]] && wait_for 30 bash -c "! kill -0 $sys_pid 2>/dev/null"
  for m in "$root/proc" "$root/sys" "$root/dev" "$root/var/lib/containers" "$root"; do
    mountpoint -q "$m" 2>/dev/null && umount -R -l "$m"
  done
  # Child cgroups first: systemd made a tree under each of ours.
  local dir
  for dir in "${cgroup_dirs[@]}"; do
    [[ -d $dir ]] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  # gen1 stays, like build-base.sh's base: the next run on the same tree reuses it.
  for tag in "${tags[@]:1}"; do podman rmi --force "$image_repo:$tag" >/dev/null 2>&1; done
  podman image prune --force --filter label=dht.test.base-key >/dev/null 2>&1
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# in_sys COMMAND...: run COMMAND inside the booted system (its mounts, root, PIDs, network).
in_sys() {
  nsenter --target "$sys_pid" --mount --pid --net --cgroup --root --wd \
    /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"
}
# in_ctr_net COMMAND...: run COMMAND in the daemon container's network namespace (from outside).
in_ctr_net() {
  local pid
  pid=$(in_sys podman inspect --format '{{.State.Pid}}' dht-telemetry 2>/dev/null) || return 1
  [[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
  in_sys nsenter --target "$pid" --net "$@"
}
healthz() { in_ctr_net curl -sS --max-time 5 http://127.0.0.1:9464/healthz; }
unit_prop() { in_sys systemctl show -p "$2" --value "$1"; }
running_image() { in_sys podman inspect --format '{{.Image}}' dht-telemetry 2>/dev/null; }
image_id() { in_sys podman image inspect --format '{{.Id}}' "$1" 2>/dev/null; }
journal_tail() { in_sys journalctl --no-pager -n "${2:-20}" -u "$1" 2>&1 | sed 's/^/    | /' >&2; }

# --- The root, the images, the native package -----------------------------------------------
t=$EPOCHREALTIME
if rootfs_line=$(DHT_TEST_CACHE=$cache "$here/real-systemd-rootfs.sh" 2>"$work/rootfs.err"); then
  rootfs=$(awk '{print $3}' <<<"$rootfs_line")
  pass rootfs "$(awk '{print $2}' <<<"$rootfs_line") $rootfs in $(since "$t")"
else
  tail -n 20 "$work/rootfs.err" >&2
  fail rootfs "real-systemd-rootfs.sh failed: $(tail -n 1 "$work/rootfs.err")"
  summary real-systemd; exit 1
fi

# The daemon image is kept between runs, keyed by everything that goes into it (the base image's
# key and the build's inputs): a run on an unchanged tree does not build it again.
source_key() {
  (cd "$repo" && find Containerfile .containerignore package.json package-lock.json tsconfig*.json src \
     -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum; echo "$1") | sha256sum | cut -c1-16
}
t=$EPOCHREALTIME
if ! base_line=$("$here/build-base.sh" "$base_image" 2>"$work/base.err"); then
  tail -n 20 "$work/base.err" >&2
  fail images "build-base.sh failed: $(tail -n 1 "$work/base.err")"
elif key=$(source_key "$base_line") gen1_state=cached \
     && [[ $(podman image inspect --format '{{ index .Labels "dht.test.source-key" }}' "$image_repo:gen1" 2>/dev/null) != "$key" ]] \
     && gen1_state=built && ! podman build --isolation chroot --pull=never --layers=false \
      --build-arg NODE_IMAGE="$base_image" --build-arg REVISION=real-systemd --label "dht.test.source-key=$key" \
      -t "$image_repo:gen1" -f "$repo/Containerfile" "$repo" >"$work/build.log" 2>&1; then
  tail -n 25 "$work/build.log" >&2
  fail images "podman build of the Containerfile failed: $(grep -E 'error|Error' "$work/build.log" | tail -n 1)"
else
  mkdir -p "$work/ctx"
  # gen2: the same daemon, another digest. exits: gone before READY=1. silent: runs, never ready.
  derive() {
    printf 'FROM %s\n%s\n' "$image_repo:gen1" "$2" |
      podman build --isolation chroot --pull=never -t "$image_repo:$1" -f - "$work/ctx" >>"$work/build.log" 2>&1
  }
  if derive gen2 'LABEL dht.test.generation=2' \
     && derive exits 'ENTRYPOINT ["node", "-e", "console.error(\"this image exits before READY=1\"); process.exit(3)"]' \
     && derive silent 'ENTRYPOINT ["node", "-e", "process.on(\"SIGTERM\", () => process.exit(0)); setInterval(() => {}, 60000)"]' \
     && podman save --quiet --multi-image-archive -o "$work/images.tar" "${tags[@]/#/$image_repo:}" 2>>"$work/build.log"; then
    pass images "$base_line; daemon image ($gen1_state, key $key) and 3 derived in $(since "$t")"
  else
    tail -n 20 "$work/build.log" >&2
    fail images "deriving or saving the test images failed"
  fi
fi

t=$EPOCHREALTIME
if (cd "$repo" && npm run build >"$work/npm-build.log" 2>&1 && npm pack --pack-destination "$work" >"$work/npm-pack.log" 2>&1); then
  tarball=$(ls "$work"/dht-telemetry-*.tgz)
  pass npm-pack "$(basename "$tarball") in $(since "$t")"
else
  tail -n 20 "$work/npm-build.log" "$work/npm-pack.log" >&2
  fail npm-pack "npm run build / npm pack failed"
fi

# --- The overlay root, set up as a Pi would be -------------------------------------------------
mkdir -p "$work/upper" "$work/ovl-work" "$root" "$work/containers"
if ! mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$work/upper,workdir=$work/ovl-work" "$root"; then
  fail boot "cannot mount an overlay on $rootfs"; summary real-systemd; exit 1
fi
# Podman's own overlay storage cannot sit on an overlay: a plain directory of the host's.
mkdir -p "$root/var/lib/containers" && mount --bind "$work/containers" "$root/var/lib/containers"

cat >"$root/etc/containers/registries.conf.d/50-dht-test.conf" <<'EOF'
[[registry]]
location = "localhost:5000"
insecure = true
EOF
# This machine refuses podman's default rlimits, and only runc works here (see smoke.sh).
mkdir -p "$root/etc/containers/containers.conf.d"
printf '%s\n' "$run_opts_conf" >"$root/etc/containers/containers.conf.d/50-dht-test.conf"
cat >"$root/etc/docker/registry/config.yml" <<'EOF'
version: 0.1
storage:
  filesystem:
    rootdirectory: /var/lib/docker-registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
EOF
ln -sf /dev/null "$root/etc/systemd/system/systemd-binfmt.service"
# No console, no udev, no getty in here.
for unit in console-getty.service getty@tty1.service systemd-udevd.service systemd-udev-trigger.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
: >"$root/etc/machine-id"
echo dht-pi >"$root/etc/hostname"
[[ -f $work/images.tar ]] && mv "$work/images.tar" "$work/containers/images.tar"
# Raspberry Pi OS has a gpio group; its number differs between images (the unit asks getent).
chroot "$root" groupadd --system gpio 2>/dev/null

# The daemon's settings, as the README has the user write them.
mkdir -p "$root/etc/dht-telemetry"
cat >"$root/etc/dht-telemetry/dht-telemetry.env" <<'EOF'
ENDPOINT=http://192.0.2.1:8088/v1/foo
APP_ID=my-app
DEVICE_ID=pi
GEOLOCATION={"lat": 44.8166, "lon": 20.4721}
SENSOR_TYPE=sim
INTERVAL=2s
LOG_LEVEL=info
EOF
install -m 0644 "$repo/systemd/dht-telemetry.service" "$root/etc/systemd/system/dht-telemetry.service"
mkdir -p "$root/etc/systemd/system/dht-telemetry.service.d"
printf '[Service]\nEnvironment=DHT_TELEMETRY_IMAGE=%s\n' "$unit_image" >"$root/etc/systemd/system/dht-telemetry.service.d/10-test-image.conf"
install -m 0644 "$repo/systemd/dht-telemetry-native.service" "$root/etc/systemd/system/dht-telemetry-native.service"
install -m 0600 /dev/null "$root/etc/dht-telemetry/device-password"
printf 'not-a-real-password' >"$root/etc/dht-telemetry/device-password"

# The README's native install, step by step, on this fresh bookworm (with the host's network).
if ok npm-pack; then
  t=$EPOCHREALTIME
  cp "$tarball" "$root/root/"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # This machine may reach the npm registry through a proxy with its own CA (see build-base.sh);
  # a Pi does not need this.
  install -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/root/host-ca.crt"
  native_script='
set -e
cd /root
npm install --global --prefix /opt/dht-telemetry --no-audit --no-fund npm@10
env PATH=/opt/dht-telemetry/bin:$PATH npm install --global --prefix /opt/dht-telemetry --no-audit --no-fund node@22
env PATH=/opt/dht-telemetry/bin:$PATH npm_config_use_libgpiod=true \
  npm_config_nodedir="$(echo /opt/dht-telemetry/lib/node_modules/node/node_modules/node-linux-*)" \
  npm install --global --prefix /opt/dht-telemetry --no-audit --no-fund ./dht-telemetry-*.tgz
ldd /opt/dht-telemetry/lib/node_modules/dht-telemetry/node_modules/node-dht-sensor/build/Release/node_dht_sensor.node | grep -q libgpiod
/opt/dht-telemetry/bin/node /opt/dht-telemetry/lib/node_modules/dht-telemetry/dist/cli/main.js --version'
  if unshare --mount --propagation private bash -c '
      for m in proc sys dev; do mount --rbind "/$m" "$1/$m"; done
      exec chroot "$1" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        NODE_EXTRA_CA_CERTS=/root/host-ca.crt npm_config_cafile=/root/host-ca.crt bash -c "$2"' \
      bash "$root" "$native_script" >"$work/native-install.log" 2>&1; then
    pass native-install "npm@10, node@22 and $(basename "$tarball") into /opt/dht-telemetry, node-dht-sensor linked to libgpiod, version $(tail -n 1 "$work/native-install.log"), in $(since "$t")"
  else
    tail -n 25 "$work/native-install.log" >&2
    fail native-install "the README's native install failed (log above)"
  fi
else
  skip native-install "needs npm-pack"
fi

# --- Boot ----------------------------------------------------------------------------------------
# Our own cgroup in every hierarchy: the namespace's root, removed (with systemd's tree) at the end.
cg_name=dht-real-systemd-$id
cgroup_mode=v1-hybrid
[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] && cgroup_mode=v2
hierarchies=()
# mountinfo: "id parent maj:min root MOUNTPOINT opts [optional...] - FSTYPE source SUPEROPTS".
while read -r mnt fstype opts; do
  [[ $mnt == /sys/fs/cgroup/* || $mnt == /sys/fs/cgroup ]] || continue
  case $fstype in
    cgroup) hierarchies+=("$mnt|$(tr ',' '\n' <<<"$opts" | grep -vxE 'rw|ro|relatime|noatime|nosuid|nodev|noexec|xattr|clone_children' | paste -sd,)") ;;
    cgroup2) hierarchies+=("$mnt|cgroup2") ;;
  esac
done < <(awk '{ split($0, half, " - "); split(half[1], a, " "); split(half[2], b, " "); print a[5], b[1], b[3] }' /proc/self/mountinfo)
boot_cgroups=()
for h in "${hierarchies[@]}"; do
  mnt=${h%%|*}
  own=$(awk -F: -v opts="${h#*|}" -v mode="$cgroup_mode" '
    (opts == "cgroup2" && $1 == 0) { print $3; exit }
    (opts != "cgroup2") { n = split($2, c, ","); for (i = 1; i <= n; i++) if (index("," opts ",", "," c[i] ",")) { print $3; exit } }' /proc/self/cgroup)
  dir=$mnt${own%/}/$cg_name
  mkdir -p "$dir" && cgroup_dirs+=("$dir") && boot_cgroups+=("$dir")
  # A new v1 cpuset has no CPUs and no memory nodes: nothing can join it until it gets its parent's.
  for f in cpuset.cpus cpuset.mems; do
    [[ -f $dir/$f ]] && cat "$(dirname "$dir")/$f" >"$dir/$f"
  done
done

boot_script='
set -e
root=$1; shift; mode=$1; shift
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount -t tmpfs -o mode=755 tmpfs "$root/sys/fs/cgroup"
if [ "$mode" = v2 ]; then
  mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup"
else
  for h in "$@"; do
    name=${h%%|*}; name=${name#/sys/fs/cgroup/}; opts=${h#*|}
    mkdir -p "$root/sys/fs/cgroup/$name"
    if [ "$opts" = cgroup2 ]; then mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup/$name"
    else case $opts in name=*) opts=none,$opts;; esac; mount -t cgroup -o "$opts" cgroup "$root/sys/fs/cgroup/$name"; fi
  done
fi
mount -o remount,bind,ro "$root/sys" 2>/dev/null || true
mount -t tmpfs -o mode=755,size=16m tmpfs "$root/dev"
for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0 fuse:10:229; do
  IFS=: read -r n ma mi <<EOF
$spec
EOF
  mknod -m 666 "$root/dev/$n" c "$ma" "$mi"
done
mkdir -p "$root/dev/pts" "$root/dev/shm" "$root/dev/net"
mknod -m 666 "$root/dev/net/tun" c 10 200
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
touch "$root/dev/console" && mount --bind /dev/null "$root/dev/console"
# Shared propagation, as on a Pi: systemd makes / rshared only when the kernel starts it, not
# under container=podman (it trusts the container manager), and unshare --propagation private
# left every mount here private. systemd 252 builds a LoadCredential= directory in a forked
# mount namespace (a ramfs owned by the DynamicUser, moved onto /run/credentials/UNIT); with a
# private /run that mount never reaches the service, which finds only the empty root-owned
# 0700 placeholder: EACCES on %d/device-password (the native unit exited 78). Shared only
# within this namespace: the mounts of the host stay private to it.
mount --make-rshared "$root"
exec chroot "$root" /usr/bin/env -i container=podman PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd --log-target=journal-or-kmsg
'
t=$EPOCHREALTIME
(
  for dir in "${boot_cgroups[@]}"; do
    echo "$BASHPID" >"$dir/cgroup.procs" || { echo "cannot join $dir" >&2; exit 1; }
  done
  exec unshare --pid --fork --mount --cgroup --net --propagation private --kill-child \
    bash -c "$boot_script" bash "$root" "$cgroup_mode" "${hierarchies[@]}"
) >"$work/boot.log" 2>&1 &
unshare_pid=$!
find_sys_pid() {
  local child
  child=$(tr -d ' \n' <"/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null) || return 1
  [[ $child =~ ^[0-9]+$ ]] && [[ $(readlink "/proc/$child/exe" 2>/dev/null) == */systemd ]] && sys_pid=$child
}
is_up() { [[ $(in_sys systemctl is-system-running 2>/dev/null) =~ ^(running|degraded)$ ]]; }
if wait_for 60 find_sys_pid && wait_for 120 is_up; then
  pass boot "systemd $(in_sys systemctl --version | awk 'NR==1 {print $2}') is PID 1 (host pid $sys_pid), cgroups $cgroup_mode, state $(in_sys systemctl is-system-running), podman $(in_sys podman --version | awk '{print $3}') in $(since "$t")"
  failed_units=$(in_sys systemctl list-units --failed --plain --no-legend | awk '{print $1}' | paste -sd' ')
  [[ -n $failed_units ]] && echo "    (failed units inside, not ours: $failed_units)" >&2
else
  cat "$work/boot.log" >&2
  fail boot "systemd did not come up within 180 s (state: $( [[ -n $sys_pid ]] && in_sys systemctl is-system-running 2>&1))"
  summary real-systemd; exit 1
fi

# --- The registry and the images in it ---------------------------------------------------------
registry_up() { in_sys curl -sf --max-time 2 http://127.0.0.1:5000/v2/ >/dev/null; }
# push TAG: make TAG the registry's :test. Never tagged :test locally: auto-update compares the
# local :test (what the unit runs) with the registry's.
push() { in_sys podman push --quiet "$image_repo:$1" "docker://$unit_image" >>"$work/push.log" 2>&1; }
if ! ok images; then
  skip registry "needs images"
elif in_sys systemctl start docker-registry.service && wait_for 30 registry_up \
     && in_sys podman load --quiet -i /var/lib/containers/images.tar >"$work/load.log" 2>&1 && push gen1; then
  pass registry "Debian's docker-registry on 127.0.0.1:5000, $unit_image pushed (gen1)"
else
  journal_tail docker-registry.service
  cat "$work/load.log" "$work/push.log" >&2 2>/dev/null
  fail registry "could not start the registry or push the image"
fi
declare -A image_ids=()
for tag in "${tags[@]}"; do image_ids[$tag]=$(image_id "$image_repo:$tag"); done
short() { echo "${1:0:12}"; }

# --- The plain unit ---------------------------------------------------------------------------
if ! ok registry; then
  skip enable-now "needs registry"
else
  printf 'not-a-real-password' | in_sys podman secret create dht-telemetry-password - >/dev/null
  in_sys systemctl daemon-reload
  t=$EPOCHREALTIME
  if in_sys timeout 300 systemctl enable --now dht-telemetry.service >"$work/enable.log" 2>&1; then
    took=$(since "$t")
    active=$(unit_prop dht-telemetry.service ActiveState)
    ready_line=$(in_sys podman logs dht-telemetry 2>&1 | grep -c 'ready: sent READY=1')
    health=$(healthz)
    if [[ $active == active && $ready_line -ge 1 && $health == *'"ready":true'* ]]; then
      pass enable-now "returned after $took with the unit active and the daemon's 'ready: sent READY=1' already logged; /healthz from outside: $(grep -oE '"status":"[a-z]+"' <<<"$health"), $(grep -oE '"version":"[^"]*"' <<<"$health")"
    else
      journal_tail dht-telemetry.service 30
      fail enable-now "returned after $took but ActiveState=$active, READY=1 logged $ready_line times, /healthz: ${health:0:200}"
    fi
    host_args=$(in_sys cat /run/dht-telemetry.service.host-args 2>/dev/null)
    echo "    host args the unit found: ${host_args:-none}" >&2
  else
    journal_tail dht-telemetry.service 40
    fail enable-now "systemctl enable --now failed: $(tail -n 2 "$work/enable.log" | paste -sd' ')"
  fi
fi

if ! ok enable-now; then
  skip restart "needs enable-now"
else
  restarts_ok=0 ids=()
  for _ in 1 2; do
    before=$(in_sys cat /run/dht-telemetry.service.ctr-id 2>/dev/null)
    if in_sys timeout 300 systemctl restart dht-telemetry.service 2>>"$work/restart.log" \
       && [[ $(unit_prop dht-telemetry.service ActiveState) == active ]]; then
      after=$(in_sys cat /run/dht-telemetry.service.ctr-id 2>/dev/null)
      [[ -n $after && $after != "$before" ]] && restarts_ok=$((restarts_ok + 1)) && ids+=("$(short "$after")")
    fi
  done
  if (( restarts_ok == 2 )); then
    pass restart "systemctl restart, twice: active again each time, new containers ${ids[*]}"
  else
    journal_tail dht-telemetry.service 30
    fail restart "only $restarts_ok of 2 restarts came back active with a new container: $(tail -n 2 "$work/restart.log" | paste -sd' ')"
  fi
fi

# auto_update: one `podman auto-update` run; prints "<unit> <updated>" for our unit.
auto_update() {
  in_sys timeout 400 podman auto-update --format '{{.Unit}} {{.Updated}}' 2>>"$work/auto-update.log" | grep '^dht-telemetry.service '
}
if ! ok enable-now; then
  skip auto-update-good "needs enable-now"
else
  push gen2
  t=$EPOCHREALTIME
  result=$(auto_update)
  now_image=$(running_image)
  if [[ $result == 'dht-telemetry.service true' && $now_image == "${image_ids[gen2]}" && $(unit_prop dht-telemetry.service ActiveState) == active ]]; then
    pass auto-update-good "podman auto-update: '$result' in $(since "$t"); gen2 ($(short "$now_image")) runs"
  else
    journal_tail dht-telemetry.service 30
    fail auto-update-good "podman auto-update said '${result:-nothing}' ($(tail -n 1 "$work/auto-update.log")); running $(short "$now_image"), gen2 is $(short "${image_ids[gen2]}")"
  fi
fi

# rollback_case NAME TAG: auto-update to TAG must report `rolled back` and leave the previous image running.
rollback_case() {
  local name=$1 tag=$2 previous result now_image health
  previous=$(running_image)
  push "$tag"
  t=$EPOCHREALTIME
  result=$(auto_update)
  now_image=$(running_image)
  health=$(wait_for 60 healthz >/dev/null && healthz)
  if [[ $result == 'dht-telemetry.service rolled back' && -n $previous && $now_image == "$previous" \
        && $(unit_prop dht-telemetry.service ActiveState) == active && $health == *'"ready":true'* ]]; then
    pass "$name" "podman auto-update: '$result' in $(since "$t"); the previous image ($(short "$previous")) runs again, /healthz $(grep -oE '"status":"[a-z]+"' <<<"$health") $(grep -oE '"version":"[^"]*"' <<<"$health")"
  else
    journal_tail dht-telemetry.service 30
    fail "$name" "podman auto-update said '${result:-nothing}' ($(tail -n 1 "$work/auto-update.log")); running $(short "$now_image"), before $(short "$previous"), ActiveState $(unit_prop dht-telemetry.service ActiveState)"
  fi
}
if ok auto-update-good; then
  rollback_case rollback-exits exits
  # A daemon that never says READY=1 fails the start at TimeoutStartSec; 300 s is shortened here.
  mkdir -p "$root/etc/systemd/system/dht-telemetry.service.d"
  printf '[Service]\nTimeoutStartSec=45\n' >"$root/etc/systemd/system/dht-telemetry.service.d/20-test-timeout.conf"
  in_sys systemctl daemon-reload
  rollback_case rollback-silent silent
  rm -f "$root/etc/systemd/system/dht-telemetry.service.d/20-test-timeout.conf"
  in_sys systemctl daemon-reload
  # The registry keeps the good image again, so nothing else tries the broken one.
  push gen2
else
  skip rollback-exits "needs auto-update-good"
  skip rollback-silent "needs auto-update-good"
fi

# Exit 78: a configuration error. The unit must end failed, and stay so: no restart loop.
if ! ok enable-now; then
  skip exit-78 "needs enable-now"
else
  cp "$root/etc/dht-telemetry/dht-telemetry.env" "$work/env.good"
  echo 'SENSOR_PIN=99' >>"$root/etc/dht-telemetry/dht-telemetry.env"
  in_sys timeout 120 systemctl restart dht-telemetry.service >/dev/null 2>&1
  failed_now() { [[ $(unit_prop dht-telemetry.service ActiveState) == failed ]]; }
  wait_for 60 failed_now
  # RestartSec=10: a loop would show within 10 s. Watch 25 s for a restart that must not come.
  restarts_seen=0 deadline=$(( $(date +%s) + 25 ))
  while (( $(date +%s) < deadline )); do
    [[ $(unit_prop dht-telemetry.service ActiveState) != failed ]] && restarts_seen=$((restarts_seen + 1))
    sleep 1
  done
  status=$(unit_prop dht-telemetry.service ExecMainStatus) nrestarts=$(unit_prop dht-telemetry.service NRestarts)
  why=$(in_sys journalctl --no-pager -u dht-telemetry.service -o cat | grep -m1 'SENSOR_PIN' | cut -c1-160)
  if failed_now && [[ $nrestarts == 0 && $restarts_seen == 0 && $status == 78 ]]; then
    pass exit-78 "SENSOR_PIN=99: the unit failed with status 78 and stayed failed for 25 s (NRestarts=0); the daemon said: ${why:-?}"
  else
    journal_tail dht-telemetry.service 30
    fail exit-78 "ActiveState $(unit_prop dht-telemetry.service ActiveState), ExecMainStatus=$status, NRestarts=$nrestarts, left failed $restarts_seen times"
  fi
  cp "$work/env.good" "$root/etc/dht-telemetry/dht-telemetry.env"
  in_sys systemctl reset-failed dht-telemetry.service
  in_sys systemctl disable --now dht-telemetry.service >/dev/null 2>&1
fi

# --- The native unit ------------------------------------------------------------------------
if ! ok native-install; then
  skip native-unit "needs native-install"
else
  in_sys systemctl daemon-reload
  t=$EPOCHREALTIME
  if in_sys timeout 180 systemctl enable --now dht-telemetry-native.service >"$work/native.log" 2>&1 \
     && [[ $(unit_prop dht-telemetry-native.service ActiveState) == active ]]; then
    health=$(in_sys curl -sS --max-time 5 http://127.0.0.1:9464/healthz)
    exposure=$(in_sys systemd-analyze security dht-telemetry-native.service 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [[ $health == *'"ready":true'* ]]; then
      pass native-unit "enable --now returned active in $(since "$t") (Type=notify, DynamicUser, gpio group); /healthz $(grep -oE '"status":"[a-z]+"' <<<"$health") $(grep -oE '"version":"[^"]*"' <<<"$health") $(grep -oE '"node":"[^"]*"' <<<"$health"); systemd-analyze security exposure ${exposure:-?}"
    else
      journal_tail dht-telemetry-native.service 30
      fail native-unit "active, but /healthz said: ${health:0:200}"
    fi
    device_warnings=$(in_sys journalctl --no-pager -u dht-telemetry-native.service -o cat | grep -iE 'gpiomem|gpiochip' | sort -u | paste -sd'|')
    [[ -n $device_warnings ]] && echo "    journal on the missing GPIO devices: $device_warnings" >&2
    in_sys systemctl disable --now dht-telemetry-native.service >/dev/null 2>&1
  else
    journal_tail dht-telemetry-native.service 40
    fail native-unit "systemctl enable --now dht-telemetry-native.service failed: $(tail -n 2 "$work/native.log" | paste -sd' ')"
  fi
fi

echo "real-systemd: took $(since "$started")"
summary real-systemd
