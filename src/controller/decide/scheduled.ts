/**
 * A scheduled switchover (issue 16 item 2) as the leader sees it: nothing until it is due on this
 * leader's own clock; then start it (the intent becomes an ordinary pending switchover from this
 * node) or, when it cannot run now, drop it and say why. Only a leader that can prove its
 * leadership calls this, so one node judges the time. Pure.
 *
 * While the cluster is paused (maintenance mode) a due switchover neither runs nor is dropped: it
 * stays scheduled, listed in /status with a note that it waits for resume (notes.ts), and the
 * paused leader's decision says so (`pausedWait`). The first cycle after resume runs it, late,
 * and says by how much. As Patroni, which does not execute a scheduled switchover in maintenance
 * mode; unlike Patroni, which then discards one found stale after resume, it still runs: an
 * operator who does not want that sees the note before resuming and cancels it (DELETE /switchover).
 */
import { formatDuration } from '../../util/duration';
import type { Decision, Observed } from './types';

/** Later than this past its time: the decision says how late (e.g. a pause held it). */
const LATE_MS = 5000;

export function scheduledSwitchoverCheck(o: Observed): Decision | null {
  const s = o.scheduledSwitchover;
  if (!s || s.dueInMs > 0) return null;
  // Maintenance mode: keep it scheduled (pausedWait words it), never drop it for the pause.
  if (o.paused) return null;
  const what = `scheduled switchover ${s.id} (at ${s.at}, by ${s.by || 'unknown'})`;
  const drop = (why: string): Decision => ({ action: { kind: 'scheduled-switchover', run: false }, reason: `${what} is due but ${why}; dropping it` });
  if (s.candidate === o.self) return drop(`its candidate ${s.candidate} already leads`);
  if (!s.candidateReady) return drop(s.candidate !== null ? `its candidate ${s.candidate} is not a standby now` : 'there is no standby to take over');
  const late = -s.dueInMs > LATE_MS ? ` (${formatDuration(-s.dueInMs)} late)` : '';
  return {
    action: { kind: 'scheduled-switchover', run: true },
    reason: `${what} is due${late}; starting it: ${o.self} -> ${s.candidate ?? 'the next in line'}`,
  };
}

/**
 * What a paused leader's decision adds about a due scheduled switchover ('' when none is due):
 * it waits for resume, so the log (decision changes) and /status `decision` say it.
 */
export function pausedWait(o: Observed): string {
  const s = o.scheduledSwitchover;
  if (!o.paused || !s || s.dueInMs > 0) return '';
  return `; scheduled switchover ${s.id} (at ${s.at}) is due and waits for resume`;
}
