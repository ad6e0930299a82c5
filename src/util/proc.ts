/**
 * Process facts from /proc. On these machines exited orphans linger as zombies for a while, so
 * kill(pid, 0) can call a dead process alive: a zombie (state Z) counts as dead here. And a pid
 * recorded long ago may come back as a *thread* of another process: /proc/<id> answers for any
 * thread id too (hidden from the listing), and kill(id) signals that thread's whole process, so a
 * thread id is no process here (the 2026-12-07 200-fault chaos run met exactly that in its own
 * checker: a SIGKILLed stand-in's pid, reused 16 minutes later as a thread of the next one).
 */
import { readFileSync, readdirSync } from 'node:fs';

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  /** Start time in clock ticks since boot (field 22): with the pid, the identity of a process. */
  startTime: string;
}

export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm may contain spaces and parentheses: fields start after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), pgid: Number(rest[2]), startTime: rest[19] ?? '' };
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const st = readProcStat(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X' && leadsThreadGroup(pid);
}

/** Whether `pid` is a process (its thread group's leader), not another thread of one. */
export function leadsThreadGroup(pid: number): boolean {
  try {
    const m = /^Tgid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m !== null && Number(m[1]) === pid;
  } catch {
    return false;
  }
}

/** This process's start time (field 22 of /proc/self/stat), '' when /proc cannot be read. */
export function ownStartTime(): string {
  return readProcStat(process.pid)?.startTime ?? '';
}

/** The process `pid` that started at `startTime` is gone: no such pid, a zombie, or another process. */
export function processGone(pid: number, startTime: string): boolean {
  const st = readProcStat(pid);
  return st === null || st.state === 'Z' || st.state === 'X' || st.startTime !== startTime;
}

/** Live (non-zombie) processes whose process group is `pgid`. */
export function liveGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const st = readProcStat(Number(e));
    if (st && st.pgid === pgid && st.state !== 'Z' && st.state !== 'X') out.push(st.pid);
  }
  return out;
}

/** Send `signal` to process group `pgid`; a group that is already gone (ESRCH) is no error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** SIGKILL a pid, and first its process group when it leads one (a service's main pid). */
export function killMainPid(pid: number): void {
  if (!isProcessAlive(pid)) return;
  if (readProcStat(pid)?.pgid === pid) signalGroup(pid, 'SIGKILL');
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}
