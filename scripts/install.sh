#!/usr/bin/env bash
# Install a built jenkins-ha (run `npm ci && npm run build` first) on this machine:
#
#   PREFIX (/opt/jenkins-ha)            dist/, production node_modules, the two shims, conf/, docs/
#   BINDIR (/usr/local/bin)/jenkins-ha  wrapper: exec <node> PREFIX/dist/cli.js "$@"
#   UNITDIR (/etc/systemd/system)/jenkins-ha.service   from scripts/jenkins-ha.service
#   /etc/jenkins-ha/jenkins-ha.json     a starting config, only if absent (never overwritten)
#   /etc/default/jenkins-ha             the unit's environment file (secrets), only if absent
#
#   scripts/install.sh [--prefix DIR] [--bindir DIR] [--unitdir DIR] [--confdir DIR]
#                      [--envfile FILE] [--jenkins-home DIR] [--node PATH] [--destdir DIR] [--dry-run]
#
# --destdir (or env DESTDIR) stages everything under DIR (for packaging); paths written into the
# wrapper and the unit stay the final ones. --jenkins-home (default /var/lib/jenkins) goes into
# the unit's ReadWritePaths/RequiresMountsFor and the starting config. --dry-run prints what
# would be done and changes nothing. Idempotent: running it again replaces the app with the
# current build and leaves the config and the environment file alone. It neither creates the
# jenkins user nor enables or starts the service; it says what to do next.
# Exit codes: 0 done, 1 failed, 64 usage error.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PREFIX=/opt/jenkins-ha
BINDIR=/usr/local/bin
UNITDIR=/etc/systemd/system
CONFDIR=/etc/jenkins-ha
ENVFILE=/etc/default/jenkins-ha
JENKINS_HOME_DIR=/var/lib/jenkins
NODE_BIN=""
DESTDIR=${DESTDIR:-}
DRY=no

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64; }
log() { printf 'install.sh: %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

while (($#)); do
  case $1 in
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    --bindir) BINDIR=${2:?--bindir needs a directory}; shift 2 ;;
    --unitdir) UNITDIR=${2:?--unitdir needs a directory}; shift 2 ;;
    --confdir) CONFDIR=${2:?--confdir needs a directory}; shift 2 ;;
    --envfile) ENVFILE=${2:?--envfile needs a file}; shift 2 ;;
    --jenkins-home) JENKINS_HOME_DIR=${2:?--jenkins-home needs a directory}; shift 2 ;;
    --node) NODE_BIN=${2:?--node needs a path}; shift 2 ;;
    --destdir) DESTDIR=${2:?--destdir needs a directory}; shift 2 ;;
    --dry-run) DRY=yes; shift ;;
    -h|--help) usage ;;
    *) log "unknown argument: $1"; usage ;;
  esac
done
for p in "$PREFIX" "$BINDIR" "$UNITDIR" "$CONFDIR" "$ENVFILE" "$JENKINS_HOME_DIR"; do
  [[ $p == /* ]] || { log "paths must be absolute: $p"; exit 64; }
done

# Run (or, with --dry-run, print) one step.
run() {
  if [[ $DRY == yes ]]; then
    printf 'would run:'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}
# write FILE MODE: stdin to FILE (atomically), or print what would be written.
write() {
  local file=$1 mode=$2
  if [[ $DRY == yes ]]; then
    printf 'would write %s (mode %s)\n' "$file" "$mode"
    cat >/dev/null
    return
  fi
  mkdir -p "$(dirname "$file")"
  cat >"$file.tmp.$$"
  chmod "$mode" "$file.tmp.$$"
  mv -f "$file.tmp.$$" "$file"
}

# 1. What we install must exist: a build, production dependencies, node.
[[ -f $SRC/dist/cli.js ]] || fail "$SRC/dist/cli.js is missing: run 'npm ci && npm run build' first"
[[ -d $SRC/node_modules ]] || fail "$SRC/node_modules is missing: run 'npm ci' first"
if [[ -z $NODE_BIN ]]; then
  NODE_BIN=$(command -v node) || fail "node is not on PATH (Node.js 20 is needed; or pass --node PATH)"
fi
[[ -x $NODE_BIN ]] || fail "$NODE_BIN is not executable"
major=$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')
((major >= 20)) || fail "Node.js $("$NODE_BIN" --version) is too old: jenkins-ha needs 20 or newer"
# Production dependencies only: the packages `npm ls --omit=dev` resolves, copied from this
# checkout (no registry access needed on the target).
prod_deps() {
  # Top-level packages only: copying one brings its nested node_modules along.
  (cd "$SRC" && npm ls --omit=dev --all --parseable 2>/dev/null) | sed -n "s|^$SRC/node_modules/||p" | grep -v '/node_modules/'
}
mapfile -t deps < <(prod_deps || true)
((${#deps[@]} > 0)) || fail "cannot list the production dependencies (npm ls --omit=dev)"

APP=$DESTDIR$PREFIX
STAGE=$APP.new.$$
log "installing jenkins-ha $("$NODE_BIN" -p "require('$SRC/package.json').version") from $SRC to $APP"

# 2. The app: built in a staging directory next to its place, then swapped in.
if [[ $DRY == yes ]]; then
  printf 'would install dist/, %d production packages, scripts/jenkins-ha-shim, scripts/jenkins-ha-service-shim, conf/, docs/ to %s\n' "${#deps[@]}" "$APP"
else
  trap 'rm -rf "$STAGE"' EXIT
  mkdir -p "$STAGE/node_modules" "$STAGE/scripts"
  cp -a "$SRC/dist" "$SRC/conf" "$SRC/docs" "$SRC/package.json" "$SRC/package-lock.json" "$STAGE/"
  # The watchdog shims the supervisor runs: child mode (jenkins.mode child) and service mode.
  cp -a "$SRC/scripts/jenkins-ha-shim" "$SRC/scripts/jenkins-ha-service-shim" "$STAGE/scripts/"
  for d in "${deps[@]}"; do
    mkdir -p "$STAGE/node_modules/$(dirname "$d")"
    cp -a "$SRC/node_modules/$d" "$STAGE/node_modules/$d"
  done
  chmod -R u=rwX,go=rX "$STAGE"
  chmod 0755 "$STAGE/scripts/jenkins-ha-shim" "$STAGE/scripts/jenkins-ha-service-shim"
  rm -rf "$APP.old.$$"
  if [[ -e $APP ]]; then mv "$APP" "$APP.old.$$"; fi
  mkdir -p "$(dirname "$APP")"
  mv "$STAGE" "$APP"
  rm -rf "$APP.old.$$"
  trap - EXIT
fi

# 3. The wrapper on PATH.
write "$DESTDIR$BINDIR/jenkins-ha" 0755 <<WRAPPER
#!/bin/sh
# jenkins-ha command (installed by scripts/install.sh)
# No V8 flags: a capped young generation cost ~30 ms of start-up and saved no settled idle memory
# (docs/benchmarks.md, "V8's young generation").
exec '$NODE_BIN' '$PREFIX/dist/cli.js' "\$@"
WRAPPER

# 4. The systemd unit, with this installation's paths.
sed -e "s|^ExecStart=/usr/local/bin/jenkins-ha |ExecStart=$BINDIR/jenkins-ha |" \
    -e "s|^RequiresMountsFor=/var/lib/jenkins\$|RequiresMountsFor=$JENKINS_HOME_DIR|" \
    -e "s|^ReadWritePaths=/var/lib/jenkins\$|ReadWritePaths=$JENKINS_HOME_DIR|" \
    -e "s|^Environment=JHA_CONFIG=/etc/jenkins-ha/jenkins-ha.json |Environment=JHA_CONFIG=$CONFDIR/jenkins-ha.json |" \
    -e "s|^EnvironmentFile=-/etc/default/jenkins-ha\$|EnvironmentFile=-$ENVFILE|" \
    -e "s|^Documentation=file:/opt/jenkins-ha/|Documentation=file:$PREFIX/|" \
    "$SRC/scripts/jenkins-ha.service" | write "$DESTDIR$UNITDIR/jenkins-ha.service" 0644

# 5. A starting config and the environment file, never overwritten.
CONF=$DESTDIR$CONFDIR/jenkins-ha.json
if [[ -e $CONF ]]; then
  log "keeping the existing $CONF"
else
  write "$CONF" 0640 <<CONFIG
// jenkins-ha configuration of this node (created by scripts/install.sh; edit it, it is kept).
// Every key: docs/configuration.md or \`jenkins-ha config --doc\`. Check: \`jenkins-ha config\`.
{
  // The same on every node of the pair.
  "cluster": { "name": "jenkins" },
  // Unique per node; the host name the other node, the load balancer and operators use.
  "node": { "id": "$(hostname -s 2>/dev/null || hostname)", "host": "$(hostname -f 2>/dev/null || hostname)" },
  // Your ZooKeeper ensemble.
  "zk": { "connect": "zk1.example.com:2181,zk2.example.com:2181,zk3.example.com:2181", "sessionTimeoutMs": 10000 },
  "jenkins": {
    // On shared storage (NFS), mounted at the same path on every node: docs/deploying.md.
    "home": "$JENKINS_HOME_DIR",
    "command": "java -jar /usr/share/java/jenkins.war --httpPort=8080",
    "url": "http://127.0.0.1:8080"
  },
  // Reachable by the load balancer's health checks (GET /leader) and by the other node.
  "api": { "host": "0.0.0.0", "port": 8090 },
  "log": { "format": "json" }
}
CONFIG
fi
ENVF=$DESTDIR$ENVFILE
if [[ -e $ENVF ]]; then
  log "keeping the existing $ENVF"
else
  write "$ENVF" 0600 <<'ENVIRONMENT'
# Environment of jenkins-ha.service (read by systemd as root; keep it mode 0600).
# Secrets belong here rather than in the config file:
#JHA_API_TOKEN=
#JHA_API_READ_TOKEN=
# Any key can be set here as JHA_<KEY_PATH>, e.g. JHA_LOG_LEVEL=debug.
ENVIRONMENT
fi
if [[ $DRY == no && -z $DESTDIR ]] && getent group jenkins >/dev/null 2>&1; then
  chgrp jenkins "$CONF" 2>/dev/null || true
fi

# 6. Next steps.
if [[ -z $DESTDIR && $DRY == no ]] && command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
  run systemctl daemon-reload
fi
id jenkins >/dev/null 2>&1 || log "note: there is no 'jenkins' user yet (the unit runs as jenkins; the Debian jenkins package creates it)"
cat >&2 <<NEXT
install.sh: done. Next:
  1. edit $CONFDIR/jenkins-ha.json (and secrets in $ENVFILE); check it: $BINDIR/jenkins-ha config
  2. systemctl disable --now jenkins.service   # jenkins-ha starts Jenkins itself
  3. systemctl enable --now jenkins-ha.service
NEXT
