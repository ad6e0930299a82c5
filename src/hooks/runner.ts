/**
 * Runs the role-change hooks (keepalived's notify scripts, Patroni's callbacks): one shell
 * command per role, in the order the transitions happened, one at a time, each in its own
 * process group and bounded by a timeout. Nothing here is ever awaited by the control loop:
 * `request()` returns at once.
 *
 * Backlog: at most one run waits behind the running one. A newer transition replaces the waiting
 * run (logged as `hook.coalesced`), because a hook for a role this node has already left is
 * stale: only the newest role matters. A run that has started is never cancelled, only bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { HookError, errorMessage } from '../errors';
import type { Logger } from '../logging/logger';
import { childEnv, redactSecrets, type SecretScrub } from '../util/secrets';

export type HookName = 'onLeader' | 'onStandby' | 'onStopped';
export const HOOK_NAMES: readonly HookName[] = ['onLeader', 'onStandby', 'onStopped'];

/** What a hook is told about the transition (becomes its JHA_* environment). */
export interface HookContext {
  role: string;
  previousRole: string;
  epoch: number | null;
  /** Leader id as this node knows it now (itself for onLeader); null = unknown. */
  leader: string | null;
  /** Leader id this node knew at its previous transition; null = unknown. */
  previousLeader: string | null;
}

export interface HookRunnerOptions {
  /** Command per hook; empty = none. */
  commands: Readonly<Record<HookName, string>>;
  timeoutMs: number;
  /** SIGTERM at the timeout, SIGKILL this much later (default 1000 ms). */
  killGraceMs?: number;
  nodeId: string;
  cluster: string;
  /** Environment the hooks inherit, minus `secrets`; the JHA_* hook variables are added. */
  baseEnv: NodeJS.ProcessEnv;
  /** The configuration's secrets: kept from the hooks' environment and redacted from their logged output. */
  secrets: SecretScrub;
  cwd?: string;
  logger: Logger;
  now: () => number;
  /** Lines of output logged per run before the rest is dropped (default 200). */
  maxOutputLines?: number;
}

export interface HookStats {
  hook: HookName;
  /** Runs started. */
  runs: number;
  /** Runs that exited non-zero, were killed at the timeout or could not start. */
  failures: number;
  /** Waiting runs dropped because a newer transition replaced them. */
  coalesced: number;
}

export interface HookResult {
  hook: HookName;
  ok: boolean;
  code: number | null;
  signal: string | null;
  durationMs: number;
  error: HookError | null;
}

interface Request {
  hook: HookName;
  ctx: HookContext;
}

const MAX_LINE = 2000;
/** After the hook exits, how long to wait for the rest of its output. */
const OUTPUT_DRAIN_MS = 250;

export class HookRunner {
  private readonly log: Logger;
  private readonly stats = new Map<HookName, HookStats>();
  private running: { hook: HookName; child: ChildProcess | null } | null = null;
  private waiting: Request | null = null;
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: HookRunnerOptions) {
    this.log = opts.logger;
    for (const hook of HOOK_NAMES) this.stats.set(hook, { hook, runs: 0, failures: 0, coalesced: 0 });
  }

  /** True when at least one hook command is configured. */
  get enabled(): boolean {
    return HOOK_NAMES.some((h) => this.opts.commands[h].trim() !== '');
  }

  /**
   * A role transition happened. `hook` null = the new role has no hook (it still replaces a
   * waiting run, which has become stale). Never blocks.
   */
  request(hook: HookName | null, ctx: HookContext): void {
    if (this.closed) return;
    const wanted = hook !== null && this.opts.commands[hook].trim() !== '' ? { hook, ctx } : null;
    if (this.waiting) {
      const dropped = this.waiting;
      this.waiting = null;
      this.stat(dropped.hook).coalesced += 1;
      this.log.info(
        `hook ${dropped.hook} (role ${dropped.ctx.role}) dropped before it started: the role changed to ${ctx.role} meanwhile`,
        { event: 'hook.coalesced', hook: dropped.hook, role: dropped.ctx.role, replacedBy: wanted?.hook ?? null, newRole: ctx.role },
      );
    }
    if (!wanted) {
      this.notifyIdle();
      return;
    }
    if (this.running) {
      this.waiting = wanted;
      this.log.debug(`hook ${wanted.hook} waits for ${this.running.hook} to finish`, { event: 'hook.queued', hook: wanted.hook, behind: this.running.hook });
      return;
    }
    this.start(wanted);
  }

  /** Counters per hook (for /metrics). */
  snapshot(): HookStats[] {
    return HOOK_NAMES.map((h) => ({ ...this.stat(h) }));
  }

  /** Resolves when no hook runs or waits. Each run is bounded, so this is bounded too. */
  idle(): Promise<void> {
    if (!this.running && !this.waiting) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** SIGKILL to a running hook's process group and forget the waiting one (process exit). */
  close(): void {
    this.closed = true;
    this.waiting = null;
    const pid = this.running?.child?.pid;
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
  }

  private stat(hook: HookName): HookStats {
    const s = this.stats.get(hook);
    if (!s) throw new Error(`unknown hook ${hook}`);
    return s;
  }

  private env(hook: HookName, ctx: HookContext): NodeJS.ProcessEnv {
    return childEnv(this.opts.secrets, {
      JHA_HOOK: hook,
      JHA_ROLE: ctx.role,
      JHA_PREVIOUS_ROLE: ctx.previousRole,
      JHA_NODE_ID: this.opts.nodeId,
      JHA_CLUSTER: this.opts.cluster,
      JHA_EPOCH: ctx.epoch === null ? '' : String(ctx.epoch),
      JHA_LEADER: ctx.leader ?? '',
      JHA_PREVIOUS_LEADER: ctx.previousLeader ?? '',
    }, this.opts.baseEnv);
  }

  private start(req: Request): void {
    const slot: { hook: HookName; child: ChildProcess | null } = { hook: req.hook, child: null };
    this.running = slot;
    void this.run(req, slot).then(() => {
      this.running = null;
      const next = this.waiting;
      this.waiting = null;
      if (next && !this.closed) this.start(next);
      else this.notifyIdle();
    });
  }

  private notifyIdle(): void {
    if (this.running || this.waiting) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private run(req: Request, slot: { child: ChildProcess | null }): Promise<HookResult> {
    const { hook, ctx } = req;
    const command = this.opts.commands[hook];
    const started = this.opts.now();
    const st = this.stat(hook);
    st.runs += 1;
    return new Promise<HookResult>((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn('/bin/sh', ['-c', command], {
          detached: true, // its own process group: the timeout kills the hook and everything it started
          stdio: ['ignore', 'pipe', 'pipe'],
          env: this.env(hook, ctx),
          ...(this.opts.cwd !== undefined ? { cwd: this.opts.cwd } : {}),
        });
      } catch (err) {
        resolve(this.finish(hook, started, null, null, new HookError('HOOK_SPAWN_FAILED', `cannot start: ${errorMessage(err)}`)));
        return;
      }
      slot.child = child;
      const pid = child.pid;
      this.log.info(`hook ${hook} started for role ${ctx.previousRole} -> ${ctx.role}`, {
        event: 'hook.started',
        hook,
        pid: pid ?? null,
        role: ctx.role,
        previousRole: ctx.previousRole,
        epoch: ctx.epoch,
        command,
      });
      const streams = this.readOutput(hook, child);
      let timedOut = false;
      let killTimer: NodeJS.Timeout | null = null;
      const timer = setTimeout(() => {
        timedOut = true;
        if (pid === undefined) return;
        const grace = this.opts.killGraceMs ?? 1000;
        this.log.warn(`hook ${hook} still running after ${this.opts.timeoutMs} ms; SIGTERM to its process group`, {
          event: 'hook.timeout',
          hook,
          pid,
          timeoutMs: this.opts.timeoutMs,
          killAfterMs: grace,
        });
        signalGroup(pid, 'SIGTERM');
        killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), grace);
      }, this.opts.timeoutMs);
      let settled = false;
      const settle = (code: number | null, signal: string | null, error: HookError | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        // A timed-out hook's group is killed; any member that survived SIGTERM goes now.
        if (timedOut && pid !== undefined) signalGroup(pid, 'SIGKILL');
        void streams.drained(OUTPUT_DRAIN_MS).then(() => resolve(this.finish(hook, started, code, signal, error)));
      };
      child.on('error', (err) => settle(null, null, new HookError('HOOK_SPAWN_FAILED', `cannot start: ${err.message}`)));
      child.on('exit', (code, signal) => {
        if (timedOut) {
          settle(code, signal, new HookError('HOOK_TIMEOUT', `killed after ${this.opts.timeoutMs} ms`));
        } else if (code === 0) {
          settle(code, signal, null);
        } else {
          settle(code, signal, new HookError('HOOK_FAILED', code !== null ? `exited with code ${code}` : `killed by ${signal ?? 'a signal'}`));
        }
      });
    });
  }

  private finish(hook: HookName, started: number, code: number | null, signal: string | null, error: HookError | null): HookResult {
    const durationMs = Math.round(this.opts.now() - started);
    if (error) {
      this.stat(hook).failures += 1;
      this.log.warn(`hook ${hook} failed: ${error.message}`, { event: 'hook.failed', hook, code, signal, durationMs, error: error.code });
    } else {
      this.log.info(`hook ${hook} finished`, { event: 'hook.finished', hook, code, durationMs });
    }
    return { hook, ok: error === null, code, signal, durationMs, error };
  }

  /** Logs stdout/stderr line by line (event hook.output), at most maxOutputLines per run. */
  private readOutput(hook: HookName, child: ChildProcess): { drained(ms: number): Promise<void> } {
    const max = this.opts.maxOutputLines ?? 200;
    let lines = 0;
    const open: Promise<void>[] = [];
    const handles: NodeJS.ReadableStream[] = [];
    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      if (!stream) continue;
      handles.push(stream);
      stream.on('error', () => undefined);
      open.push(new Promise<void>((resolve) => stream.once('close', () => resolve())));
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        lines += 1;
        if (lines <= max) {
          const clean = redactSecrets(line, this.opts.secrets);
          const text = clean.length > MAX_LINE ? `${clean.slice(0, MAX_LINE)}...` : clean;
          this.log.info(text, { event: 'hook.output', hook, stream: name, pid: child.pid ?? null });
        } else if (lines === max + 1) {
          this.log.warn(`hook ${hook}: more than ${max} lines of output; the rest is not logged`, { event: 'hook.output_truncated', hook });
        }
      });
    }
    return {
      // A background process the hook left behind may hold the pipes open: wait a little for
      // the last lines, then stop reading rather than block the next hook.
      drained: (ms) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            for (const s of handles) (s as NodeJS.ReadableStream & { destroy(): void }).destroy();
            resolve();
          }, ms);
          void Promise.all(open).then(() => {
            clearTimeout(t);
            resolve();
          });
        }),
    };
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}
