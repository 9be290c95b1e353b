#!/usr/bin/env bash
# Installs the system services the test suite needs, from Debian packages, when possible.
# Without root or apt the tests that need them skip locally (in CI, CI=true, they fail).
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# Browser tests drive Debian's Chromium through Playwright (never a downloaded browser build).
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "note: ${need[*]} not installed (needs root and apt-get); tests that need them will be skipped" >&2
fi
