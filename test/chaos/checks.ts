/**
 * The chaos suite's verdicts, as pure functions of what the stand-in left in JENKINS_HOME:
 *
 * - overlaps: two Jenkins alive at once, from the journal (a presence-socket `overlap` line, or
 *   two lives whose [start, end] intervals touch);
 * - lost writes: the stand-in's numbered records (standin-writes.jsonl, STANDIN_WRITES_MS) must run
 *   1, 2, 3, ... without gap or duplicate, the records of one instance must be contiguous (never
 *   interleaved with another's), epochs never go back, and every record the journal acknowledged
 *   (`ack` {seq}, written after fsync) must be in the file, written by the same instance.
 *
 * - replication (sync.mode git, a home per node): see checkReplication.
 *
 * Each problem carries the mono time it belongs to, so the run can charge it to the fault window
 * it happened in.
 */
import type { JournalEntry } from '../helpers/journal';

// The overlap check is test/helpers/journal.ts's, shared with the integration tests and the benchmarks.
export { findOverlaps } from '../helpers/journal';

export const WRITES_FILE = 'standin-writes.jsonl';

export interface Incident {
  /** CLOCK_MONOTONIC ms the incident belongs to. */
  mono: number;
  detail: string;
}

export type WriteProblemKind = 'corrupt' | 'gap' | 'duplicate' | 'interleaved' | 'epoch-regressed' | 'lost' | 'not-restored';

export interface WriteProblem extends Incident {
  kind: WriteProblemKind;
}

export interface WritesReport {
  records: number;
  acked: number;
  lastSeq: number;
  problems: WriteProblem[];
}

interface WriteRecord {
  seq: number;
  pid: number;
  epoch: string | undefined;
  mono: number;
}

function parseRecord(line: string): WriteRecord | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  const r = v as Record<string, unknown>;
  if (typeof r.seq !== 'number' || !Number.isInteger(r.seq) || r.seq < 1) return 'seq is not a positive integer';
  if (typeof r.pid !== 'number' || !Number.isInteger(r.pid)) return 'pid is not an integer';
  if (typeof r.mono !== 'number' || !Number.isFinite(r.mono)) return 'mono is not a number';
  if (r.epoch !== undefined && typeof r.epoch !== 'string') return 'epoch is not a string';
  return { seq: r.seq, pid: r.pid, epoch: r.epoch, mono: r.mono };
}

/**
 * Check the writes file's text against the journal's `ack` lines. `lastMono` is used for problems
 * that have no time of their own (a corrupt line): they are charged to the end.
 */
export function checkWrites(text: string, journal: JournalEntry[], lastMono = Infinity): WritesReport {
  const problems: WriteProblem[] = [];
  const bySeq = new Map<number, number[]>(); // seq -> pids that wrote it
  // A writer is one life of a stand-in: its pid AND the journal's start line it wrote last before
  // the record (pids are reused: pid_max is 32768 here and a long run spawns thousands).
  const startsOf = new Map<number, number[]>();
  for (const e of journal) {
    if (e.ev !== 'start') continue;
    const list = startsOf.get(e.pid);
    if (list) list.push(e.mono);
    else startsOf.set(e.pid, [e.mono]);
  }
  const writerOf = (rec: WriteRecord): string => {
    const starts = startsOf.get(rec.pid) ?? [];
    let at = -Infinity;
    for (const m of starts) if (m <= rec.mono && m > at) at = m;
    return `${rec.pid}@${at}`;
  };
  const finished = new Set<string>(); // writers whose run of records has ended
  let prev: WriteRecord | null = null;
  let records = 0;
  const lines = text.split('\n');
  const torn = lines.pop() ?? ''; // after the last newline
  if (torn !== '') lines.push(torn);
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    const isTorn = i === lines.length - 1 && torn !== '';
    const r = parseRecord(line);
    if (typeof r === 'string' || isTorn) {
      const why = typeof r === 'string' ? r : 'no newline at the end of the file';
      problems.push({ kind: 'corrupt', mono: prev?.mono ?? lastMono, detail: `line ${lineNo}: ${why}: ${line.slice(0, 200)}` });
      if (typeof r === 'string') return;
    }
    records += 1;
    const expected = (prev?.seq ?? 0) + 1;
    if (r.seq < expected) {
      problems.push({ kind: 'duplicate', mono: r.mono, detail: `line ${lineNo}: seq ${r.seq} (pid ${r.pid}, epoch ${r.epoch ?? '-'}) after seq ${prev?.seq ?? 0}: written twice` });
    } else if (r.seq > expected) {
      problems.push({ kind: 'gap', mono: r.mono, detail: `line ${lineNo}: seq ${r.seq} (pid ${r.pid}) follows seq ${prev?.seq ?? 0}: ${r.seq - expected} record(s) missing` });
    }
    if (prev !== null && writerOf(prev) !== writerOf(r)) {
      finished.add(writerOf(prev));
      if (finished.has(writerOf(r))) {
        problems.push({ kind: 'interleaved', mono: r.mono, detail: `line ${lineNo}: pid ${r.pid} writes again (seq ${r.seq}) after pid ${prev.pid} wrote seq ${prev.seq}` });
      }
      const pe = Number(prev.epoch);
      const re = Number(r.epoch);
      if (prev.epoch !== undefined && r.epoch !== undefined && Number.isFinite(pe) && Number.isFinite(re) && re < pe) {
        problems.push({ kind: 'epoch-regressed', mono: r.mono, detail: `line ${lineNo}: epoch ${r.epoch} (pid ${r.pid}) after epoch ${prev.epoch} (pid ${prev.pid})` });
      }
    }
    const pids = bySeq.get(r.seq);
    if (pids) pids.push(r.pid);
    else bySeq.set(r.seq, [r.pid]);
    prev = r;
  });
  let acked = 0;
  for (const e of journal) {
    if (e.ev !== 'ack') continue;
    acked += 1;
    const seq = typeof e.seq === 'number' ? e.seq : NaN;
    const pids = bySeq.get(seq);
    if (!pids || !pids.includes(e.pid)) {
      const who = pids ? ` (the file has seq ${seq} from pid ${pids.join(', ')})` : '';
      problems.push({ kind: 'lost', mono: e.mono, detail: `acknowledged record seq ${String(e.seq)} of pid ${e.pid} is not in the file${who}` });
    }
  }
  const last = prev as WriteRecord | null;
  return { records, acked, lastSeq: last?.seq ?? 0, problems: problems.sort((a, b) => a.mono - b.mono) };
}

/** One commit of the sync branch's first-parent chain (oldest first), as the chaos run reads it. */
export interface PushedCommit {
  commit: string;
  /** The epoch its message names (null: none). */
  epoch: number | null;
  /** seq of the last record of the writes file in that commit (0: no file or empty). */
  lastSeq: number;
}

export interface ReplicationReport {
  /** Jenkins lives under a new epoch whose writes file was checked against the branch. */
  takeovers: number;
  /** Jenkins restarts in place (same epoch) whose writes file was checked against their predecessor's. */
  restarts: number;
  problems: WriteProblem[];
}

interface WriterLife {
  pid: number;
  start: number;
  epoch: string | undefined;
  opened?: { seq: number; mono: number };
  lastAck?: number;
}

/**
 * What a git-mode run knows of the sync branch beyond its first-parent chain at the moment of a
 * check (run.ts gathers it from the repository and the controllers' logs).
 */
export interface BranchHistory {
  /** Every commit ever read on the chain, also those a later leader replaced since. */
  pushed: readonly PushedCommit[];
  /**
   * Commits a controller logged as pushed AND recorded in ZooKeeper (`sync.pushed`, logged only
   * after the record's multi succeeded): the acknowledged ones. A record whose answer was lost (or
   * whose log line died with a SIGKILLed controller) is missing here, which only lowers the floor.
   */
  recorded: readonly PushedCommit[];
}

/**
 * sync.mode git: every node has its own JENKINS_HOME, the leader commits and pushes the writes
 * file (it is in sync.include) every sync interval and then records the commit in ZooKeeper, and
 * a new leader restores the commit recorded in ZooKeeper before its Jenkins starts (with no record,
 * after a loss of ZooKeeper state, the branch tip). "Acknowledged" means pushed AND recorded:
 * records written after the last recorded push of a leader that dies are lost by design, and so
 * is a commit pushed but never recorded (the record's write failed, e.g. the quorum went away
 * between the push and the record): the next leader restores the record, not the branch, and its
 * first push replaces the unrecorded commit (docs/sync.md, rules 3 and 4). So:
 *
 * - a takeover (the first Jenkins of a new epoch E) must open a writes file that ends
 *   - no earlier than the newest acknowledged commit of an older epoch (`history.recorded`); less
 *     is acknowledged configuration lost (`lost`);
 *   - exactly at the last record of some commit of an older epoch that was pushed (on the chain
 *     now, or read on it before a later leader replaced it), from that floor up: anything else
 *     means it started from state nobody pushed, such as this node's own unpushed leftovers from
 *     an earlier reign (`not-restored`);
 *   (Until 2026-12-07 the rule was "exactly the newest commit of an older epoch on the chain": an
 *   unrecorded tip that the successor had not replaced yet counted as acknowledged, and a check
 *   that ran before the successor's first push failed a takeover that did what docs/sync.md says:
 *   reliability.md, finding 8, fault 12);
 * - a restart in place (same epoch, same home) must open the file where its predecessor left it:
 *   at its last acknowledged record, or one after (killed between the fsync and the journal line);
 * - the branch tip's file must itself be a clean sequence (checkWrites without acks: no gap,
 *   duplicate, interleaving or epoch going back).
 *
 * Lives are taken from the journal in start order; a life that never opened the writes file
 * (killed before ready) is skipped.
 */
export function checkReplication(chain: PushedCommit[], tipText: string, journal: JournalEntry[], history: BranchHistory, lastMono = Infinity): ReplicationReport {
  const all: WriterLife[] = [];
  const current = new Map<number, WriterLife>();
  for (const e of journal) {
    if (e.ev === 'start') {
      const l: WriterLife = { pid: e.pid, start: e.mono, epoch: e.epoch };
      all.push(l);
      current.set(e.pid, l);
      continue;
    }
    const l = current.get(e.pid);
    if (!l) continue;
    if (e.ev === 'writes_open' && typeof e.seq === 'number') l.opened = { seq: e.seq, mono: e.mono };
    else if (e.ev === 'ack' && typeof e.seq === 'number') l.lastAck = e.seq;
  }
  const problems: WriteProblem[] = [];
  let takeovers = 0;
  let restarts = 0;
  let prev: WriterLife | null = null;
  for (const l of all.filter((x) => x.opened !== undefined).sort((a, b) => a.start - b.start)) {
    const opened = l.opened as { seq: number; mono: number };
    if (prev === null || prev.epoch !== l.epoch) {
      takeovers += 1;
      const problem = checkTakeover(l, opened, chain, history);
      if (problem) problems.push(problem);
    } else {
      restarts += 1;
      const had = prev.lastAck ?? prev.opened?.seq ?? 0;
      if (opened.seq !== had && opened.seq !== had + 1) {
        problems.push({
          kind: opened.seq < had ? 'lost' : 'gap',
          mono: opened.mono,
          detail: `pid ${l.pid} restarted in place (epoch ${l.epoch ?? '?'}) and opened the writes file at seq ${opened.seq}; its predecessor pid ${prev.pid} had acknowledged seq ${had}`,
        });
      }
    }
    prev = l;
  }
  const tip = checkWrites(tipText, journal.filter((e) => e.ev === 'start'), lastMono);
  problems.push(...tip.problems.map((p) => ({ ...p, detail: `branch tip: ${p.detail}` })));
  return { takeovers, restarts, problems: problems.sort((a, b) => a.mono - b.mono) };
}

const describeCommit = (c: PushedCommit | null): string => (c ? `commit ${c.commit.slice(0, 12)} of epoch ${String(c.epoch)}` : 'no commit of an older epoch');

/** A takeover judged against what was acknowledged (recorded) and what was pushed. */
function checkTakeover(l: WriterLife, opened: { seq: number; mono: number }, chain: readonly PushedCommit[], history: BranchHistory): WriteProblem | null {
  const e = Number(l.epoch);
  const older = (c: PushedCommit): boolean => c.epoch !== null && c.epoch < e;
  let floor: PushedCommit | null = null;
  for (const c of history.recorded) if (older(c) && (floor === null || c.lastSeq > floor.lastSeq)) floor = c;
  const floorSeq = floor?.lastSeq ?? 0;
  const who = `the epoch-${l.epoch ?? '?'} Jenkins (pid ${l.pid}) opened the writes file at seq ${opened.seq}`;
  if (opened.seq < floorSeq) {
    return { kind: 'lost', mono: opened.mono, detail: `${who}, but ${describeCommit(floor)}, pushed and recorded, holds seq ${floorSeq}` };
  }
  const candidates = [...chain, ...history.pushed, ...history.recorded].filter((c) => older(c) && c.lastSeq >= floorSeq);
  if (opened.seq === floorSeq || candidates.some((c) => c.lastSeq === opened.seq)) return null;
  let newest: PushedCommit | null = null;
  for (const c of candidates) if (newest === null || c.lastSeq > newest.lastSeq) newest = c;
  return {
    kind: 'not-restored',
    mono: opened.mono,
    detail: `${who}, which no pushed commit of an older epoch holds (recorded: seq ${floorSeq}, ${describeCommit(floor)}; newest pushed: seq ${newest?.lastSeq ?? floorSeq}, ${describeCommit(newest ?? floor)})`,
  };
}
