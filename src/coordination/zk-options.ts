/**
 * What a ZkCoordinator (./zookeeper.ts) is built with: the ensemble and session timeout, the
 * timings derived from the negotiated timeout, and the access it connects with (digest
 * credentials and world read, TLS, SASL). Plain types, no connection.
 */
import type { Logger } from '../logging/logger';
import type { ZkAccess } from './acl';
import type { ZkTlsSettings } from './zk-tls';
import type { ZkSaslSettings } from './zk-sasl-report';

export interface ZkOptions {
  connect: string;
  sessionTimeoutMs: number;
  spinDelayMs: number;
  /** Liveness interval and call timeout for a (negotiated) session timeout. */
  timings: (sessionTimeoutMs: number) => { pingIntervalMs: number; requestTimeoutMs: number };
  logger: Logger;
  /**
   * Digest credentials and world read (zk.auth, zk.worldRead). With credentials, every session
   * (also a fresh client after expiry) authenticates first, and every znode created carries
   * the ACL of `aclFor` (docs/security.md). Default: none, znodes open to all.
   */
  access?: ZkAccess;
  /**
   * Znodes at or above this path (zk.root) may be shared by clusters with other credentials:
   * `mkdirp` creates them with `sharedAclFor` (others may add children, not delete or re-ACL).
   */
  sharedPath?: string;
  /** zk.tls: connect over TLS (./zk-socket.ts), files re-read on every connection. Default: plain TCP. */
  tls?: ZkTlsSettings;
  /** zk.sasl: SASL DIGEST-MD5 on every connection (./zk-sasl.ts). Default: none. */
  sasl?: ZkSaslSettings;
}
