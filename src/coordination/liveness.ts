/**
 * The coordinator's own liveness check (node-zookeeper-client has no read timeout, NOTES.md
 * pitfall 1): a probe every pingIntervalMs with requestTimeoutMs. Connected, the probe is a
 * check-only transaction on `/` (forwarded to the quorum's leader and committed like a write, so
 * its answer proves the session alive there; it changes nothing); a probe that times out forces
 * a reconnect. Not connected for longer than requestTimeoutMs (the library has no timeout on its
 * connect handshake either: a server that accepts TCP but never answers would hold it
 * "connecting" for ever) also forces a reconnect.
 */
import { ZkError } from '../errors';
import { monoNow } from '../util/clock';
import type { ConnState, MultiOp } from './types';

/** The liveness probe: a check-only transaction on the root (any version). */
export const LIVENESS_PROBE: MultiOp[] = [{ op: 'check', path: '/', version: -1 }];

export interface LivenessTarget {
  readonly state: ConnState;
  readonly generation: number;
  timings(): { pingIntervalMs: number; requestTimeoutMs: number };
  multi(ops: MultiOp[]): Promise<void>;
  forceReconnect(reason: string): void;
}

export class LivenessProbe {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;
  private stopped = true;
  /** Monotonic time we last entered a non-connected state or forced a reconnect. */
  private unconnectedSince = 0;

  constructor(private readonly target: LivenessTarget) {}

  /** Note that the connection left `connected` (or a reconnect was forced) now. */
  markUnconnected(): void {
    this.unconnectedSince = monoNow();
  }

  /** (Re)arm the probe: in `inMs`, default one ping interval. */
  schedule(inMs?: number): void {
    this.stopped = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.probe(), inMs ?? this.target.timings().pingIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async probe(): Promise<void> {
    this.timer = null;
    if (this.stopped) return;
    const t = this.target;
    if (t.state !== 'connected') {
      const { requestTimeoutMs } = t.timings();
      if (monoNow() - this.unconnectedSince > requestTimeoutMs) {
        this.unconnectedSince = monoNow();
        t.forceReconnect(`no session handshake within ${requestTimeoutMs} ms`);
      }
      this.reschedule();
      return;
    }
    if (this.inFlight) {
      this.reschedule();
      return;
    }
    this.inFlight = true;
    const gen = t.generation;
    try {
      await t.multi(LIVENESS_PROBE);
    } catch (err) {
      if (gen === t.generation && err instanceof ZkError && err.code === 'ZK_TIMEOUT') {
        t.forceReconnect(`liveness probe got no reply within ${t.timings().requestTimeoutMs} ms`);
      }
    } finally {
      this.inFlight = false;
      this.reschedule();
    }
  }

  private reschedule(): void {
    if (!this.stopped) this.schedule();
  }
}
