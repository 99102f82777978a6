#!/usr/bin/env bash
# Makes sure the local PostgreSQL and NATS JetStream answer, starting them the
# way this machine kind does when they do not. Fails with a clear message.
set -euo pipefail
log() { printf '[services] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  log "PostgreSQL is not answering on 127.0.0.1:5432; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -n | tail -1)" main start 2>/dev/null || true
  for _ in $(seq 1 30); do port_open 5432 && break; sleep 1; done
  port_open 5432 || { log "cannot reach PostgreSQL on 127.0.0.1:5432: start it (pg_ctlcluster <version> main start) and retry"; exit 1; }
fi
if ! port_open 4222; then
  log "NATS is not answering on 127.0.0.1:4222; starting it with JetStream"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log 2>/dev/null || true
  for _ in $(seq 1 30); do port_open 4222 && break; sleep 1; done
  port_open 4222 || { log "cannot reach NATS on 127.0.0.1:4222: start nats-server -js and retry"; exit 1; }
fi
log "PostgreSQL and NATS answer"
