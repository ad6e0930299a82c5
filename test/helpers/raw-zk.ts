/**
 * A bare node-zookeeper-client session for tests that play a rogue member or an outside tool:
 * write anything anywhere, with or without (or with wrong) digest credentials, and see what
 * ZooKeeper answers. Every call resolves with the result or rejects with the library's error;
 * `outcome()` turns a call into 'OK' or the error's name ('NO_AUTH', 'NO_NODE', ...).
 */
import * as zk from 'node-zookeeper-client';
import { useTls } from '../../src/coordination/zk-socket';
import { useSasl } from '../../src/coordination/zk-sasl';
import { tlsOptions, type ZkTlsSettings } from '../../src/coordination/zk-tls';

export interface RawAcl {
  perms: number;
  scheme: string;
  id: string;
}

type Mode = 'persistent' | 'ephemeral' | 'persistent_sequential' | 'ephemeral_sequential';

const MODES: Record<Mode, number> = {
  persistent: zk.CreateMode.PERSISTENT,
  ephemeral: zk.CreateMode.EPHEMERAL,
  persistent_sequential: zk.CreateMode.PERSISTENT_SEQUENTIAL,
  ephemeral_sequential: zk.CreateMode.EPHEMERAL_SEQUENTIAL,
};

const CALL_TIMEOUT_MS = 10000;

export class RawZk {
  private constructor(private readonly client: zk.Client) {}

  /**
   * Connects (within 15 s) and, when given, sends `user:password` as digest credentials; with
   * `tls`, over TLS (jenkins-ha's own override, src/coordination/zk-socket.ts).
   */
  static async connect(connect: string, opts: { auth?: string; tls?: ZkTlsSettings; sasl?: { user: string; password: string } } = {}): Promise<RawZk> {
    const client = zk.createClient(connect, { sessionTimeout: 4000, spinDelay: 100, retries: 0 });
    const settings = opts.tls;
    if (settings) useTls(client, { options: (host) => tlsOptions(settings, host), onFailure: () => undefined, onSecure: () => undefined });
    const sasl = opts.sasl;
    if (sasl) useSasl(client, { credentials: () => sasl, onFailure: () => undefined, onSuccess: () => undefined });
    if (opts.auth !== undefined) client.addAuthInfo('digest', Buffer.from(opts.auth));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ZooKeeper session at ${connect} within 15 s`)), 15000);
      client.once('connected', () => {
        clearTimeout(t);
        resolve();
      });
      client.connect();
    });
    return new RawZk(client);
  }

  private call<T>(what: string, fn: (cb: (err: Error | zk.Exception | null, r: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${what}: no reply within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
      fn((err, r) => {
        clearTimeout(t);
        if (err) reject(err);
        else resolve(r);
      });
    });
  }

  getData(path: string): Promise<Buffer> {
    return this.call(`getData ${path}`, (cb) => this.client.getData(path, (e, d) => cb(e, d ?? Buffer.alloc(0))));
  }
  setData(path: string, data: Buffer | string): Promise<void> {
    return this.call(`setData ${path}`, (cb) => this.client.setData(path, Buffer.from(data), -1, (e) => cb(e, undefined)));
  }
  remove(path: string): Promise<void> {
    return this.call(`remove ${path}`, (cb) => this.client.remove(path, -1, (e) => cb(e, undefined)));
  }
  /** Creates with the open ACL unless `acl` is given. */
  create(path: string, data: Buffer | string, mode: Mode = 'persistent', acl?: RawAcl[]): Promise<string> {
    const acls = (acl ?? [{ perms: zk.Permission.ALL, scheme: 'world', id: 'anyone' }]).map((a) => new zk.ACL(a.perms, new zk.Id(a.scheme, a.id)));
    return this.call(`create ${path}`, (cb) => this.client.create(path, Buffer.from(data), acls, MODES[mode], cb));
  }
  /** Deletes every path in one transaction (all or none), in the order given (children first). */
  removeAll(paths: string[]): Promise<void> {
    const t = this.client.transaction();
    for (const p of paths) t.remove(p, -1);
    return this.call(`remove ${paths.length} znodes`, (cb) => t.commit((e) => cb(e, undefined)));
  }
  /** Creates the path and its missing parents with the open ACL. */
  mkdirp(path: string): Promise<void> {
    return this.call(`mkdirp ${path}`, (cb) => this.client.mkdirp(path, (e) => cb(e, undefined)));
  }
  async exists(path: string): Promise<boolean> {
    return (await this.call<zk.Stat | null>(`exists ${path}`, (cb) => this.client.exists(path, cb))) !== null;
  }
  getChildren(path: string): Promise<string[]> {
    return this.call(`getChildren ${path}`, (cb) => this.client.getChildren(path, cb));
  }
  async getACL(path: string): Promise<RawAcl[]> {
    const acls = await this.call<zk.ACL[]>(`getACL ${path}`, (cb) => this.client.getACL(path, (e, a) => cb(e, a)));
    // The published types say `perms`; the library sets `permission` (NOTES.md pitfall 7).
    return (acls as unknown as { permission: number; id: { scheme: string; id: string } }[]).map((a) => ({
      perms: a.permission,
      scheme: a.id.scheme,
      id: a.id.id,
    }));
  }
  setACL(path: string, acl: RawAcl[]): Promise<void> {
    const acls = acl.map((a) => new zk.ACL(a.perms, new zk.Id(a.scheme, a.id)));
    return this.call(`setACL ${path}`, (cb) => this.client.setACL(path, acls, -1, (e) => cb(e, undefined)));
  }
  close(): void {
    this.client.close();
  }
}

/** 'OK', or the name of the ZooKeeper error ('NO_AUTH', 'NO_NODE', 'NOT_EMPTY', ...). */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    if (err && typeof (err as zk.Exception).getName === 'function') return (err as zk.Exception).getName();
    throw err;
  }
}
