/**
 * A scheduled switchover (issue 16 item 2) as the leader sees it: nothing until it is due on this
 * leader's own clock; then start it (the intent becomes an ordinary pending switchover from this
 * node) or, when it cannot run now, drop it and say why. Only a leader that can prove its
 * leadership calls this, so one node judges the time. Pure.
 */
import type { Decision, Observed } from './types';

export function scheduledSwitchoverCheck(o: Observed): Decision | null {
  const s = o.scheduledSwitchover;
  if (!s || s.dueInMs > 0) return null;
  const what = `scheduled switchover ${s.id} (at ${s.at}, by ${s.by || 'unknown'})`;
  const drop = (why: string): Decision => ({ action: { kind: 'scheduled-switchover', run: false }, reason: `${what} is due but ${why}; dropping it` });
  if (o.paused) return drop('the cluster is paused');
  if (s.candidate === o.self) return drop(`its candidate ${s.candidate} already leads`);
  if (!s.candidateReady) return drop(s.candidate !== null ? `its candidate ${s.candidate} is not a standby now` : 'there is no standby to take over');
  return {
    action: { kind: 'scheduled-switchover', run: true },
    reason: `${what} is due; starting it: ${o.self} -> ${s.candidate ?? 'the next in line'}`,
  };
}
