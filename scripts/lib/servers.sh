# Starting and stopping private Postgres, Redis and dockerd instances on loopback, without
# systemd, as root or as a normal user. Sourced by scripts/test and deploy/local/gofer-local.
# Every function takes the instance's directory; nothing outside it is touched.

gofer_pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || { echo "PostgreSQL server binaries not found (run scripts/setup)" >&2; return 1; }
  echo "$dir"
}

# Runs a command as the postgres user when we are root (Postgres refuses to run as root).
gofer_as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# True when something listens on 127.0.0.1:$1.
gofer_port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# gofer_pick_port VAR: sets VAR to a port in [20000, 32000) on which nothing listens now and
# that this shell has not handed out before. The range stays below Linux's ephemeral ports
# (32768+), which outgoing connections take and which could otherwise be taken between the
# choice and the bind. (A function setting a variable, not $(...): the record of ports given
# must survive in this shell.)
GOFER_PORTS_GIVEN=" "
gofer_pick_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    case "$GOFER_PORTS_GIVEN" in *" $port "*) continue ;; esac
    if ! gofer_port_busy "$port"; then
      GOFER_PORTS_GIVEN="$GOFER_PORTS_GIVEN$port "
      printf -v "$1" '%s' "$port"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

# gofer_start_postgres DIR PORT: initialises DIR/pg (once) and starts Postgres on 127.0.0.1:PORT.
# `fsync` stays on unless GOFER_PG_FAST=1 (tests), because the local stack keeps real data.
gofer_start_postgres() {
  local dir=$1 port=$2 bin
  bin=$(gofer_pg_bin) || return 1
  mkdir -p "$dir/pg-run"
  if [ "$(id -u)" = 0 ]; then
    chmod 755 "$dir"
    chown postgres:postgres "$dir/pg-run"
    [ -d "$dir/pg" ] && chown -R postgres:postgres "$dir/pg"
  fi
  if [ ! -f "$dir/pg/PG_VERSION" ]; then
    mkdir -p "$dir/pg"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir/pg"
    gofer_as_pg "$bin/initdb" -D "$dir/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/pg-run/initdb.log" 2>&1 || { cat "$dir/pg-run/initdb.log" >&2; return 1; }
  fi
  local fast=""
  if [ "${GOFER_PG_FAST:-0}" = 1 ]; then
    fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  gofer_as_pg "$bin/pg_ctl" -D "$dir/pg" -l "$dir/pg-run/postgres.log" -w -t 60 \
    -o "-p $port -k $dir/pg-run -c listen_addresses=127.0.0.1 -c max_connections=300 $fast" \
    start >/dev/null || { tail -n 20 "$dir/pg-run/postgres.log" >&2; return 1; }
  echo "$port" >"$dir/pg-run/port"
}

gofer_stop_postgres() {
  local dir=$1 bin
  bin=$(gofer_pg_bin) || return 0
  [ -f "$dir/pg/postmaster.pid" ] || return 0
  gofer_as_pg "$bin/pg_ctl" -D "$dir/pg" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# gofer_start_redis DIR PORT [redis-server args...]: starts Redis on 127.0.0.1:PORT.
gofer_start_redis() {
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir/redis"
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$dir/redis" \
    --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" "$@" >/dev/null || return 1
  for _ in $(seq 1 500); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && { echo "$port" >"$dir/redis/port"; return 0; }
    sleep 0.01
  done
  echo "redis did not answer on port $port" >&2
  tail -n 20 "$dir/redis/redis.log" >&2
  return 1
}

gofer_stop_redis() {
  local dir=$1
  [ -f "$dir/redis/redis.pid" ] || return 0
  local pid
  pid=$(cat "$dir/redis/redis.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 500); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.01
  done
  kill -9 "$pid" 2>/dev/null || true
}

# gofer_start_dockerd DIR: a private dockerd on unix socket DIR/docker.sock, kept off the
# host's network configuration (no bridge, no iptables). Prints the socket path.
gofer_start_dockerd() {
  local dir=$1
  mkdir -p "$dir/docker"
  dockerd --data-root "$dir/docker/data" --exec-root "$dir/docker/exec" \
    --host "unix://$dir/docker/docker.sock" --pidfile "$dir/docker/dockerd.pid" \
    --bridge none --iptables=false --ip-masq=false --containerd-namespace gofer-test \
    --containerd-plugins-namespace gofer-test-plugins >"$dir/docker/dockerd.log" 2>&1 &
  for _ in $(seq 1 300); do
    [ -S "$dir/docker/docker.sock" ] && docker -H "unix://$dir/docker/docker.sock" version >/dev/null 2>&1 &&
      { echo "$dir/docker/docker.sock"; return 0; }
    sleep 0.1
  done
  echo "dockerd did not start" >&2
  tail -n 20 "$dir/docker/dockerd.log" >&2
  return 1
}

gofer_stop_dockerd() {
  local dir=$1
  [ -f "$dir/docker/dockerd.pid" ] || return 0
  local pid
  pid=$(cat "$dir/docker/dockerd.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}
