#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests
# (driven by playwright-core; no browser is ever downloaded).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ -x /usr/bin/chromium ]]; then
  echo "ensure-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
  exit 0
fi

echo "ensure-chromium: installing Debian's chromium"
apt_install chromium
/usr/bin/chromium --version 2>/dev/null
