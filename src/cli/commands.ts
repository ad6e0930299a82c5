/**
 * `switchover`, `pause`, `resume` (through a controller's API, with the bearer token) and
 * `history` (read from ZooKeeper directly, so it answers even when no controller does).
 *
 * Which API: this node's (`http://<api.host>:<api.port>` from the config) first; when that one
 * cannot be reached or answers 503 (not connected to ZooKeeper), each member API found in
 * ZooKeeper in election order.
 */
import type { Config } from '../config/load';
import type { HistoryEntry, SwitchoverIntent } from '../controller/status';
import { errorMessage } from '../errors';
import type { HistoryOptions, PauseOptions, SwitchoverOptions } from './args';
import { parseAtFlag } from './at';
import { formatDuration } from './duration';
import { CliError } from './errors';
import { ApiError, UnreachableError, fetchStatus, requestJson } from './http';
import { readToken } from './status';
import { renderTable } from './table';
import { ClusterReader } from './zk';

export type Print = (text: string) => void;

/** The local node's API base URL from the config (a wildcard listen address means loopback). */
export function localApiUrl(cfg: Config): string {
  const h = cfg.api.host;
  const host = h === '0.0.0.0' || h === '' ? '127.0.0.1' : h === '::' ? '::1' : h;
  const scheme = cfg.api.tls.cert !== '' && cfg.api.tls.key !== '' ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${cfg.api.port}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Sends one command to the first API that takes it. API errors other than 503 are final
 * (CliError with "409 CONFLICT: ..."); when no API answers, the error lists every attempt.
 */
export async function sendCommand(
  cfg: Config,
  method: 'POST' | 'DELETE',
  path: string,
  body: unknown,
): Promise<{ body: unknown; via: string }> {
  const tried: string[] = [];
  const attempt = async (base: string): Promise<{ body: unknown; via: string } | null> => {
    try {
      return { body: await requestJson(`${base}${path}`, { method, body, token: cfg.api.token }), via: base };
    } catch (err) {
      if (err instanceof UnreachableError) {
        tried.push(err.message);
        return null;
      }
      if (err instanceof ApiError) {
        if (err.status === 503) {
          tried.push(`${base}: ${err.message}`);
          return null;
        }
        throw new CliError(err.message);
      }
      throw err;
    }
  };
  const local = localApiUrl(cfg);
  const first = await attempt(local);
  if (first) return first;

  let urls: string[] = [];
  let zkProblem = '';
  try {
    const reader = await ClusterReader.open(cfg);
    try {
      urls = (await reader.readMembers()).map((m) => m.info?.apiUrl ?? '').filter((u) => u !== '' && u !== local);
    } finally {
      await reader.close();
    }
  } catch (err) {
    zkProblem = errorMessage(err);
  }
  for (const u of [...new Set(urls)]) {
    const r = await attempt(u.replace(/\/+$/, ''));
    if (r) return r;
  }
  const others = zkProblem !== '' ? `; no other member found: ${zkProblem}` : urls.length === 0 ? '; no other member API found in ZooKeeper' : '';
  throw new CliError(`no controller API took ${method} ${path}: ${tried.join('; ')}${others}`);
}

function intentOf(body: unknown): SwitchoverIntent {
  const v = isRecord(body) && isRecord(body.switchover) ? body.switchover : body;
  if (!isRecord(v) || typeof v.id !== 'string') throw new CliError(`unexpected answer to POST /switchover: ${JSON.stringify(body)}`);
  return {
    id: v.id,
    candidate: typeof v.candidate === 'string' ? v.candidate : null,
    from: typeof v.from === 'string' ? v.from : '',
    reason: typeof v.reason === 'string' ? v.reason : '',
    requestedAt: typeof v.requestedAt === 'string' ? v.requestedAt : '',
    state: v.state === 'running' ? 'running' : v.state === 'scheduled' ? 'scheduled' : 'pending',
    ...(typeof v.at === 'string' ? { at: v.at } : {}),
  };
}

export async function switchoverCommand(cfg: Config, opts: SwitchoverOptions, print: Print): Promise<void> {
  const t0 = Date.now();
  if (opts.cancel === true) {
    const { body, via } = await sendCommand(cfg, 'DELETE', '/switchover', {});
    const gone = intentOf(body);
    print(`switchover ${gone.id} cancelled${gone.state === 'scheduled' ? ` (it was scheduled for ${gone.at ?? '?'})` : ''} (via ${via})\n`);
    return;
  }
  const at = opts.at !== undefined ? parseAtFlag(opts.at, new Date(t0)) : undefined;
  const { body, via } = await sendCommand(cfg, 'POST', '/switchover', {
    ...(opts.candidate !== undefined ? { candidate: opts.candidate } : {}),
    ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    ...(at !== undefined ? { at } : {}),
  });
  const intent = intentOf(body);
  if (intent.state === 'scheduled') {
    const local = new Date(intent.at ?? at ?? '').toString();
    print(`switchover ${intent.id} scheduled for ${intent.at ?? at ?? '?'} (${local}): the leader then -> ${intent.candidate ?? 'next in line'} (via ${via}); cancel it with: jenkins-ha switchover --cancel\n`);
    return;
  }
  print(`switchover ${intent.id} requested: ${intent.from || '?'} -> ${intent.candidate ?? 'next in line'} (via ${via})\n`);
  if (!opts.wait) return;
  const done = await waitForSwitchover(cfg, intent, t0 + opts.timeoutMs, opts.timeoutMs);
  print(`switchover ${intent.id} done: ${done.id} leads with a ready Jenkins${done.epoch !== null ? ` (epoch ${done.epoch})` : ''} after ${formatDuration(Date.now() - t0)}\n`);
}

/**
 * Polls ZooKeeper (switchover record, members) and the members' /status until a node other than
 * the old leader leads with a ready Jenkins and the switchover record is gone. A switchover that
 * the controllers abandoned or that was cancelled fails at once; the deadline fails with what was
 * last seen.
 */
async function waitForSwitchover(
  cfg: Config,
  intent: SwitchoverIntent,
  deadline: number,
  timeoutMs: number,
): Promise<{ id: string; epoch: number | null }> {
  const reader = await ClusterReader.open(cfg);
  let seen = 'nothing read yet';
  try {
    for (;;) {
      const [record, members] = await Promise.all([reader.switchoverExists(), reader.readMembers()]);
      const statuses = await Promise.all(members.map(async (m) => ({ m, r: await fetchStatus(m.info?.apiUrl ?? '', readToken(cfg)) })));
      const leader = statuses.find((x) => x.r.ok && x.r.status.node.role === 'leader');
      const lead = leader && leader.r.ok ? leader.r.status : null;
      const recordGone = record === null || record.id !== intent.id;
      seen =
        `leader ${lead ? `${lead.node.id} (Jenkins ${lead.jenkins.state}${lead.jenkins.ready ? ', ready' : ''})` : 'none'}, ` +
        `switchover record ${recordGone ? 'gone' : record.state}`;
      if (lead && lead.jenkins.ready && lead.node.id !== intent.from && (intent.candidate === null || lead.node.id === intent.candidate) && recordGone) {
        return { id: lead.node.id, epoch: lead.epoch };
      }
      if (recordGone) {
        const ended = (await reader.history(50)).find(
          (e) => (e.event === 'switchover.abandoned' || e.event === 'switchover.cancelled') && e.reason.includes(intent.id),
        );
        if (ended) throw new CliError(`switchover ${intent.id} ${ended.event.slice('switchover.'.length)}: ${ended.reason}`);
      }
      if (Date.now() >= deadline) {
        throw new CliError(`timed out after ${formatDuration(timeoutMs)} waiting for switchover ${intent.id} to complete (last seen: ${seen})`);
      }
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
    }
  } finally {
    await reader.close();
  }
}

function pauseOf(body: unknown): { paused: boolean; until?: string | null; by?: string; reason?: string } {
  const v = isRecord(body) && isRecord(body.paused) ? body.paused : isRecord(body) && isRecord(body.pause) ? body.pause : body;
  if (!isRecord(v)) return { paused: false };
  return {
    paused: v.paused === true || (v.paused === undefined && typeof v.since === 'string'),
    ...(typeof v.until === 'string' || v.until === null ? { until: v.until } : {}),
    ...(typeof v.by === 'string' ? { by: v.by } : {}),
    ...(typeof v.reason === 'string' ? { reason: v.reason } : {}),
  };
}

/**
 * A scheduled switchover, read from ZooKeeper before a pause or a resume so that the command can
 * say what it means for it (at resume a due one starts at once, so reading afterwards would race
 * it). Best effort: the error is returned as text and the command goes on.
 */
async function scheduledSwitchover(cfg: Config): Promise<SwitchoverIntent | string | null> {
  try {
    const reader = await ClusterReader.open(cfg, 2000);
    try {
      const intent = await reader.switchoverExists();
      return intent?.state === 'scheduled' && intent.at !== undefined ? intent : null;
    } finally {
      await reader.close();
    }
  } catch (err) {
    return errorMessage(err);
  }
}

/**
 * What a pause or a resume means for a scheduled switchover: paused, a due one waits and runs at
 * the first cycle after resume (docs/api.md); after a drained pause that first starts Jenkins on
 * the leader, then hands it over. Pure.
 */
export function switchoverNote(found: SwitchoverIntent | string | null, after: 'pause' | 'drained pause' | 'resume', now: number): string {
  if (found === null) return '';
  if (typeof found === 'string') return `note: could not check ZooKeeper for a scheduled switchover (${found})\n`;
  const what = `switchover ${found.id} to ${found.candidate ?? 'the next in line'} is scheduled for ${String(found.at)}`;
  const cancel = ' (jenkins-ha switchover --cancel drops it)\n';
  if (after === 'resume') {
    const due = Date.parse(String(found.at)) <= now;
    return `note: ${what}: ${due ? 'it is due, so the leader hands over now' : 'it stays scheduled'}${cancel}`;
  }
  const drained = ': the leader then starts Jenkins and hands it over at once (cancel it and ask again after resume to start Jenkins once)';
  return `note: ${what}: while paused it waits, and if its time comes it runs at resume${after === 'drained pause' ? drained : ''}${cancel}`;
}

export async function pauseCommand(cfg: Config, opts: PauseOptions, print: Print): Promise<void> {
  const scheduled = await scheduledSwitchover(cfg);
  const { body, via } = await sendCommand(cfg, 'POST', '/pause', {
    ...(opts.ttlSeconds !== undefined ? { ttlSeconds: opts.ttlSeconds } : {}),
    ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    ...(opts.drain ? { drain: true } : {}),
  });
  const p = pauseOf(body);
  const until = p.until ?? (opts.ttlSeconds !== undefined ? new Date(Date.now() + opts.ttlSeconds * 1000).toISOString() : null);
  print(
    `cluster ${cfg.cluster.name} paused ${until ? `until ${until}` : 'until resumed'}` +
      `${p.by ? ` (by ${p.by})` : ''}: controllers neither start, stop nor fail over Jenkins` +
      `${opts.drain ? '; the leader drains Jenkins and stops it' : ''} (via ${via})\n`,
  );
  print(switchoverNote(scheduled, opts.drain ? 'drained pause' : 'pause', Date.now()));
}

export async function resumeCommand(cfg: Config, print: Print): Promise<void> {
  const scheduled = await scheduledSwitchover(cfg);
  const { body, via } = await sendCommand(cfg, 'POST', '/resume', {});
  const p = pauseOf(body);
  if (p.paused) throw new CliError(`the API answered but the cluster is still paused: ${JSON.stringify(body)}`);
  print(`cluster ${cfg.cluster.name} resumed (via ${via})\n`);
  print(switchoverNote(scheduled, 'resume', Date.now()));
}

/** The history table (time, node, event, epoch, reason). Pure. */
export function renderHistory(entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return 'no history yet\n';
  return renderTable(
    ['TIME', 'NODE', 'EVENT', 'EPOCH', 'REASON'],
    entries.map((e) => [
      e.at,
      e.node || '-',
      e.event,
      e.epoch === null ? '-' : String(e.epoch),
      `${e.reason}${e.durationMs !== undefined ? ` (${formatDuration(e.durationMs)})` : ''}`,
    ]),
  );
}

export async function historyCommand(cfg: Config, opts: HistoryOptions, print: Print): Promise<void> {
  const reader = await ClusterReader.open(cfg);
  let entries: HistoryEntry[];
  try {
    entries = await reader.history(opts.limit);
  } catch (err) {
    throw new CliError(`reading the history from ZooKeeper failed: ${errorMessage(err)}`);
  } finally {
    await reader.close();
  }
  if (opts.json) print(JSON.stringify({ cluster: cfg.cluster.name, entries }) + '\n');
  else print(renderHistory(entries));
}
