#!/usr/bin/env bash
# Ensure Debian's haproxy is installed at /usr/sbin/haproxy (used by test/integration/haproxy.test.ts
# and test/deploy/docker.test.ts to run and check HAProxy configs). Idempotent: does nothing
# but print the version when haproxy is already there. The package's service is not started
# (these machines run no systemd; the tests run haproxy themselves on loopback).
#
#   bash scripts/dev/install-haproxy.sh
#
# Root, or passwordless sudo, is needed only when haproxy is missing. Runs apt-get update only
# when the package lists do not know haproxy, or when an install from stale lists fails.
# Exit codes: 0 installed (version printed), 1 could not install.
set -euo pipefail

readonly HAPROXY=/usr/sbin/haproxy

log() { printf 'install-haproxy.sh: %s\n' "$*" >&2; }

if [[ -x $HAPROXY ]]; then
  "$HAPROXY" -v | sed -n 1p # sed reads it all: head would leave haproxy a SIGPIPE (exit 141 under pipefail)
  exit 0
fi

command -v apt-get >/dev/null || { log "$HAPROXY is missing and there is no apt-get (not Debian/Ubuntu?)"; exit 1; }

# Wait for the dpkg lock rather than failing when another apt-get (zk.sh, chromium) runs.
apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
if ((EUID != 0)); then
  command -v sudo >/dev/null || { log "$HAPROXY is missing and this is not root (no sudo either)"; exit 1; }
  apt=(sudo -n "${apt[@]}")
fi

has_candidate() {
  local c
  c=$(apt-cache policy haproxy 2>/dev/null | awk '/Candidate:/ { print $2 }')
  [[ -n $c && $c != "(none)" ]]
}

if ! has_candidate; then
  log "the package lists do not know haproxy: running apt-get update"
  "${apt[@]}" update
fi

log "installing Debian's haproxy package"
if ! "${apt[@]}" install -y --no-install-recommends haproxy; then
  log "apt-get install failed; running apt-get update and retrying"
  "${apt[@]}" update
  "${apt[@]}" install -y --no-install-recommends haproxy
fi

[[ -x $HAPROXY ]] || { log "$HAPROXY still missing after installing haproxy"; exit 1; }
"$HAPROXY" -v | sed -n 1p
