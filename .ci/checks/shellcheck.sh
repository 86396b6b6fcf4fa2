#!/usr/bin/env bash
# Run shellcheck on every shell script in the repository: files named *.sh or *.bash, and files whose
# first line is a sh/bash shebang (.ci/run has no extension). node_modules, .git and build output
# are skipped. Without shellcheck it prints `SKIP: reason` and exits 77 (a counted skip). Prints `PASS path` / `FAIL path: first finding` per script; exits 1 if any failed.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1
if ! command -v shellcheck >/dev/null; then
  echo "SKIP: shellcheck is missing (run .ci/checks/install-deps.sh)"; exit 77
fi

scripts=()
while IFS= read -r -d '' file; do
  case $file in
    *.sh | *.bash) scripts+=("$file") ;;
    *) head -n 1 "$file" 2>/dev/null | grep -qE '^#!.*(/|env +)(ba|da|k)?sh( |$)' && scripts+=("$file") ;;
  esac
done < <(find . \( -name node_modules -o -name .git -o -name dist -o -name coverage -o -name test-artifacts \) -prune \
  -o -type f -print0 | sort -z)

if (( ${#scripts[@]} == 0 )); then
  echo "FAIL shellcheck: no shell scripts found"; exit 1
fi

failed=0
for script in "${scripts[@]}"; do
  path=${script#./}
  if out=$(shellcheck --external-sources --format=gcc "$script" 2>&1); then
    echo "PASS $path"
  else
    echo "FAIL $path: $(echo "$out" | wc -l) finding(s), first: $(echo "$out" | head -n 1 | sed "s|^\./||")"
    failed=1
  fi
done
exit "$failed"
