# A private PostgreSQL on a loopback port with its data in a folder of ours. The server refuses to run as
# root, so initdb and pg_ctl run as the postgres user (PLATFORM.md). Sourced by .ci/run and the quick start.
pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "${dir}" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; }
  echo "${dir}"
}

start_private_postgres() {
  local data="$1" port="$2" bin runas=()
  bin="$(pg_bin)"
  PG_DATA="${data}" PG_PORT="${port}" PG_BIN="${bin}"
  if [ "$(id -u)" -eq 0 ]; then runas=(runuser -u postgres --); fi
  mkdir -p "${data}"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "${data}"
  if [ ! -s "${data}/PG_VERSION" ]; then
    "${runas[@]}" "${bin}/initdb" -D "${data}" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  "${runas[@]}" "${bin}/pg_ctl" -D "${data}" -o "-p ${port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" \
    -l "${data}/server.log" -w start >/dev/null
  PG_RUNAS=("${runas[@]}")
  echo "PostgreSQL running on 127.0.0.1:${port} (data ${data})"
}

stop_private_postgres() {
  [ -n "${PG_DATA:-}" ] || return 0
  "${PG_RUNAS[@]}" "${PG_BIN}/pg_ctl" -D "${PG_DATA}" -m fast -w stop >/dev/null 2>&1 || true
}
