/**
 * Why a node is not doing what one would expect, in short sentences for people: a leader holding
 * Jenkins back (`launchBlocked`), a node that could not take over (`eligibility`), a drain in
 * progress, the switchover it is handing over in, a ZooKeeper connection in doubt, a node stopped
 * out of the election, the host watchdog, a hung JENKINS_HOME, a Jenkins service not proven stopped.
 * Empty for a healthy node (watchdog off).
 *
 * Worded from one status snapshot alone, durations included (against the snapshot's own clock:
 * `node.since` + `node.sinceMs`, so another host's clock skew does not matter). The controller
 * serves them as GET /status `notes` (the status page shows them) and `jenkins-ha status` words
 * each member's snapshot with this same function, so both say the same. Pure.
 */
import { formatDuration } from '../util/duration';
import { homeNote } from './home-policy';
import type { StatusSnapshot } from './status';

/** What the notes are worded from (members of older versions may lack the optional blocks). */
export type NotesInput = Pick<StatusSnapshot, 'node' | 'zookeeper' | 'switchover' | 'decision'> &
  Partial<Pick<StatusSnapshot, 'jenkins' | 'launchBlocked' | 'drain' | 'eligibility' | 'watchdog' | 'home' | 'members' | 'settings' | 'paused'>>;

/** The snapshot's own wall-clock time (ms), or null when it cannot be told. */
function snapshotNow(s: NotesInput): number | null {
  const since = Date.parse(s.node.since);
  return Number.isFinite(since) && typeof s.node.sinceMs === 'number' ? since + s.node.sinceMs : null;
}

/** How long since `iso` at `now`, e.g. `1m02s`; null when either is unknown. */
function age(iso: string, now: number | null): string | null {
  const t = Date.parse(iso);
  return now === null || !Number.isFinite(t) ? null : formatDuration(Math.max(0, now - t));
}

/** `(a, b)` of the parts that are known; '' when none is. */
function paren(...parts: (string | null)[]): string {
  const known = parts.filter((p): p is string => p !== null && p !== '');
  return known.length > 0 ? ` (${known.join(', ')})` : '';
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The core of a held-back decision sentence: without "leader with epoch N; ", "leader but
 * blocked: ", "not starting Jenkins: " (the note says it) and the "; retrying in N ms" countdown.
 */
export function heldReason(reason: string): string {
  return reason
    .replace(/^leader with epoch \S+; /, '')
    .replace(/^leader but blocked: /, '')
    .replace(/^not starting Jenkins: /, '')
    .replace(/; retrying in \d+ ms$/, '');
}

function drainNote(s: NotesInput, now: number | null): string | null {
  const d = s.drain;
  if (!d) return null;
  const so = s.switchover;
  const purpose = d.purpose === 'switchover' && so && so.from === s.node.id ? `switchover to ${so.candidate ?? 'the next in line'}` : d.purpose;
  const parts: string[] = [];
  if (d.running !== null) parts.push(`${plural(d.running, 'build')} running`);
  else parts.push(d.quietDown === null ? 'waiting for Jenkins to answer' : 'running builds not known yet');
  if (d.quietDown === false) parts.push('Jenkins did not accept the quiet-down');
  if (d.lastError) parts.push(`last error: ${d.lastError}`);
  return `draining${paren(purpose, age(d.since, now))}: ${parts.join('; ')}`;
}

/**
 * A switchover scheduled for later: every node says it, with the time left by its own clock. While
 * the cluster is paused it waits for resume (decide/scheduled.ts): say so, and how to drop it.
 */
function scheduledNote(s: NotesInput, now: number | null): string | null {
  const so = s.switchover;
  if (!so || so.state !== 'scheduled') return null;
  const at = Date.parse(so.at ?? '');
  const left = now === null || !Number.isFinite(at) ? null : at > now ? `in ${formatDuration(at - now)}` : 'due';
  const head = `switchover scheduled for ${so.at ?? '?'}${paren(left, so.by ? `by ${so.by}` : null)}`;
  const to = so.candidate ?? 'the next in line';
  if (s.paused?.paused !== true) return `${head}: the leader then hands over to ${to}`;
  const cancel = 'jenkins-ha switchover --cancel drops it';
  if (left === 'due') return `${head}: waits for the cluster to resume (paused); at resume the leader hands over to ${to} at once (${cancel})`;
  return `${head}: the leader then hands over to ${to}; the cluster is paused: if it still is then, the switchover waits for resume (${cancel})`;
}

/** The switchover this node is handing over in, when no drain says it already. */
function switchoverNote(s: NotesInput): string | null {
  const so = s.switchover;
  if (!so || so.state === 'scheduled' || so.from !== s.node.id || s.drain) return null;
  const to = so.candidate ?? 'the next in line';
  if (so.state === 'running') return `handing over to ${to} (switchover ${so.id})`;
  return `switchover to ${to} ${so.state}`;
}

function zookeeperNote(s: NotesInput): string | null {
  if (s.node.role !== 'neutral') return null;
  const z = s.zookeeper;
  const heard = z.msSinceHeard === null ? 'never answered' : `last answer ${formatDuration(z.msSinceHeard)} ago`;
  if (z.state !== 'connected' && z.tlsError) return `ZooKeeper ${z.state}: ${z.tlsError.message}`; // zk.tls (issue 14)
  if (z.state !== 'connected' && z.saslError) return `ZooKeeper ${z.state}: ${z.saslError.message}`; // zk.sasl (issue 14)
  if (z.state !== 'connected') return `ZooKeeper ${z.state} (${heard})`;
  return `ZooKeeper silent (${heard}; fences after ${formatDuration(z.fenceAfterMs)})`;
}

/** Service mode: the service is not proven stopped, so Jenkins stays "stopping" here (jenkins.service_unproven). */
function serviceNote(s: NotesInput): string | null {
  const why = s.jenkins?.serviceProof;
  if (typeof why !== 'string') return null;
  return (
    `Jenkins service not proven stopped (${why}): Jenkins stays "stopping" on this node and the check repeats; ` +
    `stop the service by hand (e.g. systemctl stop jenkins) and check that jenkins.servicePidCommand and jenkins.statusCommand work on this host`
  );
}

/** election.noFailover: this node never leads; say so, and when nobody else may lead either. */
function noFailoverNote(s: NotesInput): string | null {
  const members = s.members ?? [];
  const self = members.find((m) => m.id === s.node.id);
  if (!self || self.noFailover !== true) return null;
  const other = members.some((m) => m.id !== s.node.id && m.noFailover !== true);
  return other ? 'noFailover: this node stands by and never leads' : 'noFailover: this node never leads; no other member is eligible';
}

function watchdogNotes(s: NotesInput): string[] {
  const w = s.watchdog;
  if (!w || w.mode === 'off') return [];
  const notes: string[] = [];
  if (w.armed) notes.push(`watchdog armed${paren(w.device, w.timeoutMs === null ? null : formatDuration(w.timeoutMs))}`);
  // A required watchdog that cannot be armed already holds the launch back (gate watchdog).
  else if (w.lastError !== null && s.launchBlocked?.gate !== 'watchdog') notes.push(`watchdog not armed (${w.mode}): ${w.lastError}`);
  if (w.errors > 0) notes.push(`watchdog: ${plural(w.errors, 'failed write')} since start${w.armed && w.lastError !== null ? `, last: ${w.lastError}` : ''}`);
  return notes;
}

/** Safety settings: why this node refuses to lead (unless a held launch says it), and what differs from the other members. */
function settingsNotes(s: NotesInput): string[] {
  const st = s.settings;
  if (!st) return [];
  const notes: string[] = [];
  if (st.refusal.length > 0 && s.launchBlocked?.gate !== 'settings') notes.push(`refusing to lead: ${st.refusal.join('; ')}`);
  if (st.drift.length > 0) {
    notes.push(`safety settings differ between members: ${st.drift.map((d) => `${d.key} ${String(d.here)} here, ${String(d.there)} on ${d.node}`).join('; ')}`);
  }
  return notes;
}

/** The notes of one node's snapshot, most pressing first; [] when nothing needs explaining. */
export function statusNotes(s: NotesInput): string[] {
  const now = snapshotNow(s);
  const notes: string[] = [];
  const home = homeNote(s.home, s.node.role, s.home ? age(s.home.since, now) : null);
  if (home) notes.push(home);
  const service = serviceNote(s);
  if (service) notes.push(service);
  const lb = s.launchBlocked;
  // The home note already says why a stuck Jenkins holds the lead (gate home).
  if (lb && !(home && lb.gate === 'home')) notes.push(`held${paren(lb.gate, age(lb.since, now))}: ${heldReason(lb.reason)}`);
  const e = s.eligibility;
  // Checked only while Jenkins does not run here: a running Jenkins makes an old verdict moot.
  const ineligible = e !== undefined && !e.eligible && (s.jenkins === undefined || s.jenkins.state === 'stopped');
  if (e && ineligible) notes.push(`not eligible: ${e.reasons.length > 0 ? e.reasons.join('; ') : 'no reason given'}`);
  const drain = drainNote(s, now);
  if (drain) notes.push(drain);
  const so = switchoverNote(s) ?? scheduledNote(s, now);
  if (so) notes.push(so);
  const zk = zookeeperNote(s);
  if (zk) notes.push(zk);
  const nf = noFailoverNote(s);
  if (nf) notes.push(nf);
  if (s.node.role === 'stopped' && !ineligible && s.decision !== '') notes.push(`stopped: ${s.decision}`);
  notes.push(...settingsNotes(s));
  notes.push(...watchdogNotes(s));
  return notes;
}
