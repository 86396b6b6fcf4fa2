#!/usr/bin/env bash
# Debian packages the checks and tests need: chromium for the live-page browser test,
# and what .ci/checks/install-deps.sh lists for the unit checks and the container test.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium util-linux mount openssl >/dev/null
if [ -f .ci/checks/install-deps.sh ]; then
  bash .ci/checks/install-deps.sh
fi
