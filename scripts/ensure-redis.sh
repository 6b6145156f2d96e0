#!/usr/bin/env bash
# Makes sure a Redis server answers on 127.0.0.1:6379: starts redis-server if it
# is installed, installs Debian's package first if it is not.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

HOST=127.0.0.1
PORT=6379

answers() {
  # a PING over bash's /dev/tcp, in a subshell so the descriptor and the
  # "connection refused" noise stay there: no redis-cli needed
  (
    exec 3<>"/dev/tcp/$HOST/$PORT" || exit 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || exit 1
    [[ "$reply" == +PONG* ]]
  ) 2>/dev/null
}

if answers; then
  echo "ensure-redis: Redis answers on $HOST:$PORT"
  exit 0
fi

if ! command -v redis-server >/dev/null; then
  echo "ensure-redis: installing Debian's redis-server"
  apt_install redis-server
fi

echo "ensure-redis: starting redis-server on $HOST:$PORT"
redis-server --daemonize yes --bind "$HOST" --port "$PORT" --save '' --appendonly no

for _ in $(seq 1 50); do
  if answers; then
    echo "ensure-redis: Redis answers on $HOST:$PORT"
    exit 0
  fi
  sleep 0.2
done
echo "ensure-redis: Redis did not answer on $HOST:$PORT within 10 s" >&2
exit 1
