#!/usr/bin/env bash
# Container entrypoint of jenkins-ha (docker/Dockerfile): checks the environment, fills in the
# container defaults, lets jenkins-ha validate the whole configuration, then execs
# `jenkins-ha run` (so tini's SIGTERM reaches it directly).
#
#   jenkins-ha-entrypoint [--<key> VALUE ...]    run the controller (flags are passed on)
#   jenkins-ha-entrypoint COMMAND [ARGS ...]     any other jenkins-ha command (status, config, ...)
#
# Environment: every JHA_* variable of the configuration reference (docs/configuration.md);
# required: JHA_ZK_CONNECT. Defaults filled in here:
#   JHA_NODE_ID / JHA_NODE_HOST   the container's host name ($HOSTNAME)
#   JHA_JENKINS_COMMAND           exec java $JAVA_OPTS -jar $JENKINS_WAR $JENKINS_OPTS --httpPort=$JENKINS_HTTP_PORT
#   JHA_JENKINS_URL               http://127.0.0.1:$JENKINS_HTTP_PORT
# Also read: JENKINS_HOME (must be a writable directory), JENKINS_WAR
# (/usr/share/jenkins/jenkins.war), JENKINS_HTTP_PORT (8080), JAVA_OPTS, JENKINS_OPTS.
#
# Exit codes: 2 bad environment or configuration (the message names the variable or key),
# 127 jenkins-ha not found; otherwise jenkins-ha's own.
set -euo pipefail

die() { # code message
  printf 'jenkins-ha-entrypoint: %s\n' "$2" >&2
  exit "$1"
}

command -v jenkins-ha >/dev/null || die 127 "jenkins-ha is not on PATH"

# Other commands (status, switchover, config, --help, ...) need no Jenkins checks.
if [[ $# -gt 0 && $1 != -* && $1 != run ]]; then
  exec jenkins-ha "$@"
fi
[[ ${1:-} == run ]] && shift

# 1. Typos: every JHA_* variable must be one jenkins-ha knows (it would silently ignore others).
# The Env column of the reference: | `JHA_...` |
# shellcheck disable=SC2016 # the backquotes are literal Markdown
known=$(jenkins-ha config --doc | grep -oE '\| `JHA_[A-Z0-9_]+` \|' | grep -oE 'JHA_[A-Z0-9_]+' | sort -u) \
  || die 2 "cannot read the configuration reference (jenkins-ha config --doc)"
known+=$'\nJHA_CONFIG'
while IFS='=' read -r name _; do
  [[ $name == JHA_* ]] || continue
  grep -qx -- "$name" <<<"$known" || die 2 "$name is not a jenkins-ha setting (see docs/configuration.md)"
done < <(env)

# 2. Required and derived settings.
[[ -n ${JHA_ZK_CONNECT:-} ]] || die 2 "JHA_ZK_CONNECT is required (e.g. zk1:2181,zk2:2181,zk3:2181)"
[[ -n ${JENKINS_HOME:-} ]] || die 2 "JENKINS_HOME is required"
[[ $JENKINS_HOME == /* ]] || die 2 "JENKINS_HOME must be an absolute path (got '$JENKINS_HOME')"
[[ -d $JENKINS_HOME ]] || die 2 "JENKINS_HOME $JENKINS_HOME is not a directory (mount the shared volume there)"
[[ -w $JENKINS_HOME ]] || die 2 "JENKINS_HOME $JENKINS_HOME is not writable by uid $(id -u) (align the volume's owner with the jenkins user)"

JENKINS_HTTP_PORT=${JENKINS_HTTP_PORT:-8080}
if ! [[ $JENKINS_HTTP_PORT =~ ^[0-9]{1,5}$ ]] || ((10#$JENKINS_HTTP_PORT < 1 || 10#$JENKINS_HTTP_PORT > 65535)); then
  die 2 "JENKINS_HTTP_PORT must be a port number (got '$JENKINS_HTTP_PORT')"
fi
JENKINS_WAR=${JENKINS_WAR:-/usr/share/jenkins/jenkins.war}

node_name=${HOSTNAME:-$(hostname)}
export JHA_NODE_ID=${JHA_NODE_ID:-$node_name}
export JHA_NODE_HOST=${JHA_NODE_HOST:-$node_name}
if [[ -z ${JHA_JENKINS_COMMAND:-} ]]; then
  [[ -f $JENKINS_WAR ]] || die 2 "JENKINS_WAR $JENKINS_WAR does not exist (set JENKINS_WAR or JHA_JENKINS_COMMAND)"
  # Word-split JAVA_OPTS/JENKINS_OPTS at run time by /bin/sh -c, like the Jenkins image does.
  export JHA_JENKINS_COMMAND="exec java \${JAVA_OPTS:-} -jar '$JENKINS_WAR' \${JENKINS_OPTS:-} --httpPort=$JENKINS_HTTP_PORT"
fi
export JHA_JENKINS_URL=${JHA_JENKINS_URL:-http://127.0.0.1:$JENKINS_HTTP_PORT}

# 3. The whole configuration, as jenkins-ha will read it: exit 2 names the bad key.
if ! out=$(jenkins-ha config "$@" 2>&1 >/dev/null); then
  die 2 "${out#jenkins-ha: }"
fi

echo "jenkins-ha-entrypoint: node $JHA_NODE_ID, ZooKeeper $JHA_ZK_CONNECT, JENKINS_HOME $JENKINS_HOME" >&2
exec jenkins-ha run "$@"
