#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests
# (driven by playwright-core; no browser is ever downloaded).
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
  echo "ensure-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
  exit 0
fi

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "ensure-chromium: need root (or sudo) to run: $*" >&2; return 1
  fi
}

echo "ensure-chromium: installing Debian's chromium"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version 2>/dev/null
