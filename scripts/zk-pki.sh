#!/usr/bin/env bash
# A throwaway PKI for ZooKeeper over TLS (tests, the demo, trying it out): EC P-256 keys made with
# openssl, Java keystores with keytool. Not for production (no passphrases on the PEM keys).
#
#   zk-pki.sh ca     DIR NAME [SUBJECT]              DIR/NAME.pem + DIR/NAME-key.pem, a self-signed CA
#   zk-pki.sh cert   DIR CA NAME SUBJECT [--expired] [--san SAN]
#                                                    DIR/NAME.pem + DIR/NAME-key.pem signed by DIR/CA;
#                                                    --expired: valid two days ago for one day;
#                                                    SAN e.g. IP:127.0.0.1,DNS:localhost (clientAuth
#                                                    and serverAuth usages either way)
#   zk-pki.sh stores DIR CA NAME PASSWORD            DIR/NAME-keystore.p12 (NAME's cert and key) and
#                                                    DIR/NAME-truststore.p12 (DIR/CA.pem, by keytool)
#   zk-pki.sh default DIR PASSWORD                   the set scripts/zk.sh --tls uses: CA "ca",
#                                                    server "server" (IP:127.0.0.1, DNS:localhost),
#                                                    client "client" (CN=jenkins-ha,O=jenkins-ha test)
#                                                    and the server's stores; kept if DIR/ca.pem exists
#
# SUBJECT in openssl's form, e.g. /O=jenkins-ha test/CN=node-a (ZooKeeper's x509 identity of it is
# the RFC 2253 form, reversed: CN=node-a,O=jenkins-ha test).
set -euo pipefail

log() { printf 'zk-pki.sh: %s\n' "$*" >&2; }
fail() { log "error: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2; exit 2; }

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

cmd_ca() {
  local dir=$1 name=$2 subject=${3:-/O=jenkins-ha test/CN=$2}
  mkdir -p "$dir"
  newkey "$dir/$name-key.pem"
  openssl req -x509 -new -key "$dir/$name-key.pem" -subj "$subject" -days 30 -sha256 \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$dir/$name.pem" 2>/dev/null
}

cmd_cert() {
  local dir=$1 ca=$2 name=$3 subject=$4
  shift 4
  local expired=no san=""
  while (($#)); do
    case $1 in
      --expired) expired=yes; shift ;;
      --san) san=${2:?--san needs a value}; shift 2 ;;
      *) fail "unknown argument: $1" ;;
    esac
  done
  [[ -r $dir/$ca.pem && -r $dir/$ca-key.pem ]] || fail "no CA $dir/$ca.pem"
  newkey "$dir/$name-key.pem"
  local ext
  ext=$(mktemp)
  {
    echo "basicConstraints=CA:false"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    [[ -z $san ]] || echo "subjectAltName=$san"
  } >"$ext"
  openssl req -new -key "$dir/$name-key.pem" -subj "$subject" -out "$dir/$name.csr" 2>/dev/null
  local -a sign=(openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.pem" -CAkey "$dir/$ca-key.pem"
    -CAcreateserial -sha256 -extfile "$ext" -out "$dir/$name.pem")
  if [[ $expired == yes ]]; then
    # libfaketime preloaded, not the faketime(1) wrapper: the wrapper failed once in a fresh-clone
    # CI run (its error was discarded). Likely cause: it creates a /dev/shm segment named by its
    # pid, and this machine held 300+ left over, which a wrapper with a reused pid cannot create.
    # The preloaded library needs no segment. The output is kept for the error message now.
    local lib out
    lib=$(compgen -G '/usr/lib/*/faketime/libfaketime.so.1' | head -n 1) || fail "--expired needs libfaketime (apt-get install faketime)"
    out=$(FAKETIME='-2d' LD_PRELOAD=$lib "${sign[@]}" -days 1 2>&1) || fail "signing the expired certificate $dir/$name.pem failed: $out"
  else
    "${sign[@]}" -days 30 2>/dev/null
  fi
  rm -f -- "$ext" "$dir/$name.csr"
}

cmd_stores() {
  local dir=$1 ca=$2 name=$3 pass=$4
  ((${#pass} >= 6)) || fail "the keystore password must have at least 6 characters (keytool)"
  rm -f -- "$dir/$name-keystore.p12" "$dir/$name-truststore.p12"
  openssl pkcs12 -export -in "$dir/$name.pem" -inkey "$dir/$name-key.pem" -certfile "$dir/$ca.pem" \
    -name "$name" -passout "pass:$pass" -out "$dir/$name-keystore.p12"
  keytool -importcert -noprompt -alias "$ca" -file "$dir/$ca.pem" -storetype PKCS12 \
    -keystore "$dir/$name-truststore.p12" -storepass "$pass" >/dev/null 2>&1
}

cmd_default() {
  local dir=$1 pass=$2
  if [[ -r $dir/ca.pem && -r $dir/server-keystore.p12 && -r $dir/client.pem ]]; then return 0; fi
  cmd_ca "$dir" ca "/O=jenkins-ha test/CN=jenkins-ha test CA"
  cmd_cert "$dir" ca server "/O=jenkins-ha test/CN=localhost" --san "IP:127.0.0.1,DNS:localhost"
  cmd_cert "$dir" ca client "/O=jenkins-ha test/CN=jenkins-ha"
  cmd_stores "$dir" ca server "$pass"
}

main() {
  (($#)) || usage
  local cmd=$1
  shift
  command -v openssl >/dev/null || fail "openssl is not installed"
  case $cmd in
    ca) (($# >= 2)) || usage; cmd_ca "$@" ;;
    cert) (($# >= 4)) || usage; cmd_cert "$@" ;;
    stores) (($# == 4)) || usage; cmd_stores "$@" ;;
    default) (($# == 2)) || usage; cmd_default "$@" ;;
    -h | --help | help) usage ;;
    *) log "unknown command: $cmd"; usage ;;
  esac
}

main "$@"
