#!/usr/bin/env bash
# cacheme's throwaway test services (after ../shared/services.sh, the verified reference).
# Throwaway test services on loopback only, for Debian 12 as root, apt packages only.
#
#   services.sh install                  # scripts/setup.sh
#   services.sh start  [redis|cluster|failover-cluster|pg|maria|mongo|all]   (default: all)
#   services.sh stop   [redis|cluster|failover-cluster|pg|maria|mongo|all]   (default: all)
#   services.sh resume [pg|maria]        # start again on the data kept by `stop` (restart tests)
#   services.sh signal STOP|CONT [pg|maria|mongo]   # stall and wake a server (stall tests)
#   services.sh status
#   or: source it and call start_redis / stop_all ... yourself.
#
# Every service lives under $SVC_BASE (deleted and re-created on start) and listens on 127.0.0.1 only.
# SVC_BASE and all of its parents must be traversable by the 'postgres' and 'mysql' users (mode 755).
set -euo pipefail

SVC_BASE=${SVC_BASE:-${TMPDIR:-/tmp}/cacheme-services}
REDIS_PORT=${REDIS_PORT:-16379}
CLUSTER_PORTS=${CLUSTER_PORTS:-"17001 17002 17003"}   # >= 3 masters; 6 ports with CLUSTER_REPLICAS=1
CLUSTER_REPLICAS=${CLUSTER_REPLICAS:-0}
PG_PORT=${PG_PORT:-15432}
PG_DB=${PG_DB:-appdb}                                  # user 'postgres', trust auth, no password
MARIA_PORT=${MARIA_PORT:-13306}
MARIA_USER=${MARIA_USER:-app}
MARIA_PASSWORD=${MARIA_PASSWORD:-apppw}
MARIA_DB=${MARIA_DB:-appdb}
MONGO_PORT=${MONGO_PORT:-27018}                        # the MongoDB-wire test server (see start_mongo)
MONGO_JS_DIR=${MONGO_JS_DIR:-$SVC_BASE/congodb}        # its npm install (kept across start/stop)
WAIT_S=${WAIT_S:-30}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

log() { echo "[services] $*" >&2; }

# wait_until TIMEOUT_S DESCRIPTION CMD...  -- polls CMD every 0.1 s
wait_until() {
    local timeout=$1 what=$2; shift 2
    local deadline=$(( $(date +%s) + timeout ))
    until "$@" >/dev/null 2>&1; do
        if (( $(date +%s) >= deadline )); then log "TIMEOUT waiting for $what"; return 1; fi
        sleep 0.1
    done
}

# refuse to start on a port something already listens on (else a readiness check could pass on the old one)
need_free_port() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then log "port $1 already in use"; return 1; fi
}

# stop a process by pid file: SIGTERM, wait, then SIGKILL
kill_pidfile() {
    local f=$1 pid
    [[ -f $f ]] || return 0
    pid=$(cat "$f" 2>/dev/null || true)
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || { rm -f "$f"; return 0; }
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
}

# ---------------------------------------------------------------- redis standalone
start_redis() {
    local d=$SVC_BASE/redis
    need_free_port "$REDIS_PORT"
    rm -rf "$d"; mkdir -p "$d"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --dir "$d" \
        --save '' --appendonly no --pidfile "$d/redis.pid" --logfile "$d/redis.log"
    wait_until "$WAIT_S" "redis :$REDIS_PORT" bash -c "redis-cli -h 127.0.0.1 -p $REDIS_PORT ping | grep -q PONG"
    log "redis ready on 127.0.0.1:$REDIS_PORT"
}
stop_redis() {
    kill_pidfile "$SVC_BASE/redis/redis.pid"
}

# ---------------------------------------------------------------- redis cluster
# start_cluster: the 3-master cluster of the driver and conformance suites (CLUSTER_PORTS).
# start_failover_cluster: 3 masters + 3 replicas with a short node timeout (FAILOVER_PORTS), for
# the failover test, in a folder of its own so both can run side by side.
CLUSTER_NODE_TIMEOUT=${CLUSTER_NODE_TIMEOUT:-5000}        # ms; 1000-2000 makes failovers quick
FAILOVER_PORTS=${FAILOVER_PORTS:-"17011 17012 17013 17014 17015 17016"}
FAILOVER_NODE_TIMEOUT=${FAILOVER_NODE_TIMEOUT:-1000}
start_cluster() { start_cluster_in "$SVC_BASE/rcluster" "$CLUSTER_PORTS" "$CLUSTER_REPLICAS" "$CLUSTER_NODE_TIMEOUT"; }
stop_cluster() { stop_cluster_in "$SVC_BASE/rcluster"; }
start_failover_cluster() { start_cluster_in "$SVC_BASE/rcluster-failover" "$FAILOVER_PORTS" 1 "$FAILOVER_NODE_TIMEOUT"; }
stop_failover_cluster() { stop_cluster_in "$SVC_BASE/rcluster-failover"; }

# start_cluster_in DIR PORTS REPLICAS NODE_TIMEOUT_MS
start_cluster_in() {
    local d=$1 ports=$2 replicas=$3 node_timeout=$4 p nodes=()
    for p in $ports; do need_free_port "$p"; need_free_port $((p + 10000)); done
    rm -rf "$d"; mkdir -p "$d"
    for p in $ports; do
        mkdir -p "$d/$p"
        redis-server --bind 127.0.0.1 --port "$p" --cluster-enabled yes \
            --cluster-config-file "$d/$p/nodes.conf" --cluster-node-timeout "$node_timeout" \
            --dir "$d/$p" --save '' --appendonly no --daemonize yes \
            --pidfile "$d/$p/redis.pid" --logfile "$d/$p/redis.log"
        nodes+=("127.0.0.1:$p")
    done
    for p in $ports; do
        wait_until "$WAIT_S" "cluster node :$p" bash -c "redis-cli -h 127.0.0.1 -p $p ping | grep -q PONG"
    done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas "$replicas" --cluster-yes \
        > "$d/create.log" 2>&1 || { cat "$d/create.log" >&2; return 1; }
    for p in $ports; do
        wait_until "$WAIT_S" "cluster_state:ok on :$p" \
            bash -c "redis-cli -h 127.0.0.1 -p $p cluster info | grep -q cluster_state:ok"
    done
    if (( replicas > 0 )); then   # replicas need a full sync (~5 s) before they serve
        for p in $ports; do
            if redis-cli -h 127.0.0.1 -p "$p" info replication | grep -q role:slave; then
                wait_until "$WAIT_S" "replica :$p link up" \
                    bash -c "redis-cli -h 127.0.0.1 -p $p info replication | grep -q master_link_status:up"
            fi
        done
    fi
    log "redis cluster ready on 127.0.0.1 ports: $ports (node timeout ${node_timeout} ms)"
}
stop_cluster_in() {   # SIGTERM all nodes in parallel (each redis process takes ~2 s to exit)
    local f
    for f in "$1"/*/redis.pid; do [[ -e $f ]] && kill_pidfile "$f" & done
    wait
    return 0
}

# ---------------------------------------------------------------- throwaway TLS CA
# make_tls: $SVC_BASE/tls holds a CA, a server certificate for 127.0.0.1/localhost and a client
# certificate, all signed by the CA, for the TLS tests of PostgreSQL and MariaDB (made once).
make_tls() {
    local d=$SVC_BASE/tls
    [[ -f $d/client.crt ]] && return 0
    rm -rf "$d"; install -d -m 755 "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=cacheme test CA" \
        -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
    for who in server client; do
        openssl req -newkey rsa:2048 -nodes -subj "/CN=cacheme-$who" -keyout "$d/$who.key" -out "$d/$who.csr" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$d/$who.ext"
        openssl x509 -req -in "$d/$who.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3 \
            -extfile "$d/$who.ext" -out "$d/$who.crt" 2>/dev/null
    done
    chmod 644 "$d"/*.crt; chmod 600 "$d"/*.key
}
# copy_tls DIR OWNER: the server's certificate, key and the CA, readable by the server only
copy_tls() {
    install -o "$2" -m 644 "$SVC_BASE/tls/server.crt" "$SVC_BASE/tls/ca.crt" "$1/"
    install -o "$2" -m 600 "$SVC_BASE/tls/server.key" "$1/"
}

# ---------------------------------------------------------------- postgresql 15
# TLS on (a certificate of the throwaway CA); plain connections keep working.
start_pg() {
    local d=$SVC_BASE/pg
    need_free_port "$PG_PORT"
    chmod 755 "$SVC_BASE"
    make_tls
    rm -rf "$d"; install -d -o postgres -g postgres -m 700 "$d"
    runuser -u postgres -- "$PGBIN/initdb" -D "$d" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N \
        > "$SVC_BASE/pg-initdb.log" 2>&1 || { cat "$SVC_BASE/pg-initdb.log" >&2; return 1; }
    copy_tls "$d" postgres
    launch_pg
    if [[ -n $PG_DB && $PG_DB != postgres ]]; then
        psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAtc "CREATE DATABASE \"$PG_DB\""
    fi
    log "postgres ready: host=127.0.0.1 port=$PG_PORT user=postgres dbname=$PG_DB (trust; TLS with $SVC_BASE/tls/ca.crt)"
}
# launch_pg: starts the server on its existing data directory (start_pg, resume pg)
launch_pg() {
    local d=$SVC_BASE/pg
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -l "$d/server.log" -w -t "$WAIT_S" \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $d -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c ssl=on -c ssl_cert_file=$d/server.crt -c ssl_key_file=$d/server.key -c ssl_ca_file=$d/ca.crt" \
        start >/dev/null
    wait_until "$WAIT_S" "postgres :$PG_PORT" pg_isready -h 127.0.0.1 -p "$PG_PORT" -q
}
stop_pg() {
    local d=$SVC_BASE/pg
    [[ -f $d/postmaster.pid ]] || return 0
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m fast -w -t "$WAIT_S" stop >/dev/null || true
}
# signal_pg STOP|CONT: the postmaster and every backend (a stalled server, for the stall tests)
signal_pg() {
    local pid
    pid=$(head -1 "$SVC_BASE/pg/postmaster.pid")
    kill -"$1" "$pid" $(pgrep -P "$pid") 2>/dev/null || true
}

# ---------------------------------------------------------------- mariadb 10.11
start_maria() {
    local d=$SVC_BASE/maria
    need_free_port "$MARIA_PORT"
    chmod 755 "$SVC_BASE"
    rm -rf "$d"; install -d -o mysql -g mysql -m 750 "$d" "$d/data"   # mysql must own $d too (log, socket, pid)
    mariadb-install-db --no-defaults --user=mysql --datadir="$d/data" \
        --auth-root-authentication-method=socket --skip-test-db > "$SVC_BASE/maria-install.log" 2>&1 \
        || { cat "$SVC_BASE/maria-install.log" >&2; return 1; }
    make_tls
    copy_tls "$d" mysql
    launch_maria || return 1
    mariadb --no-defaults -S "$d/mysqld.sock" -u root -e \
        "CREATE DATABASE IF NOT EXISTS \`$MARIA_DB\`;
         CREATE USER IF NOT EXISTS '$MARIA_USER'@'%' IDENTIFIED BY '$MARIA_PASSWORD';
         GRANT ALL PRIVILEGES ON \`$MARIA_DB\`.* TO '$MARIA_USER'@'%'; FLUSH PRIVILEGES;"
    log "mariadb ready: 127.0.0.1:$MARIA_PORT user=$MARIA_USER password=$MARIA_PASSWORD db=$MARIA_DB (root: socket $d/mysqld.sock; TLS)"
}
# launch_maria: starts the server on its existing data directory (start_maria, resume maria)
launch_maria() {
    local d=$SVC_BASE/maria
    setsid mariadbd --no-defaults --user=mysql --datadir="$d/data" --socket="$d/mysqld.sock" \
        --pid-file="$d/mysqld.pid" --port="$MARIA_PORT" --bind-address=127.0.0.1 --skip-name-resolve \
        --log-error="$d/error.log" --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2 \
        --ssl-ca="$d/ca.crt" --ssl-cert="$d/server.crt" --ssl-key="$d/server.key" \
        --skip-log-bin > "$d/stdout.log" 2>&1 < /dev/null &
    wait_until "$WAIT_S" "mariadb :$MARIA_PORT" mariadb-admin --no-defaults -S "$d/mysqld.sock" -u root ping \
        || { tail -20 "$d/error.log" >&2; return 1; }
}
# signal_maria STOP|CONT: the server process (a stalled server, for the stall tests)
signal_maria() {
    kill -"$1" "$(cat "$SVC_BASE/maria/mysqld.pid")"
}
stop_maria() {
    kill_pidfile "$SVC_BASE/maria/mysqld.pid"
}

# ---------------------------------------------------------------- MongoDB-wire test server
# No mongod exists in Debian 12. The npm package @push.rocks/smartmongo@2.2.0 ships "congodb", a
# pure-JavaScript OP_MSG server. The package as a whole does not install (a transitive dependency
# version is missing from the registry), so only its dist_ts/congodb folder is taken from the
# tarball, with the six packages that folder imports. scripts/mongo_test_server.mjs runs it with
# string/BinData _ids and _id lookups without a collection scan (see that file). Needs node + npm.
setup_mongo() {
    [[ -f $MONGO_JS_DIR/congodb/index.js && -d $MONGO_JS_DIR/node_modules/mingo ]] && return 0
    rm -rf "$MONGO_JS_DIR"; mkdir -p "$MONGO_JS_DIR"
    ( cd "$MONGO_JS_DIR"
      npm pack --silent @push.rocks/smartmongo@2.2.0 >/dev/null
      tar xzf push.rocks-smartmongo-2.2.0.tgz package/dist_ts/congodb
      mv package/dist_ts/congodb ./congodb && rm -rf package push.rocks-smartmongo-2.2.0.tgz
      printf '{ "name": "congodb-local", "private": true, "type": "module" }\n' > package.json
      npm install --silent --ignore-scripts --no-audit --no-fund \
          '@push.rocks/smartfs@^1.3.1' '@push.rocks/smartpath@^5.0.11' '@push.rocks/smartpromise@^4.0.3' \
          '@push.rocks/smartrx@^3.0.0' 'bson@^6.10.0' 'mingo@^7.2.0' >/dev/null
    ) || { log "cannot install the MongoDB-wire server from npm"; return 1; }
}
start_mongo() {
    local d=$SVC_BASE/mongo
    need_free_port "$MONGO_PORT"
    setup_mongo
    rm -rf "$d"; mkdir -p "$d"
    setsid node "$(dirname "${BASH_SOURCE[0]}")/mongo_test_server.mjs" "$MONGO_JS_DIR" "$MONGO_PORT" \
        > "$d/server.log" 2>&1 < /dev/null &
    echo $! > "$d/server.pid"
    wait_until "$WAIT_S" "mongo-wire :$MONGO_PORT" grep -q listening "$d/server.log" \
        || { cat "$d/server.log" >&2; return 1; }
    log "mongo-wire (congodb) ready: mongodb://127.0.0.1:$MONGO_PORT"
}
# signal_mongo STOP|CONT: the node process (a stalled server, for the stall replays)
signal_mongo() {
    kill -"$1" "$(cat "$SVC_BASE/mongo/server.pid")"
}
stop_mongo() {
    kill_pidfile "$SVC_BASE/mongo/server.pid"
}
env_mongo() {
    echo "export CACHEME_TEST_MONGO_URL=mongodb://127.0.0.1:$MONGO_PORT"
    echo "export CACHEME_TEST_MONGO_JS_DIR=$MONGO_JS_DIR"   # for tests that run a server of their own
}

# ---------------------------------------------------------------- aggregate
start_all() { mkdir -p "$SVC_BASE"; start_redis; start_cluster; start_pg; start_maria; start_mongo; }
# env_all: the URLs the integration tests read (CACHEME_TEST_<BACKEND>_URL)
env_all() {
    echo "export CACHEME_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
    echo "export CACHEME_TEST_REDIS_CLUSTER_URL=redis://127.0.0.1:${CLUSTER_PORTS%% *}?cluster=true"
    echo "export CACHEME_TEST_FAILOVER_PORTS=\"$FAILOVER_PORTS\""
    echo "export CACHEME_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DB"
    echo "export CACHEME_TEST_MYSQL_URL=mysql://$MARIA_USER:$MARIA_PASSWORD@127.0.0.1:$MARIA_PORT/$MARIA_DB"
    echo "export CACHEME_TEST_TLS_DIR=$SVC_BASE/tls"   # ca.crt, client.crt, client.key of the servers' CA
    env_mongo
}
stop_all()  {   # in parallel; each waits for its own processes to exit
    stop_maria & stop_pg & stop_cluster & stop_failover_cluster & stop_redis & stop_mongo & wait
    log "all stopped"
}
status_all() {
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | sed "s/^/redis :$REDIS_PORT /" || true
    for p in $CLUSTER_PORTS; do
        redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | grep cluster_state | sed "s/^/cluster :$p /" || true
    done
    pg_isready -h 127.0.0.1 -p "$PG_PORT" || true
    mariadb-admin --no-defaults -S "$SVC_BASE/maria/mysqld.sock" -u root ping 2>/dev/null || echo "mariadb: down"
    status_mongo
}
status_mongo() {
    [[ -f $SVC_BASE/mongo/server.pid ]] && kill -0 "$(cat "$SVC_BASE/mongo/server.pid")" 2>/dev/null \
        && echo "mongo-wire :$MONGO_PORT up" || echo "mongo-wire: down"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    cmd=${1:-start}; what=${2:-all}
    case $cmd in
        install) "$(dirname "$0")/setup.sh" ;;
        start)
            mkdir -p "$SVC_BASE"
            case $what in
                all) start_all ;; redis) start_redis ;; cluster) start_cluster ;;
                failover-cluster) start_failover_cluster ;;
                pg) start_pg ;; maria) start_maria ;;
                mongo) start_mongo ;;
                *) echo "unknown service $what" >&2; exit 2 ;;
            esac ;;
        stop)
            case $what in
                all) stop_all ;; redis) stop_redis ;; cluster) stop_cluster ;;
                failover-cluster) stop_failover_cluster ;;
                pg) stop_pg ;; maria) stop_maria ;;
                mongo) stop_mongo ;;
                *) echo "unknown service $what" >&2; exit 2 ;;
            esac ;;
        resume)
            case $what in
                pg) launch_pg ;; maria) launch_maria ;;
                *) echo "resume: pg or maria" >&2; exit 2 ;;
            esac ;;
        signal)
            case ${3:-} in
                pg) signal_pg "$what" ;; maria) signal_maria "$what" ;; mongo) signal_mongo "$what" ;;
                *) echo "signal STOP|CONT pg|maria|mongo" >&2; exit 2 ;;
            esac ;;
        status) status_all ;;
        env) env_all ;;
        *) echo "usage: $0 install|start|stop|resume|signal|status|env [redis|cluster|failover-cluster|pg|maria|mongo|all]" >&2; exit 2 ;;
    esac
fi
