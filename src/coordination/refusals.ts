/**
 * A session no server takes back. ZooKeeper refuses a reconnect from a client that has seen a
 * later transaction (zxid) than the server has: an ensemble restarted on empty data, or restored
 * from an older snapshot, closes every such handshake at once, and node-zookeeper-client retries
 * with the same session and zxid for ever (it never learns the session is gone). So the coordinator
 * gives the session up and starts a fresh one (lastZxid 0) when servers keep accepting TCP but
 * closing the handshake, and the session has been without a connection for at least its timeout
 * T: by then it cannot be relied on (the controller fenced at its fence deadline, before T) and
 * nothing is lost by leaving it. A server that is down (no TCP connection) counts nothing: the
 * session may come back with the ensemble, as ZooKeeper restarts its session timers on load.
 */

/** Refused handshakes needed (with T passed) before the session is given up. */
export const MIN_REFUSALS = 2;

export interface RefusalState {
  /** Handshakes closed by a server since the session last had a connection. */
  refusals: number;
  /** Monotonic time the session lost its connection (null: it never had one). */
  unconnectedSince: number | null;
}

/** Whether to give the session up now (pure). */
export function shouldAbandon(s: RefusalState, now: number, sessionTimeoutMs: number): boolean {
  return s.unconnectedSince !== null && s.refusals >= MIN_REFUSALS && now - s.unconnectedSince >= sessionTimeoutMs;
}

export const ABANDON_MESSAGE =
  'no ZooKeeper server takes this session back (every handshake closed at once for longer than the session timeout): ' +
  'the ensemble may have lost its data (rebuilt, or restored from an older snapshot); starting a fresh session';

/** Counts refused handshakes of one session. */
export class RefusalTracker {
  private s: RefusalState = { refusals: 0, unconnectedSince: null };

  /** The session (re)connected: nothing refused. */
  connected(): void {
    this.s = { refusals: 0, unconnectedSince: null };
  }

  /** The session lost its connection at `now` (monotonic). */
  lost(now: number): void {
    if (this.s.unconnectedSince === null) this.s = { refusals: 0, unconnectedSince: now };
  }

  /** A server closed a handshake of this session; true when the session should be given up. */
  refused(now: number, sessionTimeoutMs: number): boolean {
    if (this.s.unconnectedSince === null) return false;
    this.s = { ...this.s, refusals: this.s.refusals + 1 };
    return shouldAbandon(this.s, now, sessionTimeoutMs);
  }

  /** Log fields: how many handshakes were refused over how long. */
  summary(now: number): { refusals: number; unconnectedMs: number } {
    return { refusals: this.s.refusals, unconnectedMs: now - (this.s.unconnectedSince ?? now) };
  }
}
