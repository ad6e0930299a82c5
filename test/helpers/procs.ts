/**
 * Process inspection through /proc. On these machines exited orphans linger as zombies for
 * about 2 s (PID 1 reaps slowly), so kill(pid, 0) is no liveness test: read the state field of
 * /proc/PID/stat and treat Z (zombie) and X (dead) as not alive.
 */
import * as fs from 'fs';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, T, t, Z, X, I, ... */
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
}

/** Parse /proc/PID/stat; undefined when the process does not exist (or the line is unreadable). */
export function readStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let line: string;
  try {
    line = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStat(line);
}

/** comm is in parentheses and may itself contain spaces and ')': split at the LAST ')'. */
export function parseStat(line: string): ProcStat | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(line.slice(0, open).trim());
  const rest = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0]=state rest[1]=ppid rest[2]=pgrp rest[3]=session
  if (rest.length < 4) return undefined;
  const [state, ppid, pgid, sid] = [rest[0] ?? '', Number(rest[1]), Number(rest[2]), Number(rest[3])];
  if (!Number.isInteger(pid) || !Number.isInteger(pgid)) return undefined;
  return { pid, comm: line.slice(open + 1, close), state, ppid, pgid, sid };
}

function liveState(state: string): boolean {
  return state !== 'Z' && state !== 'X' && state !== 'x';
}

/** True when /proc/PID/stat exists and the process is not a zombie (or dead). */
export function isAlive(pid: number): boolean {
  const st = readStat(pid);
  return st !== undefined && liveState(st.state);
}

/** Live, non-zombie pids whose process group id equals pgid (sorted ascending). */
export function groupMembers(pgid: number): number[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st !== undefined && st.pgid === pgid && liveState(st.state)) out.push(st.pid);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Resolve true once pid is gone or a zombie, false if it is still alive after timeoutMs.
 * Polls /proc every 10 ms.
 */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(pid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}
