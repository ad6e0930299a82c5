#!/usr/bin/env bash
# Ensure Debian's chromium is installed at /usr/bin/chromium (used headless by the status page
# test through playwright-core; no browser download from the Playwright CDN). Idempotent: does
# nothing but print the version when chromium is already there.
#
#   bash scripts/dev/install-chromium.sh
#
# Root, or passwordless sudo, is needed only when chromium is missing. Runs apt-get update only
# when the package lists do not know chromium, or when an install from stale lists fails.
# Exit codes: 0 installed (version printed), 1 could not install.
set -euo pipefail

readonly CHROMIUM=/usr/bin/chromium

log() { printf 'install-chromium.sh: %s\n' "$*" >&2; }

print_version() {
  # The Debian wrapper prints e.g. "Chromium 131.0.6778.85 built on Debian 12.8".
  local v
  if ! v=$("$CHROMIUM" --version 2>/dev/null); then
    log "$CHROMIUM exists but '$CHROMIUM --version' failed"
    return 1
  fi
  echo "$v"
}

if [[ -x $CHROMIUM ]]; then
  print_version
  exit 0
fi

command -v apt-get >/dev/null || { log "$CHROMIUM is missing and there is no apt-get (not Debian/Ubuntu?)"; exit 1; }

# Wait for the dpkg lock rather than failing when another apt-get (e.g. zk.sh install) runs.
apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
if ((EUID != 0)); then
  command -v sudo >/dev/null || { log "$CHROMIUM is missing and this is not root (no sudo either)"; exit 1; }
  apt=(sudo -n "${apt[@]}")
fi

has_candidate() {
  local c
  c=$(apt-cache policy chromium 2>/dev/null | awk '/Candidate:/ { print $2 }')
  [[ -n $c && $c != "(none)" ]]
}

if ! has_candidate; then
  log "the package lists do not know chromium: running apt-get update"
  "${apt[@]}" update
fi

log "installing Debian's chromium package"
if ! "${apt[@]}" install -y --no-install-recommends chromium; then
  log "apt-get install failed; running apt-get update and retrying"
  "${apt[@]}" update
  "${apt[@]}" install -y --no-install-recommends chromium
fi

[[ -x $CHROMIUM ]] || { log "$CHROMIUM still missing after installing chromium"; exit 1; }
print_version
