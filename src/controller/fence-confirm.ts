/**
 * Forced failover (issue 16 item 4, Hadoop's `haadmin -failover --forcefence`): when the fencing
 * methods cannot prove the previous active gone but a person can (its host is powered off), the
 * person confirms it, and the leader held at the fencing gate for exactly that previous active
 * passes it. Two znodes under the cluster's base path:
 *
 * - `fence-wait` (EPHEMERAL, owned by the waiting leader's session): who waits at the fencing gate
 *   and for which previous active (node id and the epoch of its term). It disappears with the
 *   waiter's session, so nobody can confirm against a wait that no longer exists.
 * - `fence-confirmed` (persistent): the person's confirmation, naming that node and epoch, who and
 *   why. The waiter consumes (deletes) it when it passes the gate; one that names another node or
 *   epoch never matches a later wait (each epoch is one term).
 *
 * This class is the ZooKeeper side only: the wait the fence gate publishes (serialized, latest
 * wins), the confirmation kept fresh by a watch (no round trip per loop cycle), and the reads and
 * writes of the command. The decision to pass the gate is decide/gates.ts'.
 */
import { errorCode, errorMessage } from '../errors';
import type { Coordinator } from '../coordination/types';
import type { Logger } from '../logging/logger';
import { parseRecord } from '../util/record-json';
import type { FenceConfirmation } from './status';

export type { FenceConfirmation } from './status';

/** The previous active a leader waits on at the fencing gate. */
export interface FenceWait {
  /** The waiting leader and the epoch of its term. */
  waiter: string;
  epoch: number;
  /** The previous active, as its breadcrumb named it. */
  node: string;
  host: string;
  pid: number;
  nodeEpoch: number;
  /** ISO time the wait began. */
  since: string;
}

function str(v: Record<string, unknown>, k: string): string | null {
  return typeof v[k] === 'string' ? (v[k] as string) : null;
}
function int(v: Record<string, unknown>, k: string): number | null {
  return typeof v[k] === 'number' && Number.isSafeInteger(v[k]) ? (v[k] as number) : null;
}

export function decodeFenceWait(data: Buffer): FenceWait | null {
  const v = parseRecord(data);
  if (!v) return null;
  const [waiter, node, host, since] = [str(v, 'waiter'), str(v, 'node'), str(v, 'host'), str(v, 'since')];
  const [epoch, pid, nodeEpoch] = [int(v, 'epoch'), int(v, 'pid'), int(v, 'nodeEpoch')];
  if (waiter === null || node === null || epoch === null || nodeEpoch === null) return null;
  return { waiter, epoch, node, host: host ?? '', pid: pid ?? 0, nodeEpoch, since: since ?? '' };
}

export function decodeFenceConfirmation(data: Buffer): FenceConfirmation | null {
  const v = parseRecord(data);
  if (!v) return null;
  const [node, waiter, by, reason, at] = [str(v, 'node'), str(v, 'waiter'), str(v, 'by'), str(v, 'reason'), str(v, 'at')];
  const nodeEpoch = int(v, 'nodeEpoch');
  if (node === null || nodeEpoch === null) return null;
  return { node, nodeEpoch, waiter: waiter ?? '', by: by ?? '', reason: reason ?? '', at: at ?? '' };
}

export interface FenceConfirmStoreOptions {
  coordinator: Coordinator;
  /** `<root>/<cluster>` */
  basePath: string;
  logger: Logger;
  /** The confirmation changed: wake the loop. */
  onChange: () => void;
}

export class FenceConfirmStore {
  readonly waitPath: string;
  readonly confirmPath: string;
  private confirmation: { record: FenceConfirmation; version: number } | null = null;
  /** Writes of the wait, in order (the gate's latest wish wins). */
  private chain: Promise<void> = Promise.resolve();
  private wanted: FenceWait | null = null;

  constructor(private readonly o: FenceConfirmStoreOptions) {
    this.waitPath = `${o.basePath}/fence-wait`;
    this.confirmPath = `${o.basePath}/fence-confirmed`;
    // Watches and ephemeral znodes of an old session are gone with it: read (and write) again.
    o.coordinator.on('state', (state) => {
      if (state !== 'connected') return;
      void this.refresh();
      // Also a withdrawal that could not be written while disconnected (the session lived on).
      this.publishWait(this.wanted);
    });
    // Built once the session is up (a node joins before its controller is built): read it now.
    if (o.coordinator.state === 'connected') void this.refresh();
  }

  /** The confirmation as the watch last saw it (null: none). */
  current(): FenceConfirmation | null {
    return this.confirmation?.record ?? null;
  }

  /** Publish (or with null, withdraw) this node's wait at the fencing gate. Never throws. */
  publishWait(w: FenceWait | null): void {
    this.wanted = w;
    this.chain = this.chain.then(() => this.writeWait(w)).catch((err: unknown) => {
      this.o.logger.warn(`could not ${w ? 'publish' : 'withdraw'} the fencing wait: ${errorMessage(err)}`, { event: 'fence.wait_publish_failed', code: errorCode(err) });
    });
  }

  /** Resolves when the wait writes asked for so far are done (tests, shutdown). */
  settled(): Promise<void> {
    return this.chain;
  }

  /** The wait at the fencing gate, read from ZooKeeper now (the command's check). */
  async readWait(): Promise<FenceWait | null> {
    try {
      return decodeFenceWait((await this.o.coordinator.getData(this.waitPath)).data);
    } catch (err) {
      if (errorCode(err) === 'ZK_NO_NODE') return null;
      throw err;
    }
  }

  /** Record a person's confirmation (the latest one replaces an earlier one). */
  async confirm(c: FenceConfirmation): Promise<void> {
    const data = Buffer.from(JSON.stringify(c));
    const coord = this.o.coordinator;
    await coord.mkdirp(this.o.basePath);
    try {
      await coord.create(this.confirmPath, data, 'persistent');
    } catch (err) {
      if (errorCode(err) !== 'ZK_NODE_EXISTS') throw err;
      await coord.setData(this.confirmPath, data, -1);
    }
    await this.refresh();
  }

  /** The waiter consumed the confirmation it saw (or refused it): delete exactly that version. */
  async consume(): Promise<void> {
    const seen = this.confirmation;
    if (!seen) return;
    try {
      await this.o.coordinator.remove(this.confirmPath, seen.version);
    } catch (err) {
      const c = errorCode(err);
      if (c !== 'ZK_NO_NODE' && c !== 'ZK_BAD_VERSION') throw err;
    }
    await this.refresh();
  }

  private async writeWait(w: FenceWait | null): Promise<void> {
    const coord = this.o.coordinator;
    if (coord.state !== 'connected') return; // written again on connect
    if (w === null) {
      // Only our own wait: another leader's belongs to its session.
      try {
        const { stat } = await coord.getData(this.waitPath);
        if (stat.ephemeralOwner === coord.session()?.sessionId) await coord.remove(this.waitPath, stat.version);
      } catch (err) {
        if (errorCode(err) !== 'ZK_NO_NODE' && errorCode(err) !== 'ZK_BAD_VERSION') throw err;
      }
      return;
    }
    const data = Buffer.from(JSON.stringify(w));
    try {
      await coord.create(this.waitPath, data, 'ephemeral');
    } catch (err) {
      if (errorCode(err) !== 'ZK_NODE_EXISTS') throw err;
      // Ours from an earlier term of this session, or a waiter of another session whose
      // session is ending: replace it only when it is ours (its owner is our session).
      const { stat } = await coord.getData(this.waitPath);
      if (stat.ephemeralOwner !== coord.session()?.sessionId) throw err;
      await coord.setData(this.waitPath, data, stat.version);
    }
  }

  private async refresh(): Promise<void> {
    const coord = this.o.coordinator;
    const again = (): void => void this.refresh();
    try {
      let next: { record: FenceConfirmation; version: number } | null = null;
      try {
        const { data, stat } = await coord.getData(this.confirmPath, again);
        const record = decodeFenceConfirmation(data);
        if (!record) this.o.logger.warn('ignoring a malformed fence confirmation', { event: 'fence.confirmation_malformed' });
        next = record ? { record, version: stat.version } : null;
      } catch (err) {
        if (errorCode(err) !== 'ZK_NO_NODE') throw err;
        if (await coord.exists(this.confirmPath, again)) setImmediate(again);
      }
      this.confirmation = next;
      this.o.onChange();
    } catch (err) {
      this.o.logger.debug(`reading the fence confirmation failed: ${errorMessage(err)}`, { event: 'cluster_view.read_failed', code: errorCode(err) });
      if (coord.state === 'connected') setTimeout(again, 200);
    }
  }
}

/** The store's part of the fence gate's port (FenceConfirmPort without isMember). */
export function bindStore(s: FenceConfirmStore): { publishWait: (w: FenceWait | null) => void; current: () => FenceConfirmation | null; consume: () => Promise<void> } {
  return { publishWait: (w) => s.publishWait(w), current: () => s.current(), consume: () => s.consume() };
}
