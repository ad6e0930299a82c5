/** Config keys of ZooKeeper: connect string, root, session and request timings, digest credentials, TLS, SASL. */
import type { Config } from '../types';
import { booleanFormat, intFormat, pathFormat, saslUserFormat, stringFormat, x509SubjectsFormat, zkAuthFormat, zkConnectFormat, zkRootFormat } from './formats';
import type { SpecTree } from './spec';

/** The `zk` section. */
export function zkKeys(): SpecTree<Config['zk']> {
  return {
    connect: {
      doc: 'ZooKeeper connect string: comma-separated host:port list with an optional /chroot suffix.',
      format: zkConnectFormat,
      default: '127.0.0.1:2181',
    },
    root: {
      doc: 'Root znode of all jenkins-ha data; starts with "/", no trailing "/".',
      format: zkRootFormat,
      default: '/jenkins-ha',
    },
    sessionTimeoutMs: {
      doc: 'Requested ZooKeeper session timeout in ms; integer 400..600000. The server may negotiate another value (within 2..20 x its tickTime); the derived timings follow the negotiated one.',
      format: intFormat(400, 600000),
      default: 10000,
    },
    spinDelayMs: {
      doc: 'Delay between ZooKeeper reconnect attempts in ms; integer 10..5000.',
      format: intFormat(10, 5000),
      default: 100,
    },
    pingIntervalMs: {
      doc: 'Interval of liveness requests to ZooKeeper in ms; 0 = session timeout / 6. Two must fit in the fencing deadline (session timeout * fencing.deadlineRatio).',
      format: intFormat(0, 600000),
      default: 0,
    },
    requestTimeoutMs: {
      doc: 'Timeout of every ZooKeeper call in ms; 0 = session timeout / 3. Must not exceed the fencing deadline (session timeout * fencing.deadlineRatio).',
      format: intFormat(0, 600000),
      default: 0,
    },
    tickTimeMs: {
      doc: 'The ZooKeeper servers\' tickTime (zoo.cfg) in ms; integer 1..600000. A follower passes our session\'s activity on to the ZooKeeper leader only with its next ping (every tickTime / 2), so the session can expire max(zk.pingIntervalMs, tickTimeMs / 2) before lastHeard + session timeout; the fencing rule keeps that much more room (see fencing.marginMs).',
      format: intFormat(1, 600000),
      default: 2000,
    },
    auth: {
      doc: 'ZooKeeper digest credentials user:password; empty = none. When set, every session authenticates with them and every znode jenkins-ha creates gets an ACL that lets only this identity change it (see docs/security.md). Sensitive: masked by redactedConfig and never echoed; prefer the env var to the config file or a flag.',
      format: zkAuthFormat,
      default: '',
      sensitive: true,
    },
    worldRead: {
      doc: 'With zk.auth set: whether anyone may read (not change) the znodes jenkins-ha creates, so that tools without the credentials can still watch the cluster. true|false.',
      format: booleanFormat(),
      default: true,
    },
    tls: {
      enabled: { doc: 'Connect to ZooKeeper over TLS (the servers\' secureClientPort; docs/security.md). true|false.', format: booleanFormat(), default: false },
      caFile: { doc: 'PEM bundle of the CAs that sign the ZooKeeper servers\' certificates; empty = Node\'s built-in CAs. Re-read on every connection.', format: pathFormat, default: '' },
      certFile: { doc: 'PEM client certificate for mutual TLS (ssl.clientAuth=need); set with zk.tls.keyFile; empty = none. Re-read on every connection, so a rotated certificate needs no restart.', format: pathFormat, default: '' },
      keyFile: { doc: 'PEM private key of zk.tls.certFile. Re-read on every connection.', format: pathFormat, default: '' },
      serverName: { doc: 'Name the servers\' certificates must carry (subjectAltName); empty = the host of each zk.connect entry (an IP address is checked as an IP SAN). Verification cannot be turned off.', format: stringFormat, default: '' },
      minVersion: { doc: 'Lowest TLS version offered. ZooKeeper 3.8 speaks TLSv1.2 unless its ssl.enabledProtocols says otherwise.', format: ['TLSv1.2', 'TLSv1.3'], default: 'TLSv1.2' },
      aclIdentities: {
        doc: 'With a client certificate and no zk.auth: the certificate subjects (RFC 2253, as ZooKeeper\'s x509 provider reports them, e.g. CN=jenkins-ha,O=Example) that get ALL on the cluster\'s znodes; empty = the subject of zk.tls.certFile (every node shares one certificate identity). List every node\'s subject when nodes have their own. JSON array from env/flags.',
        format: x509SubjectsFormat(),
        default: [],
      },
    },
    sasl: {
      user: {
        doc: 'SASL DIGEST-MD5 user of the ZooKeeper servers\' JAAS Server section (user_<name> of DigestLoginModule); set with zk.sasl.password; empty = no SASL. Needed where the servers require SASL (sessionRequireClientSASLAuth, enforce.auth.schemes=sasl). Without zk.auth the cluster\'s znodes get an ACL for sasl:<user> (see docs/security.md).',
        format: saslUserFormat,
        default: '',
      },
      password: {
        doc: 'Password of zk.sasl.user. Sensitive: masked by redactedConfig, never logged nor passed to a child process; prefer the env var to the config file or a flag.',
        format: stringFormat,
        default: '',
        sensitive: true,
      },
    },
  };
}
