/**
 * Bounded file-system calls on JENKINS_HOME. Every call the controller makes there goes to a small
 * long-lived helper process (home-io-perl.ts under /usr/bin/perl, else home-io-helper.ts under
 * node: one protocol, the same answers) over a pipe and comes back within a deadline:
 * `ok`, `timeout`, `refused` (a FIFO, symlink, directory... where a regular file belongs) or
 * `io-error`. Never a promise that hangs, never a blocked libuv pool thread: Node's async fs runs
 * on a pool of 4 threads, and 4 calls stuck on a hung NFS/FUSE mount would starve every fs, dns
 * and crypto call of the process (so a Promise.race timeout is not enough).
 *
 * A request that misses its deadline gets its helper SIGKILLed (a process blocked on a hung FUSE
 * or NFS mount still dies of SIGKILL) and a fresh helper serves the next request, once the killed
 * one has exited: at most one hung helper exists at a time, so a long hang piles nothing up.
 * Until it has exited, calls answer `timeout` at once. A call's deadline starts when it reaches a
 * ready helper (one is kept started, so node's own start-up, which touches no file of the home,
 * is not charged to the home); a helper that does not start within HELPER_START_MS is killed and
 * the calls waiting for it answer io-error HELPER_START.
 *
 * Every answer also goes to the home's health for decide() (./home-health.ts: hung, failing, ok).
 * Its options and the answers' types are ./home-io-types.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { monoNow } from '../util/clock';
import { HomeHealthWatch, type HomeHealth } from './home-health';
import { HELPER_SOURCE } from './home-io-helper';
import { perlHelperCommand } from './home-io-perl';
import type { HomeIoOp, HomeIoOptions, HomeIoResult, HomeStat } from './home-io-types';

interface Request {
  id: number;
  op: HomeIoOp;
  path: string;
  body: Record<string, unknown>;
  /** The deadline in ms, counted from when the request reaches a ready helper. */
  limit: number;
  started: number;
  timer: NodeJS.Timeout | null;
  resolve: (r: HomeIoResult<unknown>) => void;
}

interface Helper {
  proc: ChildProcess;
  pid: number;
  buf: string;
  /** It said it is ready (node started): requests are sent and their deadlines start. */
  ready: boolean;
  /** Kills a helper that does not get ready (an overloaded host, not the mount: it touches no file). */
  startTimer: NodeJS.Timeout | null;
}

/** How long a new helper may take to start (node's start-up; it touches no file of the home). */
export const HELPER_START_MS = 10_000;

interface Answer {
  id: number;
  ok: boolean;
  value?: unknown;
  refused?: boolean;
  code?: string | null;
  message?: string;
}

export class HomeIo {
  private helper: Helper | null = null;
  /** A helper killed at a deadline that has not exited yet (at most one). */
  private stuck: Helper | null = null;
  private readonly queue: Request[] = [];
  private inflight: Request | null = null;
  private nextId = 1;
  private closed = false;
  private readonly homeHealth: HomeHealthWatch;
  private readonly now: () => number;
  /** Keeps the process alive while a call waits (the helper and its pipes are unref'd). */
  private busy: NodeJS.Timeout | null = null;

  constructor(private o: HomeIoOptions) {
    this.now = o.now ?? monoNow;
    this.homeHealth = new HomeHealthWatch({ now: this.now, logger: () => this.o.logger });
  }

  /** Change the default deadline or the logger (main.ts, once the configuration is known); start the helper. */
  configure(o: Partial<Pick<HomeIoOptions, 'timeoutMs' | 'logger'>>): void {
    this.o = { ...this.o, ...o };
    this.warm();
  }

  /** Start a helper now if none runs, so the first call does not wait for node to start. */
  warm(): void {
    if (!this.helper && !this.stuck && !this.closed) this.helper = this.spawnHelper();
  }

  get timeoutMs(): number {
    return this.o.timeoutMs;
  }

  health(): HomeHealth {
    return this.homeHealth.current();
  }

  onChange(listener: (h: HomeHealth) => void): void {
    this.homeHealth.onChange(listener);
  }

  /** The pid of the live helper, and of a killed one still waiting to exit (tests, /status). */
  pids(): { helper: number | null; ready: boolean; stuck: number | null } {
    return { helper: this.helper?.pid ?? null, ready: this.helper?.ready ?? false, stuck: this.stuck?.pid ?? null };
  }

  /** Text of a regular file (at most 1 MiB), or null when nothing is there. */
  read(path: string, timeoutMs?: number): Promise<HomeIoResult<string | null>> {
    return this.call('read', path, {}, timeoutMs);
  }

  /** Write `data` to `tmp` (O_EXCL, `mode`, fsync when durable) and rename it over `path`. */
  writeAtomic(path: string, tmp: string, data: string, o: { mode: number; durable: boolean; timeoutMs?: number }): Promise<HomeIoResult<true>> {
    return this.call('writeAtomic', path, { tmp, data, mode: o.mode, durable: o.durable }, o.timeoutMs);
  }

  /** lstat: null when nothing is there. */
  lstat(path: string, timeoutMs?: number): Promise<HomeIoResult<HomeStat | null>> {
    return this.call('lstat', path, {}, timeoutMs);
  }

  stat(path: string, timeoutMs?: number): Promise<HomeIoResult<HomeStat>> {
    return this.call('stat', path, {}, timeoutMs);
  }

  /** Create a regular file with `mode` if missing (never follows or opens anything else). */
  ensureFile(path: string, mode: number, timeoutMs?: number): Promise<HomeIoResult<true>> {
    return this.call('ensureFile', path, { mode }, timeoutMs);
  }

  /** Create `path` exclusively, write to it (fsync when durable), remove it: a real write test of its directory. */
  probeWrite(path: string, timeoutMs?: number, durable = false): Promise<HomeIoResult<true>> {
    return this.call('probeWrite', path, { durable }, timeoutMs);
  }

  /** Free bytes for an unprivileged user on the file system of `path` (statfs bavail * bsize). */
  statfs(path: string, timeoutMs?: number): Promise<HomeIoResult<{ freeBytes: number }>> {
    return this.call('statfs', path, {}, timeoutMs);
  }

  chmod(path: string, mode: number, timeoutMs?: number): Promise<HomeIoResult<true>> {
    return this.call('chmod', path, { mode }, timeoutMs);
  }

  /** false when nothing was there. */
  unlink(path: string, timeoutMs?: number): Promise<HomeIoResult<boolean>> {
    return this.call('unlink', path, {}, timeoutMs);
  }

  /** Kill the helpers; later calls answer io-error HOME_IO_CLOSED. */
  close(): void {
    this.closed = true;
    for (const r of [...this.queue, ...(this.inflight ? [this.inflight] : [])]) this.settle(r, this.error(r, 'HOME_IO_CLOSED', 'home I/O closed'));
    this.queue.length = 0;
    this.inflight = null;
    for (const h of [this.helper, this.stuck]) if (h) kill(h);
    this.helper = null;
    if (this.busy) clearInterval(this.busy);
    this.busy = null;
  }

  private call<T>(op: HomeIoOp, path: string, body: Record<string, unknown>, timeoutMs?: number): Promise<HomeIoResult<T>> {
    return new Promise<HomeIoResult<unknown>>((resolve) => {
      const id = this.nextId++;
      const limit = Math.max(1, Math.floor(timeoutMs ?? this.o.timeoutMs));
      const r: Request = { id, op, path, body, limit, started: this.now(), resolve, timer: null };
      if (this.closed) return this.settle(r, this.error(r, 'HOME_IO_CLOSED', 'home I/O closed'));
      this.queue.push(r);
      this.busy ??= setInterval(() => undefined, 1 << 30);
      this.pump();
    }) as Promise<HomeIoResult<T>>;
  }

  /** Send the next queued request if the helper is free (spawning one if none is stuck). */
  private pump(): void {
    if (this.inflight || this.queue.length === 0 || this.closed) return;
    if (!this.helper) {
      if (this.stuck) {
        // The killed helper has not exited: the mount still holds it. Answer at once, spawn nothing.
        for (const r of this.queue.splice(0)) {
          const why = `${r.op} ${r.path}: not attempted, an earlier call on JENKINS_HOME is still hung (helper pid ${this.stuck.pid} does not exit)`;
          this.settle(r, this.timeout(r, why));
        }
        return;
      }
      this.helper = this.spawnHelper();
      if (!this.helper) return;
    }
    if (!this.helper.ready) return; // sent when it says ready
    const r = this.queue.shift();
    if (!r) return;
    this.inflight = r;
    r.started = this.now();
    // Judged after the poll phase (setImmediate): when this process itself was frozen past the
    // deadline (SIGSTOP, a long pause), an answer already in the pipe is read first and wins.
    r.timer = setTimeout(() => setImmediate(() => this.expire(r)), r.limit);
    this.helper.proc.stdin?.write(`${JSON.stringify({ id: r.id, op: r.op, path: r.path, ...r.body })}\n`);
  }

  private spawnHelper(): Helper | null {
    const [cmd, ...args] = this.o.command ?? perlHelperCommand() ?? [process.execPath, '-e', HELPER_SOURCE];
    let proc: ChildProcess;
    try {
      proc = spawn(cmd ?? process.execPath, args, { cwd: '/', env: {}, stdio: ['pipe', 'pipe', 'ignore'] });
    } catch (err) {
      for (const r of this.queue.splice(0)) this.settle(r, this.error(r, 'HELPER_SPAWN', `cannot start the home I/O helper: ${String(err)}`));
      return null;
    }
    const h: Helper = { proc, pid: proc.pid ?? -1, buf: '', ready: false, startTimer: null };
    h.startTimer = setTimeout(() => {
      if (h !== this.helper || h.ready) return;
      this.helper = null;
      kill(h);
      for (const r of this.queue.splice(0)) this.settle(r, this.error(r, 'HELPER_START', `the home I/O helper did not start within ${HELPER_START_MS} ms`));
    }, HELPER_START_MS);
    h.startTimer.unref();
    proc.unref();
    for (const s of [proc.stdin, proc.stdout]) (s as unknown as { unref?: () => void } | null)?.unref?.();
    proc.stdin?.on('error', () => undefined); // EPIPE after a kill: the exit handler reports it
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => this.onData(h, chunk));
    proc.on('error', () => undefined);
    proc.on('exit', () => this.onExit(h));
    return h;
  }

  private onData(h: Helper, chunk: string): void {
    if (h !== this.helper) return;
    h.buf += chunk;
    let i: number;
    while ((i = h.buf.indexOf('\n')) >= 0) {
      const line = h.buf.slice(0, i);
      h.buf = h.buf.slice(i + 1);
      let a: Answer;
      try {
        a = JSON.parse(line) as Answer;
      } catch {
        continue;
      }
      if (a.id === 0) {
        h.ready = true;
        if (h.startTimer) clearTimeout(h.startTimer);
        continue;
      }
      const r = this.inflight;
      if (!r || a.id !== r.id) continue; // an answer past its deadline
      this.inflight = null;
      if (a.ok) this.settle(r, { kind: 'ok', value: a.value, ms: this.now() - r.started });
      else if (a.refused) this.settle(r, { kind: 'refused', code: 'HOME_NOT_REGULAR', op: r.op, path: r.path, message: a.message ?? 'not a regular file' });
      else this.settle(r, this.error(r, a.code ?? 'EUNKNOWN', a.message ?? 'failed'));
    }
    this.pump();
  }

  private onExit(h: Helper): void {
    if (h.startTimer) clearTimeout(h.startTimer);
    if (h === this.stuck) {
      this.stuck = null;
      // Keep a helper ready for the next call (node takes a while to start on a loaded host).
      if (this.queue.length > 0) this.pump();
      else this.warm();
      return;
    }
    if (h !== this.helper) return;
    this.helper = null;
    if (!h.ready) {
      // It died before it could serve anything (a broken node?): fail what waits, do not respawn in a loop.
      for (const q of this.queue.splice(0)) this.settle(q, this.error(q, 'HELPER_START', 'the home I/O helper exited before it was ready'));
      return;
    }
    const r = this.inflight;
    this.inflight = null;
    if (r) this.settle(r, this.error(r, 'HELPER_EXITED', 'the home I/O helper exited during the call'));
    this.pump();
  }

  /** The served request's deadline passed: kill its helper, answer timeout. */
  private expire(r: Request): void {
    const limit = r.limit;
    if (this.inflight !== r) return;
    this.inflight = null;
    const h = this.helper;
    this.helper = null;
    if (h) {
      this.stuck = h;
      kill(h);
    }
    this.settle(r, this.timeout(r, `${r.op} ${r.path}: no answer within ${limit} ms (JENKINS_HOME hung?); helper pid ${h?.pid ?? '-'} killed`));
    // Whatever waited behind it would meet the same mount: answer now, not one deadline each.
    for (const q of this.queue.splice(0)) this.settle(q, this.timeout(q, `${q.op} ${q.path}: not attempted, a call before it hung`));
  }

  private timeout(r: Request, message: string): HomeIoResult<unknown> {
    return { kind: 'timeout', op: r.op, path: r.path, ms: this.now() - r.started, message };
  }

  private error(r: Request, code: string, message: string): HomeIoResult<unknown> {
    return { kind: 'io-error', code, op: r.op, path: r.path, message };
  }

  private settle(r: Request, res: HomeIoResult<unknown>): void {
    if (r.timer) clearTimeout(r.timer);
    if (this.busy && !this.inflight && this.queue.every((q) => q === r)) {
      clearInterval(this.busy);
      this.busy = null;
    }
    this.homeHealth.observe(res);
    r.resolve(res);
  }
}

function kill(h: Helper): void {
  try {
    h.proc.kill('SIGKILL');
  } catch {
    // already gone
  }
}

let shared: HomeIo | null = null;

/** The process-wide instance (lock.ioTimeoutMs set by main.ts through configure()). */
export function sharedHomeIo(): HomeIo {
  shared ??= new HomeIo({ timeoutMs: DEFAULT_IO_TIMEOUT_MS });
  return shared;
}

/** The deadline used until the configuration sets lock.ioTimeoutMs. */
export const DEFAULT_IO_TIMEOUT_MS = 2000;
