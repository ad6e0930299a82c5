/**
 * One cell of `jenkins-ha status` for a member in sync.mode git: what it last pushed (leader) or
 * how far its JENKINS_HOME is behind the commit recorded in ZooKeeper (others). Pure.
 */
import type { SyncStatus } from '../controller/status';
import { formatDuration } from './duration';

const short = (sha: string): string => sha.slice(0, 8);

export function syncSummary(s: SyncStatus, role: string, nowMs: number): string {
  if (s.gate.state === 'superseded') return `superseded: ${s.gate.reason ?? 'the branch names a newer epoch'}`;
  if (s.gate.state === 'failed') return `blocked: ${s.gate.reason ?? 'cannot restore'}`;
  if (s.gate.state === 'running') return 'restoring';
  if (role === 'leader') {
    const stale = s.gate.stale ? ' (STALE start)' : '';
    if (!s.lastPush) return `not pushed yet${stale}`;
    return `pushed ${short(s.lastPush.commit)} ${formatDuration(Math.max(0, nowMs - Date.parse(s.lastPush.at)))} ago${stale}`;
  }
  if (!s.recorded) return 'no commit recorded';
  const l = s.local;
  if (!l.haveRecorded) return `recorded ${short(s.recorded.commit)} not fetched${s.lastError ? `: ${s.lastError}` : ''}`;
  if (l.commitsBehind === 0) return `up to date (${short(s.recorded.commit)})`;
  const behind = l.commitsBehind === null ? 'behind' : `${l.commitsBehind} commit${l.commitsBehind === 1 ? '' : 's'}`;
  const secs = l.secondsBehind === null ? '' : ` / ${formatDuration(l.secondsBehind * 1000)}`;
  return `home ${behind}${secs} behind ${short(s.recorded.commit)} (fetched)`;
}
