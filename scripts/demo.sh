#!/usr/bin/env bash
# jenkins-ha local demo: installs what it needs, then runs an active/standby pair on this machine
# with no infrastructure: an embedded ZooKeeper (Debian's package, loopback, temp data), two
# controllers (node-a, node-b) sharing one JENKINS_HOME, and a Jenkins.
#
#   scripts/demo.sh            run the pair in the foreground; Ctrl-C stops everything
#   scripts/demo.sh --check    scripted run for CI: start, verify one leader, kill -9 it, verify
#                              the standby took over without two Jenkins, stop; exit 0 or 1
#   scripts/demo.sh --sync git no shared storage: each node gets its own JENKINS_HOME
#                              (.run/demo/home-node-a, -b) and the configuration travels through a
#                              bare git repository (.run/demo/config.git); see docs/sync.md.
#                              Combines with --check (which then also checks that a job written on
#                              the leader reaches the standby's home across the kill -9).
#
# Jenkins: the project's stand-in (test/fixtures/jenkins-standin.js), or the real thing when
# JENKINS_WAR=/path/to/jenkins.war is set (then Java runs it on the same port).
# Ports (override with env): DEMO_ZK_PORT=12181, DEMO_JENKINS_PORT=18080, DEMO_API_A=18091,
# DEMO_API_B=18092. State lives in .run/demo/ (logs: .run/demo/node-*.log).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
CHECK=no
SYNC=shared
while (($#)); do
  case $1 in
    --check) CHECK=yes ;;
    --sync)
      SYNC=${2:-}
      shift
      ;;
    --sync=*) SYNC=${1#--sync=} ;;
    *)
      echo "usage: scripts/demo.sh [--check] [--sync shared|git]" >&2
      exit 64
      ;;
  esac
  shift
done
if [[ $SYNC != shared && $SYNC != git ]]; then
  echo "demo: --sync takes shared or git, not '$SYNC'" >&2
  exit 64
fi

ZK_PORT=${DEMO_ZK_PORT:-12181}
JENKINS_PORT=${DEMO_JENKINS_PORT:-18080}
API_A=${DEMO_API_A:-18091}
API_B=${DEMO_API_B:-18092}
RUN=$REPO/.run/demo
SESSION_MS=${DEMO_SESSION_TIMEOUT_MS:-4000}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# 1. Install: ZooKeeper from Debian, node modules, build.
say "installing ZooKeeper (Debian package) if missing"
bash scripts/zk.sh install </dev/null
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "npm ci"
  npm ci --no-audit --no-fund </dev/null
fi
say "building"
npm run --silent build </dev/null

# 2. Fresh state.
PIDS=()
cleanup() {
  trap - EXIT INT TERM
  say "stopping the demo"
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  bash scripts/zk.sh stop --dir "$RUN/zk" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for p in "$API_A" "$API_B" "$JENKINS_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "demo: port $p is in use (another demo running?); set DEMO_* ports or stop it" >&2
    exit 1
  fi
done
bash scripts/zk.sh stop --dir "$RUN/zk" >/dev/null 2>&1 || true
rm -rf "$RUN"
mkdir -p "$RUN/home"
if [[ $SYNC == git ]]; then
  command -v git >/dev/null || { echo "demo: --sync git needs git (apt-get install -y git)" >&2; exit 1; }
  mkdir -p "$RUN/home-node-a" "$RUN/home-node-b"
  git init --quiet --bare "$RUN/config.git"
fi

say "starting ZooKeeper on 127.0.0.1:$ZK_PORT"
ZK_CONNECT=$(bash scripts/zk.sh start --dir "$RUN/zk" --port "$ZK_PORT" </dev/null | tail -n 1)

if [[ -n ${JENKINS_WAR:-} ]]; then
  JENKINS_CMD="exec java -jar '$JENKINS_WAR' --httpPort=$JENKINS_PORT --httpListenAddress=127.0.0.1"
else
  JENKINS_CMD="exec node '$REPO/test/fixtures/jenkins-standin.js' --httpPort=$JENKINS_PORT"
fi

home_of() { # id
  if [[ $SYNC == git ]]; then echo "$RUN/home-$1"; else echo "$RUN/home"; fi
}

start_node() { # id api-port
  # git mode: own homes, the repo in the demo dir; the stand-in journals into the shared dir.
  local sync_env=()
  [[ $SYNC == git ]] && sync_env=(JHA_SYNC_MODE=git "JHA_SYNC_REPO=$RUN/config.git" JHA_SYNC_INTERVAL_MS=2000 "STANDIN_STATE_DIR=$RUN/home")
  env "${sync_env[@]}" JHA_NODE_ID="$1" JHA_CLUSTER=demo JHA_ZK_CONNECT="$ZK_CONNECT" JHA_ZK_SESSION_TIMEOUT_MS="$SESSION_MS" \
    JENKINS_HOME="$(home_of "$1")" JHA_JENKINS_COMMAND="$JENKINS_CMD" JHA_JENKINS_URL="http://127.0.0.1:$JENKINS_PORT" \
    JHA_JENKINS_STOP_TIMEOUT_MS=10000 JHA_JENKINS_HEALTH_INTERVAL_MS=1000 \
    JHA_API_HOST=127.0.0.1 JHA_API_PORT=$2 JHA_LOG_FORMAT=json \
    node dist/cli.js run >"$RUN/$1.log" 2>&1 &
  PIDS+=($!)
  echo $! >"$RUN/$1.pid"
}

field() { # api-port js-expression-on-status (s) -> its value, or - when the API does not answer
  curl -fsS -m 1 "http://127.0.0.1:$1/status" 2>/dev/null |
    node -e 'let t="";process.stdin.on("data",(d)=>(t+=d)).on("end",()=>{try{const s=JSON.parse(t);const v=(0,eval)("(s)=>("+process.argv[1]+")")(s);console.log(v===null||v===undefined?"-":String(v))}catch{console.log("-")}})' "$2" 2>/dev/null || echo "-"
}

wait_leader() { # timeout-seconds -> prints leader id
  local deadline=$((SECONDS + $1)) id
  while ((SECONDS < deadline)); do
    for api in "$API_A" "$API_B"; do
      if [[ $(field "$api" "s.node.role === 'leader' && s.jenkins.ready") == true ]]; then
        field "$api" "s.node.id"
        return 0
      fi
    done
    sleep 0.2
  done
  return 1
}

# The product's own status (src/cli/status.ts), pointed at the demo's ZooKeeper and cluster.
STATUS_ENV=(JHA_ZK_CONNECT="$ZK_CONNECT" JHA_CLUSTER=demo JHA_API_HOST=127.0.0.1 JHA_API_PORT="$API_A" JHA_LOG_FORMAT=json)
table() {
  env "${STATUS_ENV[@]}" node dist/cli.js status </dev/null | sed 's/^./  &/' || true
}

if [[ $SYNC == git ]]; then
  say "starting node-a and node-b (own homes $RUN/home-node-*, configuration through $RUN/config.git)"
else
  say "starting node-a and node-b (shared JENKINS_HOME $RUN/home)"
fi
start_node node-a "$API_A"
sleep 0.3
start_node node-b "$API_B"

LEADER=$(wait_leader 60) || { echo "demo: no leader with a ready Jenkins after 60 s; see $RUN/*.log" >&2; exit 1; }
echo
table
echo
say "$LEADER leads; Jenkins is at http://127.0.0.1:$JENKINS_PORT/"
say "status page: http://127.0.0.1:$API_A/ (node-a), http://127.0.0.1:$API_B/ (node-b)"

if [[ $CHECK == yes ]]; then
  JOB=jobs/demo/config.xml
  if [[ $SYNC == git ]]; then
    say "check: a job written into the leader's home reaches the repository"
    mkdir -p "$(home_of "$LEADER")/jobs/demo"
    echo "<project><description>written on $LEADER</description></project>" >"$(home_of "$LEADER")/$JOB"
    LEADER_API=$API_A
    [[ $LEADER == node-b ]] && LEADER_API=$API_B
    deadline=$((SECONDS + 30))
    # Pushed and recorded (the standby restores the recorded commit, not the branch tip).
    until git --git-dir "$RUN/config.git" cat-file -e "refs/heads/main:$JOB" 2>/dev/null &&
      [[ $(field "$LEADER_API" "s.sync.recorded && s.sync.recorded.commit") == "$(git --git-dir "$RUN/config.git" rev-parse refs/heads/main)" ]]; do
      ((SECONDS < deadline)) || { echo "demo check: the job did not reach the repository" >&2; exit 1; }
      sleep 0.3
    done
  fi
  say "check: kill -9 the leader's controller; the shim must stop its Jenkins and the standby take over"
  kill -KILL "$(cat "$RUN/$LEADER.pid")"
  NEW=$(wait_leader 60) || { echo "demo check: no takeover" >&2; exit 1; }
  [[ $NEW != "$LEADER" ]] || { echo "demo check: $LEADER still leads" >&2; exit 1; }
  if grep -q '"ev":"overlap"' "$RUN/home/standin-journal.jsonl"; then
    echo "demo check: two Jenkins were alive at once" >&2
    exit 1
  fi
  if [[ $SYNC == git ]] && ! grep -q "written on $LEADER" "$(home_of "$NEW")/$JOB" 2>/dev/null; then
    echo "demo check: $NEW started without the job written on $LEADER" >&2
    exit 1
  fi
  table
  if [[ $SYNC == git ]]; then
    say "check passed: $NEW took over from $LEADER with its configuration"
  else
    say "check passed: $NEW took over from $LEADER"
  fi
  exit 0
fi

STANDBY=node-b
[[ $LEADER == node-b ]] && STANDBY=node-a
cat <<EOF | tee "$RUN/try.txt"

Try a takeover in another terminal:
  planned:  kill -TERM \$(cat $RUN/$LEADER.pid)     # standby starts Jenkins at once
  crash:    kill -KILL \$(cat $RUN/$LEADER.pid)     # watchdog kills Jenkins; standby waits out the session
  status:   env ${STATUS_ENV[*]} node dist/cli.js status
  page:     http://127.0.0.1:$API_A/  http://127.0.0.1:$API_B/
  probes:   curl -si http://127.0.0.1:$API_A/leader ; curl -si http://127.0.0.1:$API_B/standby
  logs:     tail -f $RUN/$LEADER.log $RUN/$STANDBY.log
These lines are kept in $RUN/try.txt. Next: jenkins-ha status --watch 2s (what changed is
highlighted); a controller that stops is started again. Ctrl-C stops everything.

EOF
sleep 3
# The product's own live view; the loop below starts again a controller that was stopped.
env "${STATUS_ENV[@]}" node dist/cli.js status --watch 2s </dev/null &
PIDS+=($!)
while true; do
  sleep 1
  for id in node-a node-b; do
    if ! kill -0 "$(cat "$RUN/$id.pid")" 2>/dev/null; then
      api=$API_A
      [[ $id == node-b ]] && api=$API_B
      echo "$(date +%T) $id's controller was not running: started again" >>"$RUN/restarts.log"
      start_node "$id" "$api"
    fi
  done
done
