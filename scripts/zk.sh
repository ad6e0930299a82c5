#!/usr/bin/env bash
# Run a throwaway ZooKeeper on loopback from Debian's `zookeeper` package: a standalone server or
# a 3-node ensemble, with its own config, data and logs under one directory. Used by the demo,
# the tests and CI.
#
#   zk.sh install                                  ensure Debian's zookeeper package is installed
#   zk.sh start  [--dir DIR] [--port PORT] [--ensemble] [--force-sync yes|no] [--tls] [--sasl]
#                                                  start a NEW cluster in DIR (stops servers still
#                                                  running there and wipes its data first), wait
#                                                  until every server serves, print the connect
#                                                  string as the last line of stdout
#   zk.sh start  [--dir DIR] --server N[,M...]     (re)start server(s) of the existing cluster in
#                                                  DIR with their config and data; wait until they
#                                                  serve (ensemble: leader or follower)
#   zk.sh stop   [--dir DIR] [--server N[,M...]]   SIGTERM, SIGKILL after 5 s; all servers when
#                                                  --server is omitted; no error if not running
#   zk.sh kill   [--dir DIR] [--server N[,M...]]   SIGKILL at once
#   zk.sh status [--dir DIR]                       one line per server: N PORT PID|- MODE; exit 0
#                                                  if all serve, 3 otherwise
#
# Defaults: DIR=${ZK_DIR:-<repo>/.run/zk}, PORT=${ZK_PORT:-2181}, --force-sync yes.
# Ports of an ensemble based at PORT: client PORT+N-1, quorum PORT+10+N, election PORT+20+N
# (N=1..3), so one cluster uses PORT..PORT+23. A standalone server (numbered 1) uses PORT only.
# Environment: ZK_START_TIMEOUT (seconds to wait for a server to serve, default 20), ZK_JAVA
# (java binary, default java).
#
# --tls: the client ports are secureClientPort only (no plain port), NettyServerCnxnFactory,
# ssl.clientAuth=need and the x509 auth provider, with a throwaway PKI made by scripts/zk-pki.sh in
# DIR/pki (kept across restarts): ca.pem signs server.pem (IP:127.0.0.1, DNS:localhost) and
# client.pem / client-key.pem (subject CN=jenkins-ha,O=jenkins-ha test), keystores password
# changeit. The readiness probe speaks TLS with the client certificate (openssl s_client).
#
# --sasl: client SASL is required (authProvider.sasl = SASLAuthenticationProvider,
# sessionRequireClientSASLAuth=true: a session that does anything before authenticating is
# closed), with DIGEST-MD5 users from a JAAS `Server` section in DIR/jaas.conf (mode 600) passed to
# java as -Djava.security.auth.login.config. The users are ZK_SASL_USERS (user:password,
# comma-separated), default jenkins-ha:jha-sasl-secret,other:other-sasl-secret. Combines with --tls.
#
# Exit codes: 0 ok, 1 error, 2 usage, 3 `status`: not every server serves, 4 ports in use.
set -euo pipefail

readonly ZK_JAR=/usr/share/java/zookeeper.jar
readonly SLF4J_JAR=/usr/share/java/slf4j-simple.jar
# Debian's zookeeper.jar manifest leaves netty-codec out: without it every TLS connection dies
# with NoClassDefFoundError (ByteToMessageDecoder) while the port looks open.
readonly NETTY_CODEC_JAR=/usr/share/java/netty-codec.jar
readonly TLS_PASSWORD=changeit
readonly MAIN_CLASS=org.apache.zookeeper.server.quorum.QuorumPeerMain
readonly STOP_GRACE_MS=5000

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(dirname "$SCRIPT_DIR")
readonly SCRIPT_DIR REPO_DIR

START_TIMEOUT_S=${ZK_START_TIMEOUT:-20}
JAVA=${ZK_JAVA:-java}

# Set by parse_args / load_cluster.
DIR=""
PORT=""
ENSEMBLE=no
FORCE_SYNC=yes
SERVER_ARG=""
NSERVERS=0
TLS=no
SASL=no

# Scratch globals filled by helper functions (avoid a subshell per call in polling loops).
NOW_MS=0
PID=""
MODE=""

log() { printf 'zk.sh: %s\n' "$*" >&2; }

# fail CODE MESSAGE...
fail() {
  local code=$1
  shift
  log "error: $*"
  exit "$code"
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
  exit 2
}

now_ms() {
  local t=${EPOCHREALTIME//[^0-9]/}
  NOW_MS=$((10#${t:0:${#t}-3}))
}

# ---------------------------------------------------------------------------------------------
# Installation

ensure_installed() {
  if [[ -r $ZK_JAR && -r $SLF4J_JAR ]] && command -v "$JAVA" >/dev/null; then
    return 0
  fi
  local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
  if ((EUID != 0)); then
    command -v sudo >/dev/null || fail 1 "Debian's zookeeper package is missing and this is not root (no sudo either)"
    apt=(sudo -n "${apt[@]}")
  fi
  log "installing Debian's zookeeper package (no $ZK_JAR, $SLF4J_JAR or '$JAVA')"
  # All output to stderr: stdout of `start` is reserved for the connect string.
  if ! "${apt[@]}" install -y --no-install-recommends zookeeper >&2; then
    log "apt-get install failed; running apt-get update and retrying"
    "${apt[@]}" update >&2
    "${apt[@]}" install -y --no-install-recommends zookeeper >&2
  fi
  [[ -r $ZK_JAR ]] || fail 1 "$ZK_JAR still missing after installing zookeeper"
  command -v "$JAVA" >/dev/null || fail 1 "no '$JAVA' on PATH after installing zookeeper"
}

# The real-fault tests use three Debian packages: bindfs (test/helpers/bindfs.ts hangs a FUSE view
# of JENKINS_HOME like a hung NFS client), faketime (libfaketime skews or steps a process's clock:
# test/integration/clock-skew.test.ts, shim-clock.test.ts) and strace (the home I/O helpers'
# open flags and fsyncs: test/unit/fencing/home-io-perl.test.ts).
ensure_fault_tools() {
  local -a missing=()
  command -v bindfs >/dev/null || missing+=(bindfs)
  compgen -G '/usr/lib/*/faketime/libfaketime.so.1' >/dev/null || missing+=(faketime)
  [[ -x /usr/bin/strace ]] || missing+=(strace)
  ((${#missing[@]} == 0)) && return 0
  local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
  if ((EUID != 0)); then
    command -v sudo >/dev/null || fail 1 "Debian's ${missing[*]} package(s) are missing and this is not root (no sudo either)"
    apt=(sudo -n "${apt[@]}")
  fi
  log "installing Debian's ${missing[*]} (the real-fault tests need them)"
  "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >&2 || { "${apt[@]}" update >&2 && "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >&2; }
  command -v bindfs >/dev/null || fail 1 "no bindfs on PATH after installing it"
  compgen -G '/usr/lib/*/faketime/libfaketime.so.1' >/dev/null || fail 1 "no libfaketime.so.1 after installing faketime"
  [[ -x /usr/bin/strace ]] || fail 1 "no /usr/bin/strace after installing strace"
}

# ---------------------------------------------------------------------------------------------
# Cluster layout: DIR/cluster.conf, DIR/zkN/{zoo.cfg,data/,zk.log,pid}

sdir() { printf '%s/zk%s' "$DIR" "$1"; }
client_port() { echo $((PORT + $1 - 1)); }
quorum_port() { echo $((PORT + 10 + $1)); }
election_port() { echo $((PORT + 20 + $1)); }

# Ports server N needs free before it starts.
server_ports() {
  local n=$1
  if ((NSERVERS == 1)); then
    client_port "$n"
  else
    echo "$(client_port "$n") $(quorum_port "$n") $(election_port "$n")"
  fi
}

load_cluster() {
  local f=$DIR/cluster.conf key value
  [[ -r $f ]] || fail 1 "no cluster in $DIR (no $f); create one with: zk.sh start --dir $DIR"
  NSERVERS=0
  PORT=""
  TLS=no
  SASL=no
  while IFS='=' read -r key value || [[ -n $key ]]; do
    case $key in
      servers) NSERVERS=$value ;;
      port) PORT=$value ;;
      tls) TLS=$value ;;
      sasl) SASL=$value ;;
    esac
  done <"$f"
  [[ $NSERVERS =~ ^[13]$ && $PORT =~ ^[0-9]+$ ]] || fail 1 "corrupt $f"
}

# Servers selected by --server (comma list), or all of them.
selected_servers() {
  if [[ -z $SERVER_ARG ]]; then
    seq 1 "$NSERVERS"
    return
  fi
  local n
  local -a list
  IFS=',' read -r -a list <<<"$SERVER_ARG"
  for n in "${list[@]}"; do
    if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 1 || n > NSERVERS)); then
      fail 2 "--server $n: this cluster has servers 1..$NSERVERS"
    fi
    echo "$n"
  done
}

# ---------------------------------------------------------------------------------------------
# Processes

# proc_alive PID: the process exists and is not a zombie. A killed server re-parented to PID 1
# can stay a zombie for seconds here, so kill -0 is no liveness test.
proc_alive() {
  local stat
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != [ZXx] ]]
}

# is_server_pid PID N: PID is a live java running server N's config (guards against stale pid
# files and reused pids). Only reliable once the process has exec'd java: while a process is
# inside execve its /proc/PID/cmdline can read empty.
is_server_pid() {
  local pid=$1 n=$2 comm
  proc_alive "$pid" || return 1
  { read -r comm <"/proc/$pid/comm"; } 2>/dev/null || return 1
  [[ $comm == java ]] || return 1
  local -a args=()
  { mapfile -d '' -t args <"/proc/$pid/cmdline"; } 2>/dev/null || return 1
  ((${#args[@]} > 0)) && [[ ${args[-1]} == "$(sdir "$n")/zoo.cfg" ]]
}

# running N: server N runs; sets PID.
running() {
  local n=$1 pidfile
  pidfile=$(sdir "$n")/pid
  PID=""
  [[ -r $pidfile ]] || return 1
  { read -r PID <"$pidfile" || [[ -n $PID ]]; } 2>/dev/null || return 1
  is_server_pid "$PID" "$n"
}

launch() {
  local n=$1 d
  d=$(sdir "$n")
  printf '\n==== zk.sh: starting server %s at %s ====\n' "$n" "$(date -u +%FT%TZ)" >>"$d/zk.log"
  # setsid: own session (no controlling terminal, so no SIGHUP either), so a terminal's Ctrl-C
  # or a test runner's process-group kill does not reach it. The background child is no
  # process-group leader (no job control in a script), so setsid execs instead of forking and
  # $! is java's pid.
  local -a jaas=()
  if [[ $SASL == yes ]]; then jaas=("-Djava.security.auth.login.config=$DIR/jaas.conf"); fi
  setsid "$JAVA" -Xms16m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dzookeeper.admin.enableServer=false "${jaas[@]}" \
    -cp "$ZK_JAR:$SLF4J_JAR:$NETTY_CODEC_JAR" "$MAIN_CLASS" "$d/zoo.cfg" \
    >>"$d/zk.log" 2>&1 </dev/null &
  local pid=$! i
  echo "$pid" >"$d/pid"
  # Until the forked shell has exec'd setsid and then java, /proc/PID/cmdline is this script's
  # (or empty, mid-exec): wait for java (a few ms) so that `running` recognises the server.
  for ((i = 0; i < 1000; i++)); do
    is_server_pid "$pid" "$n" && return 0
    proc_alive "$pid" || return 0 # exited: wait_serving reports it
    sleep 0.01
  done
}

# ---------------------------------------------------------------------------------------------
# Probes

# srvr PORT: print the reply to the `srvr` four-letter word (nothing if no answer). A probe sent
# during start-up can leave the socket hanging, hence the short read timeout. Run it in a
# subshell: it opens a file descriptor and ignores SIGPIPE.
srvr() {
  local port=$1 fd line
  trap '' PIPE
  { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 0
  { printf 'srvr' >&"$fd"; } 2>/dev/null || return 0
  while IFS= read -r -t 0.3 -u "$fd" line || [[ -n $line ]]; do
    printf '%s\n' "$line"
    line=""
  done 2>/dev/null
  exec {fd}>&-
}

# srvr_tls PORT: `srvr` over TLS with the test PKI's client certificate (zk.sh start --tls).
srvr_tls() {
  local pki=$DIR/pki
  printf 'srvr' | timeout 2 openssl s_client -connect "127.0.0.1:$1" -quiet -verify_return_error \
    -CAfile "$pki/ca.pem" -cert "$pki/client.pem" -key "$pki/client-key.pem" 2>/dev/null || true
}

# probe_mode PORT: set MODE to the server's Mode (standalone, leader, follower, ...) or "down".
probe_mode() {
  local reply
  if [[ $TLS == yes ]]; then
    reply=$(srvr_tls "$1") || reply=""
  else
    reply=$(srvr "$1") || reply=""
  fi
  if [[ $reply =~ Mode:\ ([a-z-]+) ]]; then
    MODE=${BASH_REMATCH[1]}
  else
    MODE=down
  fi
}

serving_mode() {
  case $1 in
    standalone | leader | follower) return 0 ;;
    *) return 1 ;;
  esac
}

# busy_ports PORT...: print the ports (space separated) that cannot be bound on 127.0.0.1.
busy_ports() {
  if command -v node >/dev/null; then
    node -e '
      const net = require("net");
      const ports = process.argv.slice(1).map(Number);
      const busy = [];
      let left = ports.length;
      const done = () => { if (--left === 0) console.log(busy.sort((a, b) => a - b).join(" ")); };
      for (const p of ports) {
        const s = net.createServer();
        s.once("error", () => { busy.push(p); done(); });
        s.listen({ port: p, host: "127.0.0.1", exclusive: true }, () => s.close(done));
      }' "$@"
  else
    # Without node: a port is busy when something accepts connections on it.
    local p out=()
    for p in "$@"; do
      if (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then out+=("$p"); fi
    done
    echo "${out[*]}"
  fi
}

check_ports_free() {
  local busy
  busy=$(busy_ports "$@")
  [[ -z $busy ]] || fail 4 "port(s) in use on 127.0.0.1: $busy (needed: $*); choose another --port or stop what uses them"
}

log_hint() {
  local n=$1 d
  d=$(sdir "$n")
  log "last lines of $d/zk.log:"
  tail -n 15 "$d/zk.log" 2>/dev/null | sed 's/^/    /' >&2 || true
}

# wait_serving N...: wait until each server serves, or fail (exit 1) when one dies or the
# timeout passes. Prints nothing on success.
wait_serving() {
  local -a pending=("$@") still
  local n deadline
  now_ms
  deadline=$((NOW_MS + START_TIMEOUT_S * 1000))
  while ((${#pending[@]} > 0)); do
    still=()
    for n in "${pending[@]}"; do
      PID=""
      { read -r PID <"$(sdir "$n")/pid" || [[ -n $PID ]]; } 2>/dev/null || true
      if ! proc_alive "$PID"; then
        log_hint "$n"
        WAIT_FAILED=$n
        log "error: server $n exited during start-up; see $(sdir "$n")/zk.log"
        return 1
      fi
      probe_mode "$(client_port "$n")"
      serving_mode "$MODE" || still+=("$n")
    done
    pending=("${still[@]}")
    ((${#pending[@]} > 0)) || break
    now_ms
    if ((NOW_MS >= deadline)); then
      n=${pending[0]}
      log_hint "$n"
      WAIT_FAILED=$n
      if ((NSERVERS > 1)); then
        log "error: server(s) ${pending[*]} not serving after ${START_TIMEOUT_S}s (mode: $MODE; no quorum? a majority of the 3 servers must run); see $(sdir "$n")/zk.log"
      else
        log "error: server $n not serving after ${START_TIMEOUT_S}s; see $(sdir "$n")/zk.log"
      fi
      return 1
    fi
    sleep 0.05
  done
}
WAIT_FAILED=""

# signal_and_wait SIG N...: send SIG to the running servers among N..., wait until they are gone
# (SIGTERM: up to 5 s, then SIGKILL). No error for servers that do not run.
signal_and_wait() {
  local sig=$1 n deadline
  shift
  local -a pids=() ns=()
  for n in "$@"; do
    if running "$n"; then
      kill "-$sig" "$PID" 2>/dev/null || true
      pids+=("$PID")
      ns+=("$n")
    else
      rm -f "$(sdir "$n")/pid"
    fi
  done
  ((${#ns[@]} > 0)) || return 0
  now_ms
  deadline=$((NOW_MS + STOP_GRACE_MS))
  local escalated=no i alive
  while :; do
    alive=0
    for i in "${!ns[@]}"; do
      if proc_alive "${pids[$i]}"; then
        alive=1
      fi
    done
    ((alive)) || break
    now_ms
    if ((NOW_MS >= deadline)); then
      if [[ $escalated == yes ]]; then
        fail 1 "server(s) ${ns[*]} still alive 5 s after SIGKILL (pids ${pids[*]})"
      fi
      [[ $sig == KILL ]] || log "server(s) still alive ${STOP_GRACE_MS} ms after SIG$sig: sending SIGKILL"
      for i in "${!ns[@]}"; do
        kill -KILL "${pids[$i]}" 2>/dev/null || true
      done
      escalated=yes
      deadline=$((NOW_MS + 5000))
    fi
    sleep 0.02
  done
  for n in "${ns[@]}"; do
    rm -f "$(sdir "$n")/pid"
  done
}

# ---------------------------------------------------------------------------------------------
# Commands

write_config() {
  local n=$1 d i
  d=$(sdir "$n")
  mkdir -p "$d/data"
  {
    echo "# written by scripts/zk.sh"
    echo "tickTime=200"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$d/data"
    if [[ $TLS == yes ]]; then
      local pki=$DIR/pki
      echo "secureClientPort=$(client_port "$n")"
      echo "secureClientPortAddress=127.0.0.1"
      echo "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory"
      echo "ssl.keyStore.location=$pki/server-keystore.p12"
      echo "ssl.keyStore.password=$TLS_PASSWORD"
      echo "ssl.keyStore.type=PKCS12"
      echo "ssl.trustStore.location=$pki/server-truststore.p12"
      echo "ssl.trustStore.password=$TLS_PASSWORD"
      echo "ssl.trustStore.type=PKCS12"
      echo "ssl.clientAuth=need"
      echo "authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider"
    else
      echo "clientPort=$(client_port "$n")"
      echo "clientPortAddress=127.0.0.1"
    fi
    if [[ $SASL == yes ]]; then
      echo "authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider"
      echo "sessionRequireClientSASLAuth=true"
    fi
    echo "maxClientCnxns=0"
    echo "minSessionTimeout=400"
    echo "maxSessionTimeout=60000"
    echo "admin.enableServer=false"
    echo "4lw.commands.whitelist=*"
    echo "forceSync=$FORCE_SYNC"
    if ((NSERVERS > 1)); then
      echo "cnxTimeout=1000"
      for ((i = 1; i <= NSERVERS; i++)); do
        echo "server.$i=127.0.0.1:$(quorum_port "$i"):$(election_port "$i")"
      done
    fi
  } >"$d/zoo.cfg"
  if ((NSERVERS > 1)); then
    echo "$n" >"$d/data/myid"
  fi
}

# The JAAS file of --sasl: one DIGEST-MD5 user per ZK_SASL_USERS entry (mode 600: passwords).
write_jaas() {
  local users=${ZK_SASL_USERS:-jenkins-ha:jha-sasl-secret,other:other-sasl-secret} entry
  local -a list
  IFS=',' read -r -a list <<<"$users"
  (
    umask 077
    {
      echo "Server {"
      echo "  org.apache.zookeeper.server.auth.DigestLoginModule required"
      for entry in "${list[@]}"; do
        [[ $entry =~ ^[A-Za-z0-9._-]+:[^\"]+$ ]] || fail 2 "ZK_SASL_USERS: '${entry%%:*}:...' is not user:password (user of letters, digits, . _ -; no quote in the password)"
        printf '  user_%s="%s"\n' "${entry%%:*}" "${entry#*:}"
      done
      echo "  ;"
      echo "};"
    } >"$DIR/jaas.conf"
  ) || exit $?
}

connect_string() {
  local n sep="" s=""
  for ((n = 1; n <= NSERVERS; n++)); do
    s+="${sep}127.0.0.1:$(client_port "$n")"
    sep=,
  done
  echo "$s"
}

cmd_start_new() {
  if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535 - 23)); then
    fail 2 "bad --port '$PORT'"
  fi
  [[ $FORCE_SYNC == yes || $FORCE_SYNC == no ]] || fail 2 "--force-sync must be yes or no"
  ensure_installed

  # Servers of an earlier cluster in DIR still running: stop them, then wipe.
  if [[ -r $DIR/cluster.conf ]]; then
    local keep_port=$PORT keep_tls=$TLS keep_sasl=$SASL
    load_cluster
    local -a old
    mapfile -t old < <(seq 1 "$NSERVERS")
    signal_and_wait TERM "${old[@]}"
    PORT=$keep_port
    TLS=$keep_tls
    SASL=$keep_sasl
  fi
  local n
  for n in "$DIR"/zk[0-9]*; do
    if [[ -e $n ]]; then rm -rf -- "$n"; fi
  done
  rm -f -- "$DIR/cluster.conf"
  mkdir -p -- "$DIR"
  DIR=$(cd -- "$DIR" && pwd -P)

  if [[ $ENSEMBLE == yes ]]; then NSERVERS=3; else NSERVERS=1; fi
  local -a ports=() all=()
  for ((n = 1; n <= NSERVERS; n++)); do
    read -r -a ports <<<"$(server_ports "$n")"
    all+=("${ports[@]}")
  done
  check_ports_free "${all[@]}"

  if [[ $TLS == yes ]]; then
    command -v keytool >/dev/null || fail 1 "--tls needs keytool (Debian: a JDK's bin, e.g. openjdk-17-jdk-headless)"
    [[ -r $NETTY_CODEC_JAR ]] || fail 1 "--tls needs $NETTY_CODEC_JAR (Debian package libnetty-java)"
    bash "$SCRIPT_DIR/zk-pki.sh" default "$DIR/pki" "$TLS_PASSWORD" || fail 1 "could not make the test PKI in $DIR/pki"
  fi
  if [[ $SASL == yes ]]; then write_jaas; fi
  printf 'servers=%s\nport=%s\nforceSync=%s\ntls=%s\nsasl=%s\n' "$NSERVERS" "$PORT" "$FORCE_SYNC" "$TLS" "$SASL" >"$DIR/cluster.conf"
  for ((n = 1; n <= NSERVERS; n++)); do
    write_config "$n"
  done

  local t0
  now_ms
  t0=$NOW_MS
  local -a servers
  mapfile -t servers < <(seq 1 "$NSERVERS")
  for n in "${servers[@]}"; do
    launch "$n"
  done
  if ! wait_serving "${servers[@]}"; then
    log "stopping the servers of the failed cluster (logs kept in $DIR)"
    signal_and_wait KILL "${servers[@]}"
    exit 1
  fi
  now_ms
  log "$( ((NSERVERS > 1)) && echo "3-node ensemble" || echo "standalone server") serving in $((NOW_MS - t0)) ms (dir $DIR, forceSync=$FORCE_SYNC, tls=$TLS, sasl=$SASL)"
  connect_string
}

cmd_start_servers() {
  load_cluster
  ensure_installed
  local -a servers to_start=() ports=() all=()
  mapfile -t servers < <(selected_servers)
  local n
  for n in "${servers[@]}"; do
    [[ -r $(sdir "$n")/zoo.cfg ]] || fail 1 "no config for server $n in $DIR"
    if running "$n"; then
      log "server $n already running (pid $PID)"
    else
      to_start+=("$n")
      read -r -a ports <<<"$(server_ports "$n")"
      all+=("${ports[@]}")
    fi
  done
  if ((${#to_start[@]} > 0)); then
    check_ports_free "${all[@]}"
    local t0
    now_ms
    t0=$NOW_MS
    for n in "${to_start[@]}"; do
      launch "$n"
    done
    if ! wait_serving "${to_start[@]}"; then
      if running "$WAIT_FAILED"; then
        log "server $WAIT_FAILED left running (pid $PID): it joins once a quorum is up; stop it with: zk.sh stop --dir $DIR --server $WAIT_FAILED"
      fi
      exit 1
    fi
    now_ms
    log "server(s) ${to_start[*]} serving in $((NOW_MS - t0)) ms"
  fi
  wait_serving "${servers[@]}" || exit 1
  connect_string
}

cmd_stop() {
  local sig=$1
  if [[ ! -r $DIR/cluster.conf ]]; then
    log "no cluster in $DIR: nothing to stop"
    return 0
  fi
  load_cluster
  local -a servers
  mapfile -t servers < <(selected_servers)
  signal_and_wait "$sig" "${servers[@]}"
}

cmd_status() {
  if [[ ! -r $DIR/cluster.conf ]]; then
    log "no cluster in $DIR"
    exit 3
  fi
  load_cluster
  local n rc=0 port
  for ((n = 1; n <= NSERVERS; n++)); do
    port=$(client_port "$n")
    if running "$n"; then
      probe_mode "$port"
      serving_mode "$MODE" || { MODE=down; rc=3; }
      echo "$n $port $PID $MODE"
    else
      echo "$n $port - down"
      rc=3
    fi
  done
  exit "$rc"
}

parse_args() {
  while (($# > 0)); do
    case $1 in
      --dir) DIR=${2:?--dir needs a value}; shift 2 ;;
      --dir=*) DIR=${1#*=}; shift ;;
      --port) PORT=${2:?--port needs a value}; shift 2 ;;
      --port=*) PORT=${1#*=}; shift ;;
      --ensemble) ENSEMBLE=yes; shift ;;
      --tls) TLS=yes; shift ;;
      --sasl) SASL=yes; shift ;;
      --force-sync) FORCE_SYNC=${2:?--force-sync needs yes or no}; shift 2 ;;
      --force-sync=*) FORCE_SYNC=${1#*=}; shift ;;
      --server) SERVER_ARG=${2:?--server needs a number}; shift 2 ;;
      --server=*) SERVER_ARG=${1#*=}; shift ;;
      -h | --help) usage ;;
      *) log "unknown argument: $1"; usage ;;
    esac
  done
  DIR=${DIR:-${ZK_DIR:-$REPO_DIR/.run/zk}}
  [[ -n $DIR ]] || fail 2 "empty --dir"
  if [[ -d $DIR ]]; then
    DIR=$(cd -- "$DIR" && pwd -P)
  elif [[ $DIR != /* ]]; then
    DIR=$PWD/$DIR
  fi
}

main() {
  (($# > 0)) || usage
  local cmd=$1
  shift
  case $cmd in
    install)
      ensure_installed
      ensure_fault_tools
      log "zookeeper: $ZK_JAR ($(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo '?'))"
      ;;
    start)
      local port_given=no
      parse_args "$@"
      [[ -n $PORT ]] && port_given=yes
      if [[ -n $SERVER_ARG ]]; then
        [[ $port_given == no && $ENSEMBLE == no && $TLS == no && $SASL == no ]] || fail 2 "start --server takes no --port/--ensemble/--tls/--sasl: the cluster's config is kept"
        cmd_start_servers
      else
        PORT=${PORT:-${ZK_PORT:-2181}}
        cmd_start_new
      fi
      ;;
    stop) parse_args "$@"; cmd_stop TERM ;;
    kill) parse_args "$@"; cmd_stop KILL ;;
    status) parse_args "$@"; cmd_status ;;
    -h | --help | help) usage ;;
    *) log "unknown command: $cmd"; usage ;;
  esac
}

main "$@"
