/**
 * Runs the operator's fencing methods (fencing.methods), in order, as Hadoop ZKFC runs
 * dfs.ha.fencing.methods: each is `/bin/sh -c <method>` in a process group of its own, with the
 * previous active's identity in its environment and a time limit; the first that exits 0 has
 * fenced the previous active. A method that runs past the limit has its whole group SIGKILLed
 * and counts as failed. Output is logged line by line (event fence.output).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../logging/logger';
import { childEnv, redactSecrets, type SecretScrub } from '../util/secrets';

export interface FenceMethodResult {
  method: string;
  /** 1-based position in fencing.methods. */
  index: number;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Spawn error (no /bin/sh), if any. */
  error: string | null;
}

export interface FenceRun {
  /** The method that exited 0, or null when every method failed (or the run was aborted). */
  fencedBy: FenceMethodResult | null;
  results: FenceMethodResult[];
  aborted: boolean;
}

export interface RunMethodsOptions {
  methods: readonly string[];
  /** Variables added to the environment (JHA_PREV_*, JHA_EPOCH, ...). */
  env: Record<string, string>;
  timeoutMs: number;
  logger: Logger;
  /** Aborting kills the running method's group and stops the run. */
  signal?: AbortSignal;
  now?: () => number;
  /**
   * The configuration's secrets: kept from the methods' environment and redacted from their
   * logged output. main.ts always passes them (it wraps this function as the controller's
   * runFencing); without them only the controller's own variables below are dropped.
   */
  secrets?: SecretScrub;
}

/** Controller variables a fencing method must not inherit, with or without o.secrets. */
const PRIVATE_ENV = ['JHA_API_TOKEN', 'JHA_API_READ_TOKEN', 'JHA_ZK_AUTH', 'JHA_JENKINS_API_TOKEN', 'JHA_SHIM_COMMAND'];
const NO_SECRETS: SecretScrub = { envNames: [], values: [] };

/** Try the methods in order until one exits 0. Never throws. */
export async function runFencingMethods(o: RunMethodsOptions): Promise<FenceRun> {
  const results: FenceMethodResult[] = [];
  for (let i = 0; i < o.methods.length; i++) {
    if (o.signal?.aborted) return { fencedBy: null, results, aborted: true };
    const r = await runOne(o.methods[i] ?? '', i + 1, o);
    results.push(r);
    const fields = { method: r.index, command: r.method, code: r.code, signal: r.signal, timedOut: r.timedOut, durationMs: r.durationMs };
    if (r.code === 0 && !r.timedOut) {
      o.logger.info(`fencing method ${r.index} succeeded`, { event: 'fence.method_succeeded', ...fields });
      return { fencedBy: r, results, aborted: false };
    }
    const why = r.error ?? (r.timedOut ? `timed out after ${o.timeoutMs} ms (process group killed)` : r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`);
    o.logger.warn(`fencing method ${r.index} failed: ${why}`, { event: 'fence.method_failed', ...fields });
  }
  return { fencedBy: null, results, aborted: o.signal?.aborted ?? false };
}

function runOne(method: string, index: number, o: RunMethodsOptions): Promise<FenceMethodResult> {
  const now = o.now ?? Date.now;
  const started = now();
  const secrets = o.secrets ?? NO_SECRETS;
  const env = childEnv({ envNames: [...secrets.envNames, ...PRIVATE_ENV], values: secrets.values }, o.env);
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    const child = spawn('/bin/sh', ['-c', method], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    const pgid = child.pid;
    const killGroup = (): void => {
      if (pgid === undefined) return;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // ESRCH: the group is gone already
      }
    };
    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => o.logger.info(redactSecrets(line, secrets), { event: 'fence.output', method: index, stream: name }));
    }
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, o.timeoutMs);
    const onAbort = (): void => killGroup();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (code: number | null, signal: string | null, error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      // Whatever the method left in its group (an ssh still connecting, a sleep) goes with it.
      killGroup();
      resolve({ method, index, code, signal, timedOut, durationMs: Math.round(now() - started), error });
    };
    child.on('error', (err) => finish(null, null, `cannot run /bin/sh: ${err.message}`));
    child.on('exit', (code, signal) => finish(code, signal, null));
  });
}
