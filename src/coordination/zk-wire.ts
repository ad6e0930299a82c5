/**
 * Translation between node-zookeeper-client's values and ours: error codes to typed ZkErrors,
 * ACLs, stats, create modes and watch events (the pieces the published types leave out are
 * declared here, NOTES.md pitfall 7). Pure functions, no connection.
 */
import * as zk from 'node-zookeeper-client';
import { ZkError, errorMessage } from '../errors';
import type { AclEntry } from './acl';
import type { CreateMode, NodeStat, WatchEvent } from './types';

/** Pieces of the library the published types do not describe (see NOTES.md, pitfall 7). */
export interface ZkException {
  getCode(): number;
  getName(): string;
}
/** An ACL entry as the library returns it (`permission` at runtime, `perms` in the types). */
export interface RuntimeAcl {
  permission?: number;
  perms?: number;
  id: { scheme: string; id: string };
}
export type ZkErr = Error | zk.Exception | null;
export type Callback<T> = (error: ZkErr, result: T) => void;

/** The `quorum` argument of the coordinator's call(): the request is a write, answered by the quorum's leader. */
export const QUORUM = true;

export const CODES = {
  CONNECTION_LOSS: -4,
  OPERATION_TIMEOUT: -7,
  NO_NODE: -101,
  NO_AUTH: -102,
  BAD_VERSION: -103,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
} as const;

export function toZkAcl(entries: readonly AclEntry[]): zk.ACL[] {
  return entries.map((e) => new zk.ACL(e.perms, new zk.Id(e.scheme, e.id)));
}

export function fromZkAcl(acls: readonly zk.ACL[]): AclEntry[] {
  return (acls as unknown as RuntimeAcl[]).map((a) => ({ perms: a.permission ?? a.perms ?? 0, scheme: a.id.scheme, id: a.id.id }));
}

export function isZkException(err: unknown): err is ZkException {
  return typeof err === 'object' && err !== null && typeof (err as ZkException).getCode === 'function';
}

/** Errors that prove the server answered (as opposed to a local connection failure). */
export function isServerAnswer(err: unknown): boolean {
  if (!isZkException(err)) return false;
  const c = err.getCode();
  return c !== CODES.CONNECTION_LOSS && c !== CODES.SESSION_EXPIRED && c !== CODES.OPERATION_TIMEOUT && c > -100;
}

export function mapZkError(err: unknown, op: string, path: string): ZkError {
  if (err instanceof ZkError) return err;
  const where = `${op} ${path}`;
  if (!isZkException(err)) return new ZkError('ZK_ERROR', `${where}: ${errorMessage(err)}`, op, path, { cause: err });
  const c = err.getCode();
  const name = err.getName();
  const code =
    c === CODES.CONNECTION_LOSS
      ? 'ZK_CONNECTION_LOSS'
      : c === CODES.SESSION_EXPIRED
        ? 'ZK_SESSION_EXPIRED'
        : c === CODES.NO_NODE
          ? 'ZK_NO_NODE'
          : c === CODES.NODE_EXISTS
            ? 'ZK_NODE_EXISTS'
            : c === CODES.BAD_VERSION
              ? 'ZK_BAD_VERSION'
              : c === CODES.NOT_EMPTY
                ? 'ZK_NOT_EMPTY'
                : c === CODES.NO_AUTH
                  ? 'ZK_NO_AUTH'
                  : 'ZK_ERROR';
  if (code === 'ZK_NO_AUTH') {
    return new ZkError(
      code,
      `${where}: not allowed by the znode's ACL (${name} ${c}); every node and tool of a cluster must use the same zk.auth credentials (with TLS client certificates and no zk.auth: a certificate subject of zk.tls.aclIdentities)`,
      op,
      path,
      { cause: err },
    );
  }
  return new ZkError(code, `${where}: ${name} (${c})`, op, path, { cause: err });
}

export function toStat(s: zk.Stat): NodeStat {
  return {
    version: s.version,
    ephemeralOwner: s.ephemeralOwner.toString('hex'),
    numChildren: s.numChildren,
    dataLength: s.dataLength,
  };
}

export function toMode(mode: CreateMode): number {
  switch (mode) {
    case 'persistent':
      return zk.CreateMode.PERSISTENT;
    case 'persistent_sequential':
      return zk.CreateMode.PERSISTENT_SEQUENTIAL;
    case 'ephemeral':
      return zk.CreateMode.EPHEMERAL;
    case 'ephemeral_sequential':
      return zk.CreateMode.EPHEMERAL_SEQUENTIAL;
  }
}

export function toEvent(e: zk.Event): WatchEvent {
  const t = e.getType();
  const type: WatchEvent['type'] =
    t === zk.Event.NODE_CREATED
      ? 'created'
      : t === zk.Event.NODE_DELETED
        ? 'deleted'
        : t === zk.Event.NODE_DATA_CHANGED
          ? 'dataChanged'
          : 'childrenChanged';
  return { type, path: e.getPath() };
}
