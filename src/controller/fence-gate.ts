/**
 * Fencing layer 3 for one leadership term: before the first launch, fence the previous active
 * named by the breadcrumb when it did not exit cleanly (Hadoop's fenceOldActive). The gate owns
 * the state decide() sees (`needed` -> `running` -> `done` | `failed` -> retry with backoff) and
 * runs the methods off the control loop; a result that arrives after its term ended is dropped.
 *
 * Forced failover (./fence-confirm.ts): while it waits, the gate publishes who it waits on; a
 * person's confirmation that names exactly that previous active (node and epoch) shows in
 * observed() as `confirmed`, and decide() accepts it (accept()) or refuses it (refuse()).
 */
import type { Breadcrumb } from '../fencing/epoch';
import type { FenceRun, RunMethodsOptions } from '../fencing/methods';
import type { Logger } from '../logging/logger';
import type { FenceState, Observed } from './decide/types';
import type { FenceConfirmation, FenceWait } from './fence-confirm';

/** What the gate uses of the forced-failover store, and whether a node holds a live session. */
export interface FenceConfirmPort {
  publishWait(w: FenceWait | null): void;
  current(): FenceConfirmation | null;
  consume(): Promise<void>;
  /** The node has an election znode (a live ZooKeeper session): it is not gone. */
  isMember(nodeId: string): boolean;
}

export interface FenceGateOptions {
  methods: readonly string[];
  timeoutMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  nodeId: string;
  cluster: string;
  home: string;
  logger: Logger;
  now: () => number;
  /** Runs the methods (src/fencing/methods.ts in production). */
  run: (o: RunMethodsOptions) => Promise<FenceRun>;
  /** State changed: wake the loop. */
  onChange: () => void;
  /** A line for the node's history. */
  record: (event: string, reason: string) => void;
  /** Forced failover: absent = no confirmation can pass the gate. */
  confirmations?: FenceConfirmPort;
  /** Wall clock for the time of the published wait (default Date.now). */
  wallNow?: () => number;
}

interface GateState {
  epoch: number;
  state: FenceState;
  retryAt: number;
  /** Who is fenced: `node-b@host-b (epoch 4, pid 123)`. */
  who: string;
  /** Why the last round failed, per method. */
  failure: string | null;
  attempts: number;
  previous: Breadcrumb | null;
  abort: AbortController | null;
}

export class FenceGate {
  private st: GateState | null = null;
  /** This term's wait is published (fence-confirm.ts). */
  private published = false;
  /** The confirmation refused last (ignored while it is still there). */
  private refused: FenceConfirmation | null = null;

  constructor(private readonly o: FenceGateOptions) {}

  /** What decide() sees: null when this term has nothing to fence. */
  observed(): Observed['fence'] {
    const s = this.st;
    if (!s) return null;
    const reason = s.failure === null ? `previous active ${s.who} did not exit cleanly` : `previous active ${s.who}: ${s.failure}`;
    const c = this.matchingConfirmation(s);
    const confirmed = c ? { by: c.by, reason: c.reason, holderIsMember: this.o.confirmations?.isMember(c.node) ?? true } : null;
    return { state: s.state, retryAt: s.retryAt, reason, ...(confirmed ? { confirmed } : {}) };
  }

  /** The person's confirmation, when it names exactly the previous active this term waits on. */
  private matchingConfirmation(s: GateState): FenceConfirmation | null {
    const c = this.o.confirmations?.current() ?? null;
    const p = s.previous;
    if (!c || !p || s.state === 'done' || c.node !== p.nodeId || c.nodeEpoch !== p.epoch) return null;
    return c.at === this.refused?.at && c.by === this.refused.by ? null : c;
  }

  /** decide() accepted the confirmation: the previous active counts as fenced; consume it. False: none matched. */
  accept(): boolean {
    const s = this.st;
    const c = s ? this.matchingConfirmation(s) : null;
    if (!s || !c) return false;
    s.abort?.abort();
    s.abort = null;
    s.state = 'done';
    s.failure = null;
    const how = `confirmed fenced by ${c.by}${c.reason ? `: ${c.reason}` : ''} (forced failover; the fencing methods did not prove it)`;
    this.o.logger.warn(`passing the fencing gate: previous active ${s.who} ${how}`, { event: 'fence.confirmed', epoch: s.epoch, node: c.node, by: c.by, reason: c.reason });
    this.o.record('fence.confirmed', `previous active ${s.who} ${how}`);
    this.withdraw();
    void this.consume();
    this.o.onChange();
    return true;
  }

  /** decide() refused the confirmation (the node holds a live session): drop it, keep fencing. False: none matched. */
  refuse(): boolean {
    const s = this.st;
    const c = s ? this.matchingConfirmation(s) : null;
    if (!s || !c) return false;
    const why = `${c.node} holds a live ZooKeeper session (it has an election znode): it is not gone`;
    this.o.logger.error(`refusing the confirmation by ${c.by} that the previous active ${s.who} is fenced: ${why}`, { event: 'fence.confirmation_refused', epoch: s.epoch, node: c.node, by: c.by });
    this.o.record('fence.confirmation_refused', `by ${c.by} for ${s.who}: ${why}`);
    this.refused = c; // until it is gone: refused once, recorded once
    void this.consume();
    return true;
  }

  private async consume(): Promise<void> {
    await this.o.confirmations?.consume().catch((err: unknown) =>
      this.o.logger.warn(`could not remove the fence confirmation: ${err instanceof Error ? err.message : String(err)}`, { event: 'fence.confirmation_consume_failed' }),
    );
  }

  /** Our wait at the gate is over (or was never published). */
  private withdraw(): void {
    if (this.published) this.o.confirmations?.publishWait(null);
    this.published = false;
  }

  /** A new term took `epoch`; the breadcrumb found before ours says who was active. */
  beginTerm(epoch: number, previous: Breadcrumb | null, previousMalformed: boolean): void {
    this.endTerm();
    const log = this.o.logger;
    if (previous === null && !previousMalformed) {
      log.info('no fencing needed: the previous active exited cleanly (its breadcrumb was removed) or there was none', {
        event: 'fence.skipped',
        epoch,
        why: 'clean',
      });
      return;
    }
    const who = previous ? `${previous.nodeId}@${previous.host} (epoch ${previous.epoch}, pid ${previous.pid})` : 'unknown (unreadable breadcrumb)';
    if (previous && previous.nodeId === this.o.nodeId) {
      // Hadoop does the same: our own earlier term needs no fence (its Jenkins died with our shim).
      log.info(`no fencing needed: the previous active was this node (${who})`, { event: 'fence.skipped', epoch, why: 'self' });
      return;
    }
    if (this.o.methods.length === 0) {
      log.warn(`the previous active ${who} did not exit cleanly, but no fencing.methods are configured; relying on the other layers`, {
        event: 'fence.skipped',
        epoch,
        why: 'no-methods',
      });
      return;
    }
    this.st = { epoch, state: 'needed', retryAt: 0, who, failure: null, attempts: 0, previous, abort: null };
    if (previous && this.o.confirmations) {
      const since = new Date((this.o.wallNow ?? Date.now)()).toISOString();
      this.o.confirmations.publishWait({ waiter: this.o.nodeId, epoch, node: previous.nodeId, host: previous.host, pid: previous.pid, nodeEpoch: previous.epoch, since });
      this.published = true;
    }
    log.warn(`previous active ${who} did not exit cleanly: it must be fenced before Jenkins starts`, { event: 'fence.needed', epoch, previous: previous ?? null });
  }

  /** The term is over (or shutdown): stop a running method, forget the state. */
  endTerm(): void {
    this.st?.abort?.abort();
    this.st = null;
    this.withdraw();
  }

  /** Run the methods now (decide said fence-previous). Returns at once; the result wakes the loop. */
  start(): void {
    const s = this.st;
    if (!s || s.state === 'running' || s.state === 'done') return;
    s.state = 'running';
    s.attempts += 1;
    s.abort = new AbortController();
    const p = s.previous;
    const env: Record<string, string> = {
      JHA_PREV_NODE_ID: p?.nodeId ?? '',
      JHA_PREV_HOST: p?.host ?? '',
      JHA_PREV_PID: p ? String(p.pid) : '',
      JHA_PREV_EPOCH: p ? String(p.epoch) : '',
      JHA_EPOCH: String(s.epoch),
      JHA_NODE_ID: this.o.nodeId,
      JHA_CLUSTER: this.o.cluster,
      JENKINS_HOME: this.o.home,
    };
    const started = this.o.now();
    this.o.logger.info(`fencing the previous active ${s.who}: ${this.o.methods.length} method(s), attempt ${s.attempts}`, {
      event: 'fence.started',
      epoch: s.epoch,
      attempt: s.attempts,
      methods: this.o.methods.length,
    });
    void this.o
      .run({ methods: this.o.methods, env, timeoutMs: this.o.timeoutMs, logger: this.o.logger, signal: s.abort.signal })
      .then((run) => this.finish(s, run, started));
  }

  private finish(s: GateState, run: FenceRun, started: number): void {
    if (this.st !== s) return; // the term ended meanwhile
    s.abort = null;
    const ms = Math.round(this.o.now() - started);
    if (run.fencedBy) {
      s.state = 'done';
      const how = `fencing method ${run.fencedBy.index} succeeded after ${ms} ms`;
      s.failure = null;
      this.o.logger.info(`fenced the previous active ${s.who}: ${how}`, { event: 'fence.succeeded', epoch: s.epoch, method: run.fencedBy.index, durationMs: ms });
      this.o.record('fence.succeeded', `previous active ${s.who}: ${how}`);
      this.withdraw();
    } else {
      const delay = Math.min(this.o.retryBackoffMaxMs, this.o.retryBackoffMs * 2 ** Math.min(30, s.attempts - 1));
      s.state = 'failed';
      s.retryAt = this.o.now() + delay;
      const why = run.results.map((r) => `method ${r.index}: ${r.error ?? (r.timedOut ? 'timed out' : r.signal ? r.signal : `exit ${r.code}`)}`).join('; ');
      s.failure = `all ${run.results.length} fencing methods failed (${why})`;
      this.o.logger.error(`not starting Jenkins: could not fence the previous active ${s.who}: ${s.failure}; retrying in ${delay} ms`, {
        event: 'fence.failed',
        epoch: s.epoch,
        attempt: s.attempts,
        retryInMs: delay,
      });
      this.o.record('fence.failed', `previous active ${s.who}: ${s.failure}`);
    }
    this.o.onChange();
  }
}
