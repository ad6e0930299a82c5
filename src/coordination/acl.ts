/**
 * ZooKeeper ACLs as plain data (no client library here): the identity a `user:password` pair
 * authenticates as (digest), the SASL user (sasl) or the certificate subjects of the cluster (x509,
 * mutual TLS), and
 * the ACL every znode jenkins-ha creates carries. See docs/security.md.
 */
import { createHash } from 'node:crypto';

/** ZooKeeper permission bits. */
export const PERM = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

export interface AclEntry {
  perms: number;
  scheme: string;
  id: string;
}

/** How the coordinator authenticates and what the znodes it creates allow. */
export interface ZkAccess {
  /** Digest credentials `user:password`; empty = no authentication, znodes open to all. */
  auth: string;
  /** With `auth` (or `x509`): anyone may READ the znodes we create. */
  worldRead: boolean;
  /**
   * Without `auth`: the RFC 2253 certificate subjects of the cluster's nodes (mutual TLS, the
   * x509 auth provider). Znodes get ALL for each; empty = no certificate identity.
   */
  x509?: readonly string[];
  /**
   * Without `auth`: the SASL user (zk.sasl.user) of every node of the cluster. Znodes get ALL for
   * sasl:<user> (it wins over x509 when both are set); undefined/'' = none.
   */
  sasl?: string;
}

/** Our identities as ACL ids (digest wins over sasl, sasl over x509; none = open znodes). */
function ownIds(access: ZkAccess): AclEntry[] {
  if (access.auth !== '') return [{ perms: PERM.ALL, scheme: 'digest', id: digestId(access.auth) }];
  if (access.sasl !== undefined && access.sasl !== '') return [{ perms: PERM.ALL, scheme: 'sasl', id: access.sasl }];
  return (access.x509 ?? []).map((id) => ({ perms: PERM.ALL, scheme: 'x509', id }));
}

/** Whether znodes get an ACL of our own (digest credentials or certificate identities). */
export function hasIdentity(access: ZkAccess): boolean {
  return ownIds(access).length > 0;
}

/** The id ZooKeeper's digest provider gives `user:password`: `user:` + base64(sha1(user:password)). */
export function digestId(auth: string): string {
  const user = auth.slice(0, auth.indexOf(':'));
  return `${user}:${createHash('sha1').update(auth, 'utf8').digest('base64')}`;
}

export const OPEN_ACL: readonly AclEntry[] = [{ perms: PERM.ALL, scheme: 'world', id: 'anyone' }];

/** The ACL of every znode we create: ALL for our identities (+ world READ), or open without any. */
export function aclFor(access: ZkAccess): readonly AclEntry[] {
  const ours = ownIds(access);
  if (ours.length === 0) return OPEN_ACL;
  return access.worldRead ? [...ours, { perms: PERM.READ, scheme: 'world', id: 'anyone' }] : ours;
}

/**
 * The ACL of the znodes above a cluster's base (zk.root and its parents), which clusters with
 * other credentials may share: ALL for us, and for the world CREATE (so another cluster can add
 * its base) plus READ if worldRead. Nobody else may delete them or change their ACL.
 */
export function sharedAclFor(access: ZkAccess): readonly AclEntry[] {
  const ours = ownIds(access);
  if (ours.length === 0) return OPEN_ACL;
  const world = PERM.CREATE | (access.worldRead ? PERM.READ : 0);
  return [...ours, { perms: world, scheme: 'world', id: 'anyone' }];
}

/** Same entries, in any order. */
export function sameAcl(a: readonly AclEntry[], b: readonly AclEntry[]): boolean {
  const key = (e: AclEntry): string => `${e.scheme}\u0000${e.id}\u0000${e.perms}`;
  const sa = a.map(key).sort();
  const sb = b.map(key).sort();
  return sa.length === sb.length && sa.every((k, i) => k === sb[i]);
}

/** Whether an ACL lets the holder of `access` change the ACL itself (ADMIN for world or for us). */
export function mayAdminister(acl: readonly AclEntry[], access: ZkAccess): boolean {
  const me = ownIds(access);
  return acl.some(
    (e) => (e.perms & PERM.ADMIN) !== 0 && ((e.scheme === 'world' && e.id === 'anyone') || me.some((m) => m.scheme === e.scheme && m.id === e.id)),
  );
}
