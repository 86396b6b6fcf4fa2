# shellcheck shell=bash
# The step bookkeeping and waits the container suites share (smoke.sh, arm-smoke.sh, real-systemd.sh); sourced.
#
# Steps: pass|fail|skip STEP DETAIL print `PASS|FAIL|SKIP step: detail` and count; `ok STEP` asks
# whether STEP passed; `summary NAME` prints `NAME: N passed, N failed, N skipped` and returns 1 if
# any step failed (or, with SMOKE_STRICT=1, was skipped).
# Functions called through trap and wait_for look unreachable to shellcheck 0.9 (SC2317).
# shellcheck disable=SC2317

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

# start_endpoint NAME IMAGE SECONDS [PODMAN_RUN_OPTION...]: the image's own endpoint as container
# NAME on a free 127.0.0.1 port (set in ep_port), recorded as step `endpoint` once it listens
# within SECONDS. Its stderr goes to $work/ep.err ($work: the sourcing script's temp dir).
ep_port=
# shellcheck disable=SC2154
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

# The endpoint's log has one line per request, ending in its status: count the accepted events.
count_accepted() { podman logs "$1" 2>/dev/null | grep -cE ' 202( |$)'; }
accepted_at_least() { (( $(count_accepted "$1") >= $2 )); }
last_accepted() { podman logs "$1" 2>/dev/null | grep -E ' 202( |$)' | tail -n 1; }

# The runtime image's size limit (issue 15: at or below 150 MB for linux/amd64 and linux/arm64).
# shellcheck disable=SC2034
image_size_limit=150000000
