/**
 * Reading the journal that test/fixtures/jenkins-standin.js appends to
 * $JENKINS_HOME/standin-journal.jsonl, and checking the sacred promise: never two Jenkins alive
 * at once on one JENKINS_HOME.
 *
 * All times here are `mono`: CLOCK_MONOTONIC in ms, shared by every process on the host, so it
 * orders events of different processes. Take "now" in a test the same way: monoNow().
 */
import * as fs from 'fs';
import * as path from 'path';
import { leadsThreadGroup } from '../../src/util/proc';

export const JOURNAL_FILE = 'standin-journal.jsonl';

export interface JournalEntry {
  ev: string;
  pid: number;
  epoch?: string;
  port?: number;
  t: number;
  mono: number;
  otherPid?: number;
  [k: string]: unknown;
}

export interface Life {
  pid: number;
  epoch?: string;
  /** mono ms of the `start` line (or of the first line seen for the pid). */
  start: number;
  /** mono ms of the `ready` line, if any. */
  ready?: number;
  /**
   * mono ms of the end: the `stop`/`exit` line, else the last line seen (last heartbeat);
   * for a process still alive ('running'), the time lives() was called.
   */
  end: number;
  endedBy: 'stop' | 'exit' | 'last-heartbeat' | 'running';
  /** HTTP port from the journal, if any. */
  port?: number;
  /** exit code from the `stop`/`exit` line, if any. */
  code?: number;
}

export interface MalformedLine {
  lineNo: number;
  line: string;
  reason: string;
}

export interface ReadJournalOptions {
  /** Called for every skipped line; default: console.warn. */
  onMalformed?: (m: MalformedLine) => void;
}

/** CLOCK_MONOTONIC in ms, the same clock as the journal's `mono`. */
export function monoNow(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

export function journalPath(home: string): string {
  return path.join(home, JOURNAL_FILE);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toEntry(v: unknown): JournalEntry | string {
  if (!isRecord(v)) return 'not a JSON object';
  const { ev, pid, t, mono, epoch, port, otherPid } = v;
  if (typeof ev !== 'string') return 'ev is not a string';
  if (typeof pid !== 'number' || !Number.isInteger(pid)) return 'pid is not an integer';
  if (typeof t !== 'number' || !Number.isFinite(t)) return 't is not a number';
  if (typeof mono !== 'number' || !Number.isFinite(mono)) return 'mono is not a number';
  if (epoch !== undefined && typeof epoch !== 'string') return 'epoch is not a string';
  if (port !== undefined && typeof port !== 'number') return 'port is not a number';
  if (otherPid !== undefined && otherPid !== null && typeof otherPid !== 'number') {
    return 'otherPid is not a number';
  }
  const entry: JournalEntry = { ...v, ev, pid, t, mono };
  if (otherPid === null) delete entry.otherPid; // the stand-in writes null when the peer said nothing
  return entry;
}

/**
 * Parse a journal's text. Malformed lines (not JSON, or missing ev/pid/t/mono) are skipped and
 * reported through onMalformed. A final line without its newline is still parsed.
 */
export function parseJournal(text: string, opts: ReadJournalOptions = {}): JournalEntry[] {
  const report =
    opts.onMalformed ??
    ((m: MalformedLine) => console.warn(`journal line ${m.lineNo} skipped (${m.reason}): ${m.line}`));
  const out: JournalEntry[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      report({ lineNo: i + 1, line, reason: `bad JSON: ${(e as Error).message}` });
      return;
    }
    const entry = toEntry(parsed);
    if (typeof entry === 'string') report({ lineNo: i + 1, line, reason: entry });
    else out.push(entry);
  });
  return out;
}

/** All entries of $home/standin-journal.jsonl in file order; a missing file gives []. */
export function readJournal(home: string, opts: ReadJournalOptions = {}): JournalEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(journalPath(home), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseJournal(text, opts);
}

/**
 * Default liveness check for lives(): the pid is a process (not a thread of one: a stand-in's pid
 * reused as a thread id of a later stand-in passed the checks below and made a phantom overlap in
 * a 200-fault run), is no zombie, and runs the stand-in.
 */
export function isStandinAlive(pid: number): boolean {
  if (!leadsThreadGroup(pid)) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 1).trim().charAt(0);
    if (state === 'Z' || state === 'X') return false;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('jenkins-standin');
  } catch {
    return false;
  }
}

export interface LivesOptions {
  /**
   * Whether a pid without a stop/exit line is still running. Default: isStandinAlive (reads
   * /proc). Pass `() => false` for pure evaluation of synthetic entries.
   */
  isAlive?: (pid: number) => boolean;
  /** End used for running lives; default monoNow(). */
  now?: number;
}

/**
 * One Life per pid, sorted by start (then pid). Should a pid be reused by a later stand-in on the
 * same home, each `start` line begins a new Life.
 */
export function lives(entries: JournalEntry[], opts: LivesOptions = {}): Life[] {
  const alive = opts.isAlive ?? isStandinAlive;
  const byPid = new Map<number, JournalEntry[]>();
  for (const e of entries) {
    const list = byPid.get(e.pid);
    if (list) list.push(e);
    else byPid.set(e.pid, [e]);
  }
  const segments: JournalEntry[][] = [];
  for (const list of byPid.values()) {
    list.sort((a, b) => a.mono - b.mono);
    let cur: JournalEntry[] = [];
    for (const e of list) {
      if (e.ev === 'start' && cur.length > 0) {
        segments.push(cur);
        cur = [];
      }
      cur.push(e);
    }
    if (cur.length > 0) segments.push(cur);
  }
  const lastSegmentOfPid = new Map<number, JournalEntry[]>();
  for (const seg of segments) {
    const pid = seg[0]?.pid;
    if (pid === undefined) continue;
    const prev = lastSegmentOfPid.get(pid);
    if (prev === undefined || (prev[0]?.mono ?? -Infinity) < (seg[0]?.mono ?? -Infinity)) {
      lastSegmentOfPid.set(pid, seg);
    }
  }
  const out: Life[] = [];
  for (const seg of segments) {
    const first = seg[0];
    const last = seg[seg.length - 1];
    if (first === undefined || last === undefined) continue;
    const pid = first.pid;
    const readyEntry = seg.find((e) => e.ev === 'ready');
    const endEntry = seg.find((e) => e.ev === 'stop' || e.ev === 'exit');
    const epochEntry = seg.find((e) => e.epoch !== undefined);
    const portEntry = seg.find((e) => e.port !== undefined);
    const life: Life = { pid, start: first.mono, end: last.mono, endedBy: 'last-heartbeat' };
    if (epochEntry?.epoch !== undefined) life.epoch = epochEntry.epoch;
    if (readyEntry) life.ready = readyEntry.mono;
    if (portEntry?.port !== undefined) life.port = portEntry.port;
    if (endEntry) {
      life.end = endEntry.mono;
      life.endedBy = endEntry.ev === 'stop' ? 'stop' : 'exit';
      if (typeof endEntry.code === 'number') life.code = endEntry.code;
    } else if (lastSegmentOfPid.get(pid) === seg && alive(pid)) {
      life.end = Math.max(last.mono, opts.now ?? monoNow());
      life.endedBy = 'running';
    }
    out.push(life);
  }
  return out.sort((a, b) => a.start - b.start || a.pid - b.pid);
}

function fmt(ms: number): string {
  return ms.toFixed(3);
}

export function describeLife(l: Life): string {
  const parts = [
    `pid ${l.pid}`,
    l.epoch !== undefined ? `epoch ${l.epoch}` : 'no epoch',
    l.port !== undefined ? `port ${l.port}` : undefined,
    `start ${fmt(l.start)}`,
    l.ready !== undefined ? `ready ${fmt(l.ready)}` : 'never ready',
    `end ${fmt(l.end)} (${l.endedBy}${l.code !== undefined ? ` code ${l.code}` : ''})`,
  ];
  return parts.filter((p) => p !== undefined).join(', ');
}

/** One way two Jenkins were alive at once, at the mono time it belongs to. */
export interface Overlap {
  /** CLOCK_MONOTONIC ms: the `overlap` line, or the later life's start. */
  mono: number;
  detail: string;
}

/**
 * Every overlap in the entries, sorted by mono: each presence-socket `overlap` line, and each pair
 * of lives whose [start, end] intervals intersect (closed intervals: touching counts). The one
 * checker of "never two Jenkins alive at once": checkNeverTwoAlive throws on it, the chaos suite
 * charges each overlap to its fault window, the benchmarks count them.
 */
export function findOverlaps(entries: JournalEntry[], opts: LivesOptions = {}): Overlap[] {
  const out: Overlap[] = [];
  for (const o of entries.filter((e) => e.ev === 'overlap')) {
    const via = typeof o.via === 'string' ? ` via ${o.via}` : '';
    out.push({
      mono: o.mono,
      detail:
        `pid ${o.pid} started at mono ${fmt(o.mono)} while pid ${o.otherPid ?? '?'} was alive` +
        ` (presence socket answered${via})`,
    });
  }
  const ls = lives(entries, opts);
  // Sorted by start, so a later life b overlaps an earlier life a iff b starts before a ends.
  for (let i = 0; i < ls.length; i++) {
    const a = ls[i];
    if (a === undefined) continue;
    for (let j = i + 1; j < ls.length; j++) {
      const b = ls[j];
      if (b === undefined) continue;
      if (b.start <= a.end) {
        out.push({
          mono: b.start,
          detail:
            `pid ${b.pid} started ${fmt(a.end - b.start)} ms before pid ${a.pid} ended` +
            ` [${describeLife(a)}] vs [${describeLife(b)}]`,
        });
      }
    }
  }
  return out.sort((x, y) => x.mono - y.mono);
}

/**
 * Pure check on entries; throws a descriptive Error listing findOverlaps() if there is any.
 * Returns the lives.
 */
export function checkNeverTwoAlive(entries: JournalEntry[], opts: LivesOptions = {}, where = 'journal'): Life[] {
  // One "now" for both passes, so a running life ends at the same time in each.
  const fixed: LivesOptions = { ...opts, now: opts.now ?? monoNow() };
  const ls = lives(entries, fixed);
  const problems = findOverlaps(entries, fixed).map((o) => o.detail);
  if (problems.length > 0) {
    throw new Error(
      `two Jenkins alive at once on ${where}:\n  ${problems.join('\n  ')}\n` +
        `lives:\n  ${ls.map(describeLife).join('\n  ') || '(none)'}`,
    );
  }
  return ls;
}

/**
 * Throws a descriptive Error if any `overlap` entry exists in $home's journal, or if two lives'
 * [start, end] intervals overlap (end = stop/exit line, else last heartbeat; a pid still running
 * ends "now"). Returns the lives.
 */
export function assertNeverTwoAlive(home: string, opts: LivesOptions = {}): Life[] {
  return checkNeverTwoAlive(readJournal(home), opts, journalPath(home));
}

/** The pid of the one stand-in $home's journal shows running; throws unless exactly one runs. */
export function runningStandin(home: string): number {
  const running = lives(readJournal(home)).filter((l) => l.endedBy === 'running');
  if (running.length !== 1) {
    throw new Error(`${journalPath(home)}: expected exactly one running stand-in, found ${running.length}${running.map((l) => `\n  ${describeLife(l)}`).join('')}`);
  }
  return running[0]!.pid;
}

/** Lives of $home's journal that started strictly after `mono`. */
export function startsAfter(home: string, mono: number, opts: LivesOptions = {}): Life[] {
  return lives(readJournal(home), opts).filter((l) => l.start > mono);
}
