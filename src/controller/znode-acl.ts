/**
 * Znodes created before zk.auth was set carry the open ACL (anyone may change or delete them).
 * On every new session this walks the cluster's tree (every persistent znode under its base:
 * the layout's znodes, the git-mode sync record, history entries, anything added later) and gives
 * those it may administer the ACL new znodes get; it warns about those it may not (someone
 * else's ACL). Ephemeral znodes (election members) are not touched: they go with their
 * sessions, and members with zk.auth create theirs protected.
 */
import { errorCode, errorMessage } from '../errors';
import type { AclKeeper, Coordinator } from '../coordination/types';
import type { Logger } from '../logging/logger';

/** The persistent znodes of a cluster's layout under its base path (docs/architecture.md, "ZooKeeper layout"). */
export function clusterZnodes(base: string): string[] {
  return [base, ...['election', 'epoch', 'active', 'paused', 'switchover', 'history', 'sync'].map((n) => `${base}/${n}`)];
}

/** Owner of a persistent znode (NodeStat.ephemeralOwner). */
const NO_OWNER = /^0+$/;

/** A failed pass (a timeout on a busy server, say) is tried again this much later, same session. */
const RETRY_MS = 2000;

export class ZnodeAclGuard {
  private readonly warned = new Set<string>();
  private running = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly coord: Coordinator,
    private readonly keeper: AclKeeper,
    private readonly base: string,
    private readonly log: Logger,
  ) {}

  /** Check on every new session (the first one, and a fresh client after expiry). */
  start(): void {
    if (!this.keeper.authenticated) return;
    this.coord.on('session', () => void this.check());
  }

  /** One pass over the cluster's znodes; never throws (a failed pass is retried, see RETRY_MS). */
  async check(): Promise<void> {
    if (!this.keeper.authenticated || this.running) return;
    this.running = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const generation = this.coord.generation;
    try {
      for await (const path of this.persistentZnodes()) {
        const r = await this.keeper.secureAcl(path);
        if (r === 'secured') {
          this.log.warn('gave an unprotected znode the cluster ACL (zk.auth or zk.tls identities)', { event: 'zk.acl_secured', znode: path });
        } else if (r === 'foreign' && !this.warned.has(path)) {
          this.warned.add(path);
          this.log.warn('a znode carries an ACL of another identity that this node may not change; check zk.auth on every node', {
            event: 'zk.acl_foreign',
            znode: path,
          });
        }
      }
    } catch (err) {
      this.log.debug(`checking znode ACLs failed: ${errorMessage(err)}`, { event: 'zk.acl_check_failed', code: errorCode(err) });
      // Same session only: a new session starts its own pass.
      if (this.coord.generation === generation && this.coord.state === 'connected') {
        this.retry = setTimeout(() => {
          this.retry = null;
          if (this.coord.generation === generation) void this.check();
        }, RETRY_MS);
        this.retry.unref();
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * The layout's znodes first (so the important ones are secured early), then the rest of the
   * tree under the base, breadth first; each path once, ephemeral znodes and absent ones skipped.
   */
  private async *persistentZnodes(): AsyncGenerator<string> {
    const seen = new Set<string>();
    const queue = clusterZnodes(this.base);
    for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
      if (seen.has(path)) continue;
      seen.add(path);
      const stat = await this.coord.exists(path);
      if (stat === null || !NO_OWNER.test(stat.ephemeralOwner)) continue;
      yield path;
      const children = await this.coord.getChildren(path).catch((err: unknown) => {
        // Gone meanwhile, or a foreign znode we may not read (reported by the pass): no children to check.
        if (errorCode(err) === 'ZK_NO_NODE' || errorCode(err) === 'ZK_NO_AUTH') return [];
        throw err;
      });
      for (const child of children.sort()) queue.push(`${path}/${child}`);
    }
  }
}
