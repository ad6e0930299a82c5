/**
 * The ZkCoordinator's calls that choose or change a znode's ACL: `mkdirp` (ancestors at or above
 * zk.root get the shared ACL) and `secureAcl` (a znode created before zk.auth was configured gets
 * ours). Each request goes through the coordinator's bounded call (./zookeeper.ts `call<T>`).
 */
import * as zk from 'node-zookeeper-client';
import { ZkError } from '../errors';
import { aclFor, mayAdminister, sameAcl, type AclEntry, type ZkAccess } from './acl';
import { QUORUM, fromZkAcl, type Callback } from './zk-wire';
import type { AclCheck } from './types';

/** The coordinator's bounded call (./zookeeper.ts `call<T>`): a timeout, typed errors, generations. */
export type ZkCall = <T>(op: string, path: string, fn: (client: zk.Client, cb: Callback<T>) => void, quorum?: boolean) => Promise<T>;

/** Creates the missing znodes of `path` one by one (shared ancestors with the shared ACL). */
export async function mkdirpWith(call: ZkCall, path: string, shared: string, acl: zk.ACL[], sharedAcl: zk.ACL[]): Promise<void> {
  const parts = path.split('/').filter((p) => p !== '');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = `/${parts.slice(0, i).join('/')}`;
    const zacl = shared === prefix || shared.startsWith(`${prefix}/`) ? sharedAcl : acl;
    try {
      await call<string>('mkdirp', prefix, (c, cb) => c.create(prefix, Buffer.alloc(0), zacl, zk.CreateMode.PERSISTENT, cb), QUORUM);
    } catch (err) {
      if (!(err instanceof ZkError && err.code === 'ZK_NODE_EXISTS')) throw err;
    }
  }
}

/**
 * Compare a znode's ACL with the one we create znodes with (`acl`, from `access`); set ours when
 * the znode's ACL lets anyone (or us) administer it, e.g. a znode created before zk.auth was configured.
 */
export async function secureAclWith(call: ZkCall, path: string, access: ZkAccess, acl: zk.ACL[]): Promise<AclCheck> {
  const wanted = aclFor(access);
  let current: AclEntry[];
  try {
    current = fromZkAcl(await call<zk.ACL[]>('getACL', path, (c, cb) => c.getACL(path, (err, acls) => cb(err, acls))));
  } catch (err) {
    if (err instanceof ZkError && err.code === 'ZK_NO_NODE') return 'absent';
    throw err;
  }
  if (sameAcl(current, wanted)) return 'ours';
  if (!mayAdminister(current, access)) return 'foreign';
  try {
    await call<zk.Stat>('setACL', path, (c, cb) => c.setACL(path, acl, -1, cb), QUORUM);
  } catch (err) {
    if (err instanceof ZkError && err.code === 'ZK_NO_NODE') return 'absent';
    if (err instanceof ZkError && err.code === 'ZK_NO_AUTH') return 'foreign';
    throw err;
  }
  return 'secured';
}
