#!/usr/bin/env bash
# Container entrypoint of jenkins-ha (docker/Dockerfile): checks the environment, fills in the
# container defaults, lets jenkins-ha validate the whole configuration, then execs
# `jenkins-ha run` (so tini's SIGTERM reaches it directly).
#
#   jenkins-ha-entrypoint [--<key> VALUE ...]    run the controller (flags are passed on)
#   jenkins-ha-entrypoint COMMAND [ARGS ...]     any other jenkins-ha command (status, config, ...)
#
# Configuration as everywhere else: a config file (-c FILE or JHA_CONFIG), every JHA_* variable of
# the configuration reference (docs/configuration.md) over it, flags over both. Required:
# zk.connect (JHA_ZK_CONNECT or the file). Container defaults, filled in only for keys that
# neither the file, the environment nor a flag sets (jenkins-ha config --sources says which):
#   node.id / node.host   the container's host name ($HOSTNAME)
#   jenkins.command       exec java $JAVA_OPTS -jar $JENKINS_WAR $JENKINS_OPTS --httpPort=$JENKINS_HTTP_PORT
#   jenkins.url           http://127.0.0.1:$JENKINS_HTTP_PORT
# Also read: JENKINS_HOME (jenkins.home: must be a writable directory; the Jenkins image sets it,
# so a file's jenkins.home that differs is an error), JENKINS_WAR (/usr/share/jenkins/jenkins.war),
# JENKINS_HTTP_PORT (8080), JAVA_OPTS, JENKINS_OPTS.
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

# 2. Where each setting comes from (default, file, env or flag) and its value (JSON), read once
# with jenkins-ha's own layering; a bad file or value exits 2 here, naming the key. JENKINS_HOME
# is left out of this read to see what the file says of jenkins.home.
if ! sources=$(env -u JENKINS_HOME jenkins-ha config --sources "$@" 2>&1); then
  die 2 "${sources#jenkins-ha: }"
fi
declare -A src=() val=()
while read -r key from value; do
  [[ -n $key ]] || continue
  src[$key]=$from
  val[$key]=$value
done <<<"$sources"
given() { [[ ${src[$1]:-default} != default ]]; }
unquote() { # a JSON string as text (paths and host lists carry no escapes)
  local v=${1#\"}
  printf '%s' "${v%\"}"
}

given zk.connect || die 2 "zk.connect is not set: set JHA_ZK_CONNECT (e.g. zk1:2181,zk2:2181,zk3:2181), --zk-connect, or \"zk\": { \"connect\": ... } in the config file (-c FILE or JHA_CONFIG)"
zk_connect=$(unquote "${val[zk.connect]:-}")

# jenkins.home: JENKINS_HOME (the Jenkins image sets it) beats the file, so a file that says
# otherwise would be silently overridden: refuse it; a flag beats both.
home=${JENKINS_HOME:-}
if given jenkins.home; then
  file_home=$(unquote "${val[jenkins.home]:-}")
  if [[ ${src[jenkins.home]:-} == file && -n $home && $file_home != "$home" ]]; then
    die 2 "jenkins.home: the config file says $file_home but JENKINS_HOME says $home, and the environment wins: set JENKINS_HOME=$file_home (or mount the shared volume at $home and drop jenkins.home from the file)"
  fi
  home=$file_home
fi
[[ -n $home ]] || die 2 "JENKINS_HOME is required (jenkins.home: the shared directory)"
[[ $home == /* ]] || die 2 "JENKINS_HOME must be an absolute path (got '$home')"
[[ -d $home ]] || die 2 "JENKINS_HOME $home is not a directory (mount the shared volume there)"
[[ -w $home ]] || die 2 "JENKINS_HOME $home is not writable by uid $(id -u) (align the volume's owner with the jenkins user)"

JENKINS_HTTP_PORT=${JENKINS_HTTP_PORT:-8080}
if ! [[ $JENKINS_HTTP_PORT =~ ^[0-9]{1,5}$ ]] || ((10#$JENKINS_HTTP_PORT < 1 || 10#$JENKINS_HTTP_PORT > 65535)); then
  die 2 "JENKINS_HTTP_PORT must be a port number (got '$JENKINS_HTTP_PORT')"
fi
JENKINS_WAR=${JENKINS_WAR:-/usr/share/jenkins/jenkins.war}

# Container defaults, only where nothing was set (env vars: the file stays below them).
node_name=${HOSTNAME:-$(hostname)}
given node.id || export JHA_NODE_ID=$node_name
given node.host || export JHA_NODE_HOST=$node_name
if ! given jenkins.command; then
  [[ -f $JENKINS_WAR ]] || die 2 "JENKINS_WAR $JENKINS_WAR does not exist (set JENKINS_WAR, or jenkins.command: JHA_JENKINS_COMMAND or the config file)"
  # Word-split JAVA_OPTS/JENKINS_OPTS at run time by /bin/sh -c, like the Jenkins image does.
  export JHA_JENKINS_COMMAND="exec java \${JAVA_OPTS:-} -jar '$JENKINS_WAR' \${JENKINS_OPTS:-} --httpPort=$JENKINS_HTTP_PORT"
fi
given jenkins.url || export JHA_JENKINS_URL=http://127.0.0.1:$JENKINS_HTTP_PORT

# 3. The whole configuration, as jenkins-ha will read it: exit 2 names the bad key.
if ! out=$(jenkins-ha config "$@" 2>&1 >/dev/null); then
  die 2 "${out#jenkins-ha: }"
fi

node_id=${JHA_NODE_ID:-$(unquote "${val[node.id]:-}")}
echo "jenkins-ha-entrypoint: node $node_id, ZooKeeper $zk_connect, JENKINS_HOME $home" >&2
exec jenkins-ha run "$@"
