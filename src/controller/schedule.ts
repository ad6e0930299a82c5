/**
 * Scheduled switchovers (issue 16 item 2), the pure parts: checking the requested time, and when
 * it is due on a node's own clocks.
 *
 * Clock skew between nodes: the time is judged by one node only, the leader that performs it, on
 * its own clock. Each node converts the requested wall time into a deadline on its monotonic clock
 * the first time it sees the intent (`dueAtMono`), as expiry.ts does for the pause and the
 * switchover timeout; a wall-clock step afterwards moves nothing, and a standby whose clock runs
 * ahead never starts it (only the leader acts). The record keeps the absolute time requested and
 * who asked, so every node and person reads the same intent.
 */
import { CommandError } from '../errors';

/** The furthest ahead a switchover may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 7 * 24 * 3600 * 1000;

/** ISO 8601 date and time with seconds optional and a zone (Z or +hh:mm): no local-time ambiguity between hosts. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * The requested time as epoch ms, checked against this node's wall clock `nowMs`: unparseable, in
 * the past or more than 7 days ahead is a CommandError BAD_REQUEST (HTTP 400) naming the field.
 */
export function parseScheduleAt(at: string, nowMs: number): number {
  const ms = ISO_WITH_ZONE.test(at.trim()) ? Date.parse(at.trim()) : NaN;
  if (!Number.isFinite(ms)) {
    throw new CommandError(
      'BAD_REQUEST',
      `field "at": ${JSON.stringify(at.slice(0, 64))} is not an ISO 8601 time with a zone (e.g. 2026-12-07T02:00:00Z or 2026-12-07T03:00:00+01:00)`,
    );
  }
  if (ms <= nowMs) {
    throw new CommandError('BAD_REQUEST', `field "at": ${new Date(ms).toISOString()} is in the past (this node's clock says ${new Date(nowMs).toISOString()})`);
  }
  if (ms - nowMs > MAX_SCHEDULE_AHEAD_MS) {
    throw new CommandError(
      'BAD_REQUEST',
      `field "at": ${new Date(ms).toISOString()} is more than 7 days ahead (latest ${new Date(nowMs + MAX_SCHEDULE_AHEAD_MS).toISOString()} by this node's clock)`,
    );
  }
  return ms;
}

/**
 * The monotonic time at which `at` falls, as seen by a node whose wall clock says `wallNowMs`
 * while its monotonic clock says `monoNowMs` (taken once, at first sight). Unreadable: due now.
 */
export function dueAtMono(at: string, wallNowMs: number, monoNowMs: number): number {
  const ms = Date.parse(at);
  return Number.isFinite(ms) ? monoNowMs + (ms - wallNowMs) : monoNowMs;
}
