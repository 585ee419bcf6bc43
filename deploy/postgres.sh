#!/usr/bin/env bash
# A PostgreSQL cluster that Gatehouse creates and manages by itself, with the server
# binaries Debian installs (initdb, pg_ctl). It listens on a unix socket inside its own
# folder only, so any number of clusters can run side by side without port clashes.
#
#   deploy/postgres.sh start     create the cluster if missing, start it, create database
#                                "gatehouse"; print its connection URI as the last line
#   deploy/postgres.sh stop      fast shutdown
#   deploy/postgres.sh restart   pg_ctl restart (the tests use it to break connections)
#   deploy/postgres.sh status    exit 0 when running
#   deploy/postgres.sh url       print the connection URI
#   deploy/postgres.sh psql ...  psql on database "gatehouse"
#
# Replication, for the failover test and for trying it by hand:
#   deploy/postgres.sh standby PRIMARY_DIR   make this folder a streaming standby of the
#                                cluster in PRIMARY_DIR (pg_basebackup), start it, and make
#                                the primary wait for it on every commit (synchronous
#                                replication); print its connection URI
#   deploy/postgres.sh promote   promote this standby to primary (pg_ctl promote)
#
# GATEHOUSE_PG_DIR picks the folder (default: .local/postgres in the repository, which
# git ignores). As root, the server runs as the unprivileged OS user "postgres" (created
# when missing), since PostgreSQL refuses to run as root.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${GATEHOUSE_PG_DIR:-$repo/.local/postgres}"
data="$dir/data"
socket="$dir/run"
port=5432
database=gatehouse
os_user=postgres

bindir="$(pg_config --bindir 2>/dev/null || true)"
if [ ! -x "$bindir/initdb" ]; then
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
fi
if [ ! -x "$bindir/initdb" ]; then
  echo "postgres.sh: PostgreSQL server binaries not found; install them: apt-get install postgresql" >&2
  exit 1
fi

as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$os_user" -- "$@"; else "$@"; fi
}

url() {
  echo "postgresql:///$database?host=$socket&port=$port&user=gatehouse"
}

running() {
  as_server "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

init() {
  [ -f "$data/PG_VERSION" ] && return 0
  if [ "$(id -u)" = 0 ]; then
    id "$os_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$os_user"
    install -d -m 0700 -o "$os_user" "$dir"
  else
    install -d -m 0700 "$dir"
  fi
  as_server mkdir -p "$socket"
  as_server "$bindir/initdb" -D "$data" -U gatehouse --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { echo "postgres.sh: initdb failed, see $dir/initdb.log" >&2; exit 1; }
  as_server tee -a "$data/postgresql.conf" >/dev/null <<CONF

# --- gatehouse (self-managed cluster) ---
listen_addresses = ''
unix_socket_directories = '$socket'
port = $port
max_connections = 500
shared_buffers = 256MB
timezone = 'UTC'
fsync = ${GATEHOUSE_PG_FSYNC:-on}
CONF
  # Only this socket, only local users: trust is as safe as the folder's permissions.
  printf 'local all all trust\nlocal replication all trust\n' | as_server tee "$data/pg_hba.conf" >/dev/null
}

start() {
  init
  if ! running; then
    as_server "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start >/dev/null \
      || { echo "postgres.sh: could not start PostgreSQL, see $dir/postgres.log" >&2; exit 1; }
  fi
  if [ "$(psql_as postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
    psql_as postgres -qc "CREATE DATABASE $database" >/dev/null
  fi
  url
}

stop() {
  running || return 0
  as_server "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
}

# A standby of the cluster in $1, synchronous: a commit the primary acknowledges is on the
# standby too, so promoting it loses no answered write.
standby() {
  local primary="$1" name="gatehouse_standby"
  [ -f "$primary/data/PG_VERSION" ] || { echo "postgres.sh: no cluster in $primary" >&2; exit 1; }
  if [ ! -f "$data/PG_VERSION" ]; then
    if [ "$(id -u)" = 0 ]; then install -d -m 0700 -o "$os_user" "$dir"; else install -d -m 0700 "$dir"; fi
    as_server mkdir -p "$socket"
    as_server "$bindir/pg_basebackup" -D "$data" -h "$primary/run" -p "$port" -U gatehouse -X stream -c fast \
      >"$dir/basebackup.log" 2>&1 || { echo "postgres.sh: pg_basebackup failed, see $dir/basebackup.log" >&2; exit 1; }
    as_server touch "$data/standby.signal"
    as_server tee -a "$data/postgresql.conf" >/dev/null <<CONF

# --- gatehouse standby of $primary ---
unix_socket_directories = '$socket'
primary_conninfo = 'host=$primary/run port=$port user=gatehouse application_name=$name'
CONF
  fi
  running || as_server "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start >/dev/null \
    || { echo "postgres.sh: could not start the standby, see $dir/postgres.log" >&2; exit 1; }
  GATEHOUSE_PG_DIR="$primary" "$0" psql -qc "ALTER SYSTEM SET synchronous_standby_names = '$name'" -c "SELECT pg_reload_conf()" >/dev/null
  for _ in $(seq 100); do
    [ "$(GATEHOUSE_PG_DIR="$primary" "$0" psql -tAc "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$name'")" = sync ] && { url; return; }
    sleep 0.1
  done
  echo "postgres.sh: the standby in $dir did not become synchronous" >&2
  exit 1
}

psql_as() {
  local db="$1"; shift
  "$bindir/psql" -X -v ON_ERROR_STOP=1 -h "$socket" -p "$port" -U gatehouse -d "$db" "$@"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart)
    as_server "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 -l "$dir/postgres.log" restart >/dev/null ;;
  status) running ;;
  standby) standby "${2:?usage: deploy/postgres.sh standby PRIMARY_DIR}" ;;
  promote) as_server "$bindir/pg_ctl" -D "$data" -w -t 60 promote >/dev/null ;;
  url) url ;;
  psql) shift; psql_as "$database" "$@" ;;
  *) echo "usage: deploy/postgres.sh start|stop|restart|status|url|psql|standby PRIMARY_DIR|promote" >&2; exit 2 ;;
esac
