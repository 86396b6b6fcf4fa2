# shellcheck shell=bash
# The step bookkeeping and waits the container suites share (smoke.sh, arm-smoke.sh, real-systemd.sh); sourced.
#
# Steps: pass|fail|skip STEP DETAIL print `PASS|FAIL|SKIP step: detail` and count; `ok STEP` asks
# whether STEP passed; `summary NAME` prints `NAME: N passed, N failed, N skipped` and returns 1 if
# any step failed (or, with SMOKE_STRICT=1, was skipped).
# Functions called through trap and wait_for look unreachable to shellcheck 0.9 (SC2317).
# shellcheck disable=SC2317
# The steps read the sourcing script's $here (test/container), $repo and $work (its temp dir).
# shellcheck disable=SC2154

# This machine refuses the default rlimits (setrlimit RLIMIT_NOFILE: operation not permitted),
# and crun fails the same way: runc with explicit, lower limits works.
# shellcheck disable=SC2034 # used by the scripts that source this file
run_opts=(--runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

passed=0 failed=0 skipped=0
declare -A state=()
pass() { state[$1]=pass; passed=$((passed + 1)); echo "PASS $1${2:+: $2}"; }
fail() { state[$1]=fail; failed=$((failed + 1)); echo "FAIL $1: $2"; }
skip() { state[$1]=skip; skipped=$((skipped + 1)); echo "SKIP $1: $2"; }
ok() { [[ ${state[$1]:-} == pass ]]; }
summary() {
  echo "$1: $passed passed, $failed failed, $skipped skipped"
  ! (( failed > 0 )) && ! { [[ ${SMOKE_STRICT:-0} == 1 ]] && (( skipped > 0 )); }
}
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; }
mb() { echo "$(( $1 / 1000000 )) MB"; }

# wait_for SECONDS COMMAND...: run COMMAND every half second until it succeeds or time runs out.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    (( $(date +%s) >= deadline )) && return 1
    sleep 0.5
  done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_listener SOCKET LOG: a stand-in for systemd's NOTIFY_SOCKET, one line per datagram. The
# caller kills "${listener_pids[@]}" when done.
listener_pids=()
start_listener() {
  python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(4096).decode(errors="replace").replace("\n", "|"), flush=True)
' "$1" >"$2" 2>&1 &
  listener_pids+=($!)
  wait_for 5 test -S "$1"
}
tail_logs() { podman logs "$1" 2>&1 | tail -n "${2:-15}" | sed 's/^/    | /' >&2; }

# prerequisites_step INSTALL_HINT ROOT_REASON DESCRIBE NEED...: step `prerequisites`, every NEED
# there (a command, or a file given by its path) and root; DESCRIBE (a command) prints the pass detail.
prerequisites_step() {
  local hint=$1 root_reason=$2 describe=$3 need missing=(); shift 3
  for need in "$@"; do
    if [[ $need == /* ]]; then [[ -e $need ]] || missing+=("$need"); else command -v "$need" >/dev/null || missing+=("$need"); fi
  done
  if (( ${#missing[@]} > 0 )); then
    fail prerequisites "missing ${missing[*]} ($hint)"
  elif [[ $(id -u) != 0 ]]; then
    skip prerequisites "not root: $root_reason need root"
  else
    pass prerequisites "$("$describe")"
  fi
}

# build_base_step STEP IMAGE [BUILD_BASE_OPTION...]: step STEP, build-base.sh builds IMAGE (or
# finds it cached).
build_base_step() {
  local step=$1 image=$2 t out; shift 2
  t=$(now)
  if out=$("$here/build-base.sh" "$@" "$image" 2>"$work/base.err"); then
    pass "$step" "${out#base-image: } in $(since "$t"), $(mb "$(podman image inspect --format '{{.Size}}' "$image")")"
  else
    tail -n 15 "$work/base.err" >&2
    fail "$step" "build-base.sh failed: $(tail -n 1 "$work/base.err")"
  fi
}

# node_runs_step IMAGE ARCH [PODMAN_RUN_OPTION...]: step `base-run`, node runs in IMAGE as ARCH.
node_runs_step() {
  local image=$1 arch=$2 t out; shift 2
  t=$(now)
  if out=$(podman run --rm "$@" "${run_opts[@]}" --network none "$image" \
      node -p '`${process.version} ${process.arch}`' 2>&1) && [[ $out == *" $arch" ]]; then
    pass base-run "node $out in $image ($(since "$t"))"
  else
    fail base-run "node in $image did not run as $arch: $(echo "$out" | tail -n 1)"
  fi
}

# build_step IMAGE [PODMAN_BUILD_OPTION...]: step `build`, the real Containerfile built as IMAGE.
build_step() {
  local image=$1 t; shift
  t=$(now)
  if podman build --isolation chroot --pull=never --layers=false "$@" \
      -t "$image" -f "$repo/Containerfile" "$repo" >"$work/build.log" 2>&1; then
    pass build "podman build $* in $(since "$t")"
  else
    tail -n 25 "$work/build.log" >&2
    fail build "podman build failed after $(since "$t"): $(grep -E 'error|Error' "$work/build.log" | tail -n 1)"
  fi
}

# addons_step IMAGE ARCH [PODMAN_RUN_OPTION...]: step `addons`, every native addon loads in IMAGE's
# node on ARCH: a missing shared library shows only in the runtime image.
addons_step() {
  local image=$1 arch=$2 t out; shift 2
  t=$(now)
  if out=$(podman run --rm "$@" "${run_opts[@]}" --network none --entrypoint node "$image" -e '
      for (const m of ["better-sqlite3", "unix-dgram", "node-dht-sensor", "epoll"]) require("/app/node_modules/" + m);
      process.stdout.write(`ok ${process.version} ${process.arch}`)' 2>&1) && [[ $out == "ok "*" $arch" ]]; then
    pass addons "better-sqlite3, unix-dgram, node-dht-sensor (libgpiod), epoll load on node ${out#ok } as uid $(podman image inspect --format '{{.Config.User}}' "$image") ($(since "$t"))"
  else
    fail addons "$(echo "$out" | grep -v '^\s*at ' | head -n 3 | tr '\n' ' ')"
  fi
}

# start_endpoint NAME IMAGE SECONDS [PODMAN_RUN_OPTION...]: the image's own endpoint as container
# NAME on a free 127.0.0.1 port (set in ep_port), recorded as step `endpoint` once it listens
# within SECONDS. Its stderr goes to $work/ep.err.
ep_port=
start_endpoint() {
  local name=$1 image=$2 limit=$3; shift 3
  ep_port=$(free_port)
  if podman run -d --name "$name" "$@" "${run_opts[@]}" --network host "$image" \
      endpoint --host 127.0.0.1 --port "$ep_port" >/dev/null 2>"$work/ep.err" \
     && wait_for "$limit" port_open "$ep_port"; then
    pass endpoint "the image's own endpoint listening on 127.0.0.1:$ep_port"
  else
    tail_logs "$name"
    fail endpoint "the endpoint did not listen on 127.0.0.1:$ep_port within $limit s: $(tail -n 1 "$work/ep.err")"
  fi
}

# start_daemon NAME IMAGE SECONDS [PODMAN_RUN_OPTION...]: step `daemon-start`, IMAGE's `run` as
# container NAME under --sdnotify=container, the volume $volume as its data dir, the endpoint at
# $ep_port; NOTIFY_SOCKET's datagrams go to $work/notify.log, one line each.
start_daemon() {
  local name=$1 image=$2 limit=$3 t; shift 3
  start_listener "$work/notify.sock" "$work/notify.log"
  t=$(now)
  # Podman 4.3's `run -d --sdnotify=container` returns at once and forwards READY=1 and
  # WATCHDOG=1 from the container to NOTIFY_SOCKET later; bounded in case a Podman waits.
  if NOTIFY_SOCKET=$work/notify.sock timeout "$limit" podman run -d --name "$name" "${run_opts[@]}" \
      --network host --sdnotify=container -v "$volume:/var/lib/dht-telemetry" \
      -e ENDPOINT="http://127.0.0.1:$ep_port" -e DEVICE_ID=pi -e DEVICE_PASSWORD=smoke-secret \
      -e SENSOR_TYPE=sim -e INTERVAL=1s -e LOG_LEVEL=info "$@" "$image" run >/dev/null 2>"$work/run.err"; then
    pass daemon-start "podman run -d --sdnotify=container returned after $(since "$t")"
  else
    tail -n 3 "$work/run.err" >&2; tail_logs "$name"
    fail daemon-start "podman run failed or timed out after $(since "$t"): $(tail -n 1 "$work/run.err")"
  fi
}

# expect_ready NAME SECONDS: step `ready`, READY=1 forwarded to NOTIFY_SOCKET within SECONDS.
expect_ready() {
  local log=$work/notify.log
  if wait_for "$2" grep -qx 'READY=1' "$log"; then
    pass ready "READY=1 arrived on NOTIFY_SOCKET ($(grep -c . "$log") datagram(s) so far: $(paste -sd' ' "$log"))"
  else
    tail_logs "$1"
    fail ready "no READY=1 on NOTIFY_SOCKET within $2 s (got: $(paste -sd' ' "$log"))"
  fi
}

# The endpoint's log has one line per request, ending in its status: count the accepted events.
count_accepted() { podman logs "$1" 2>/dev/null | grep -cE ' 202( |$)'; }
accepted_at_least() { (( $(count_accepted "$1") >= $2 )); }
last_accepted() { podman logs "$1" 2>/dev/null | grep -E ' 202( |$)' | tail -n 1; }

# expect_events ENDPOINT DAEMON SECONDS: step `events`, three events accepted within SECONDS.
expect_events() {
  if wait_for "$3" accepted_at_least "$1" 3; then
    pass events "$(count_accepted "$1") events accepted (202) by the endpoint; last: $(last_accepted "$1")"
  else
    tail_logs "$1" 5; tail_logs "$2"
    fail events "fewer than 3 events accepted within $3 s (got $(count_accepted "$1"))"
  fi
}

# expect_sigterm DAEMON SECONDS: step `sigterm`, `podman stop --time SECONDS` ends it with exit 0.
expect_sigterm() {
  local t code
  t=$(now)
  podman stop --time "$2" "$1" >/dev/null 2>&1
  code=$(podman inspect --format '{{.State.ExitCode}}' "$1" 2>/dev/null)
  if [[ $code == 0 ]]; then
    pass sigterm "exit 0 $(since "$t") after SIGTERM (podman stop --time $2)"
  else
    tail_logs "$1"
    fail sigterm "exit code $code after SIGTERM ($(since "$t"); 137 means it was killed at the stop timeout)"
  fi
}

# The runtime image's size limit (issue 15: at or below 150 MB for linux/amd64 and linux/arm64).
# shellcheck disable=SC2034
image_size_limit=150000000
