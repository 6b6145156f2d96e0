# Shared by the ensure-* scripts.

# Runs a command as root: directly, or through sudo without a prompt (CI has no terminal).
as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else echo "$(basename "$0"): need root (or sudo) to run: $*" >&2; return 1
  fi
}

# Installs a Debian package quietly.
apt_install() {
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
