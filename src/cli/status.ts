/**
 * `jenkins-ha status`: the cluster as ZooKeeper holds it (members, epoch, pause, switchover),
 * plus each member's own view from its GET /status (in parallel, 1 s timeout). A member whose API
 * does not answer shows as `unreachable`; ZooKeeper being unreachable is an error (exit 1).
 * Under the table, `notes:` says why a member is not doing what one would expect (held back, not
 * eligible, draining, ...: controller/notes.ts, the words of GET /status `notes`). This host's
 * controller is shown too when it is out of the election (not eligible, resigned), from its API.
 */
import { advertisedApiUrl, type Config } from '../config/load';
import { statusNotes } from '../controller/notes';
import type { DrainStatus, EligibilityStatus, LaunchGate, NodeRole, StatusSnapshot, SwitchoverIntent, WatchdogStatus } from '../controller/status';
import { errorMessage } from '../errors';
import type { JenkinsState } from '../jenkins/supervisor';
import { clusterDrift } from '../util/safety-settings';
import { formatDuration } from './duration';
import { fetchStatus } from './http';
import { syncSummary } from './sync';
import { renderTable } from './table';
import { ClusterReader, type ZkClusterState } from './zk';

export interface MemberRow {
  id: string;
  /** Null for this host's controller found out of the election (electionRole `out`). */
  znode: string | null;
  sequence: number | null;
  host: string;
  apiUrl: string;
  /** Position in the election (lowest sequence leads); `out`: this host's controller, not in it. */
  electionRole: 'leader' | 'standby' | 'out';
  /** election.priority / election.noFailover from the member's election znode; null when not in it. */
  priority?: number | null;
  noFailover?: boolean | null;
  reachable: boolean;
  /** The member's own role, or `unreachable`. */
  role: NodeRole | 'unreachable';
  jenkins: { state: JenkinsState; ready: boolean; pid: number | null } | null;
  /** ISO time the member's role began (its own status). */
  since: string | null;
  sinceMs: number | null;
  epoch: number | null;
  /** Why the member's API did not answer. */
  error: string | null;
  /** sync.mode git: the member's sync state in one cell (see cli/sync.ts). */
  sync?: string;
  /** Why the member is not doing what one would expect (controller/notes.ts); [] when nothing. */
  notes: string[];
  /** The member's own blocks the notes are worded from; null when unreachable or not reported. */
  launchBlocked: { gate: LaunchGate; reason: string; since: string } | null;
  eligibility: EligibilityStatus | null;
  drain: DrainStatus | null;
  watchdog: WatchdogStatus | null;
}

export interface StatusReport {
  cluster: string;
  zookeeper: string;
  basePath: string;
  /** The member that says it leads; else the election's leader (lowest sequence); else null. */
  leader: { id: string; source: 'status' | 'election'; jenkinsReady: boolean | null } | null;
  epoch: number | null;
  paused: { paused: boolean; by?: string; reason?: string; since?: string; until?: string | null };
  switchover: SwitchoverIntent | null;
  members: MemberRow[];
  /** Safety settings that differ between the members (from their election znodes; issue 16 item 3); [] when they agree. */
  settingsDrift?: string[];
  at: string;
}

/** The token for GET /status: api.readToken, else api.token (the API accepts either on reads). */
export function readToken(cfg: Config): string {
  return cfg.api.readToken !== '' ? cfg.api.readToken : cfg.api.token;
}

type RowPlace = Pick<MemberRow, 'id' | 'znode' | 'sequence' | 'host' | 'apiUrl' | 'electionRole' | 'priority' | 'noFailover'>;

/** The notes of a member's snapshot; a snapshot too odd to word says so instead of failing status. */
function notesOf(s: StatusSnapshot): string[] {
  try {
    return statusNotes(s);
  } catch (err) {
    return [`its status could not be read for notes: ${errorMessage(err)}`];
  }
}

/** A member's row from its own GET /status. */
function reachableRow(place: RowPlace, s: StatusSnapshot): MemberRow {
  return {
    ...place,
    reachable: true,
    role: s.node.role,
    jenkins: { state: s.jenkins.state, ready: s.jenkins.ready, pid: s.jenkins.pid },
    since: s.node.since,
    sinceMs: typeof s.node.sinceMs === 'number' ? s.node.sinceMs : null,
    epoch: s.epoch,
    error: null,
    ...(s.sync ? { sync: syncSummary(s.sync, s.node.role, Date.now()) } : {}),
    notes: notesOf(s),
    launchBlocked: s.launchBlocked ?? null,
    eligibility: s.eligibility ?? null,
    drain: s.drain ?? null,
    watchdog: s.watchdog ?? null,
  };
}

/**
 * This host's controller when it is out of the election (not eligible, resigned, ...), so not in
 * ZooKeeper: its API (api.host/api.port of this config) is asked too, unless a member already has
 * that URL. Shown only when it answers for this cluster with an id no member has; else null.
 */
async function localOutRow(cfg: Config, rows: readonly MemberRow[]): Promise<MemberRow | null> {
  const apiUrl = advertisedApiUrl(cfg);
  if (rows.some((r) => r.apiUrl === apiUrl)) return null;
  const r = await fetchStatus(apiUrl, readToken(cfg));
  if (!r.ok || r.status.cluster !== cfg.cluster.name || rows.some((m) => m.id === r.status.node.id)) return null;
  const s = r.status;
  const row = reachableRow({ id: s.node.id, znode: null, sequence: null, host: s.node.host, apiUrl, electionRole: 'out', priority: null, noFailover: null }, s);
  return { ...row, notes: ["not in the election (this host's controller)", ...row.notes] };
}

export async function buildStatusReport(cfg: Config, state: ZkClusterState): Promise<StatusReport> {
  const members = await Promise.all(
    state.members.map(async (m): Promise<MemberRow> => {
      const apiUrl = m.info?.apiUrl ?? '';
      const r = await fetchStatus(apiUrl, readToken(cfg));
      const place: RowPlace = {
        id: m.id,
        znode: m.znode,
        sequence: m.sequence,
        host: m.info?.host ?? '',
        apiUrl,
        electionRole: m.electionRole,
        priority: m.info?.priority ?? 0,
        noFailover: m.info?.noFailover ?? false,
      };
      if (r.ok) return reachableRow(place, r.status);
      return {
        ...place,
        reachable: false,
        role: 'unreachable',
        jenkins: null,
        since: null,
        sinceMs: null,
        epoch: null,
        error: r.error,
        // Its API did not answer: the notes it last published in its election znode.
        notes: (m.info?.notes ?? []).map((n) => `${n} (as last published)`),
        launchBlocked: null,
        eligibility: null,
        drain: null,
        watchdog: null,
      };
    }),
  );
  const out = await localOutRow(cfg, members);
  const rows = out ? [...members, out] : members;
  const claimed = rows.find((r) => r.role === 'leader');
  const first = rows.find((r) => r.electionRole === 'leader');
  const leader = claimed
    ? { id: claimed.id, source: 'status' as const, jenkinsReady: claimed.jenkins?.ready ?? null }
    : first
      ? { id: first.id, source: 'election' as const, jenkinsReady: first.jenkins?.ready ?? null }
      : null;
  const p = state.pause;
  const paused =
    p && p.inForce ? { paused: true, by: p.by, reason: p.reason, since: p.since, until: p.until } : { paused: false };
  return {
    cluster: state.cluster,
    zookeeper: cfg.zk.connect,
    basePath: state.basePath,
    leader,
    epoch: state.epoch,
    paused,
    switchover: state.switchover,
    members: rows,
    settingsDrift: clusterDrift(state.members.map((m) => ({ id: m.id, settings: m.info?.settings ?? null }))),
    at: new Date().toISOString(),
  };
}

/** Reads ZooKeeper and the members' APIs. Throws CliError when ZooKeeper is unreachable. */
export async function collectStatus(cfg: Config): Promise<StatusReport> {
  const reader = await ClusterReader.open(cfg);
  try {
    const state = await reader.read();
    return await buildStatusReport(cfg, state);
  } finally {
    await reader.close();
  }
}

function pausedText(r: StatusReport): string {
  const p = r.paused;
  if (!p.paused) return 'no';
  const until = p.until ? `until ${p.until}` : 'until resumed';
  return `yes, ${until}${p.by ? ` (by ${p.by}${p.reason ? `: ${p.reason}` : ''})` : ''}`;
}

function switchoverText(s: SwitchoverIntent | null, paused: boolean): string {
  if (!s) return 'none';
  if (s.state === 'scheduled') {
    // Paused: it never runs meanwhile (nor is it dropped); due, it runs at resume (decide/scheduled.ts).
    const due = Date.parse(s.at ?? '') <= Date.now();
    const waits = paused ? (due ? ' [due: waits for resume]' : ' [waits for resume if still paused then]') : '';
    return `${s.id} scheduled at ${s.at ?? '?'}: the leader then -> ${s.candidate ?? 'next in line'}${s.by ? ` (by ${s.by}${s.reason ? `: ${s.reason}` : ''})` : s.reason ? ` (${s.reason})` : ''}${waits}`;
  }
  return `${s.id} ${s.state}: ${s.from} -> ${s.candidate ?? 'next in line'}${s.reason ? ` (${s.reason})` : ''}, requested ${s.requestedAt}`;
}

function leaderText(r: StatusReport): string {
  if (!r.leader) return 'none';
  const l = r.leader;
  if (l.source === 'election') return `${l.id} (first in the election; its API did not say it leads)`;
  return `${l.id}${l.jenkinsReady === true ? '' : ' (Jenkins not ready)'}`;
}

function sinceText(m: MemberRow): string {
  if (m.since === null) return '-';
  const t = m.since.replace(/\.\d+Z$/, 'Z');
  return m.sinceMs !== null ? `${t} (${formatDuration(m.sinceMs)})` : t;
}

/** The human form: two header lines and a table of the members. Pure. */
export function renderStatus(r: StatusReport): string {
  const head =
    `cluster ${r.cluster}  zookeeper ${r.zookeeper}\n` +
    `leader: ${leaderText(r)}  epoch: ${r.epoch ?? '-'}  paused: ${pausedText(r)}  switchover: ${switchoverText(r.switchover, r.paused.paused)}\n`;
  const settings = (r.settingsDrift ?? []).length > 0 ? `settings drift: ${(r.settingsDrift ?? []).join('; ')}\n` : '';
  if (r.members.length === 0) return `${head}\nno members in ZooKeeper (no controller is running for cluster ${r.cluster})\n`;
  const rows = r.members.map((m) => [
    m.id,
    m.role,
    m.jenkins?.state ?? '-',
    m.jenkins ? (m.jenkins.ready ? 'yes' : 'no') : '-',
    m.apiUrl || '-',
    sinceText(m),
  ]);
  const unreachable = r.members.filter((m) => m.error !== null).map((m) => `  ${m.id}: ${m.error}\n`);
  // Under the table, not as a column: a note is a sentence and would stretch every row.
  const notes = r.members.flatMap((m) => m.notes.map((n) => `  ${m.id}: ${n}\n`));
  // git mode: one more column (absent in shared mode, so that output is unchanged).
  const withSync = r.members.some((m) => m.sync !== undefined);
  // election.priority / noFailover: one more column once any member sets them (else output is unchanged).
  const withPrio = r.members.some((m) => (m.priority ?? 0) !== 0 || m.noFailover === true);
  const headers = ['ID', 'ROLE', 'JENKINS', 'READY', 'API URL', 'SINCE', ...(withPrio ? ['PRIO'] : []), ...(withSync ? ['SYNC'] : [])];
  if (withPrio) r.members.forEach((m, i) => rows[i]?.push(m.priority === null || m.priority === undefined ? '-' : `${m.priority}${m.noFailover ? ' noFailover' : ''}`));
  if (withSync) r.members.forEach((m, i) => rows[i]?.push(m.sync ?? '-'));
  return `${head}${settings}\n${renderTable(headers, rows)}${
    notes.length > 0 ? `\nnotes:\n${notes.join('')}` : ''
  }${unreachable.length > 0 ? `\nunreachable:\n${unreachable.join('')}` : ''}`;
}
