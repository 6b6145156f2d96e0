#!/usr/bin/env bash
# Makes sure tmux is installed: the terminal-driven tests of the grantflow
# command (the silent secret prompt, the device flow's display) run in it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if command -v tmux >/dev/null; then
  echo "ensure-tmux: $(tmux -V)"
  exit 0
fi

echo "ensure-tmux: installing Debian's tmux"
apt_install tmux
tmux -V
