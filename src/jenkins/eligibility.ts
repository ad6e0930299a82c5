/**
 * Could this node take over? Checked periodically while its Jenkins is not running:
 * JENKINS_HOME exists, is a directory and takes a write+fsync+unlink of a probe file fast enough;
 * the Jenkins command (child mode) or start command (service mode) and a named war are present;
 * enough free disk; the same Jenkins version as the leader when both are known; an optional site
 * preflight command. `assess()` is pure; `EligibilityMonitor` does the I/O.
 */
import { EventEmitter } from 'node:events';
import { constants as fsc, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../errors';
import type { Logger } from '../logging/logger';
import { childEnv, redactSecrets, type SecretScrub } from '../util/secrets';
import { runCommand } from './command';
import { warVersion } from './war-version';
import { commandIndex } from './wrappers';

export interface EligibilityOptions {
  home: string;
  nodeId: string;
  /** The command whose executable must exist (jenkins.command, or jenkins.startCommand). */
  command: string;
  maxWriteLatencyMs: number;
  minFreeDiskMb: number;
  preflightCommand: string;
  preflightTimeoutMs: number;
  /** Kept from the preflight's environment, and redacted from its output (quoted in /status, /history, GET /standby). */
  secrets: SecretScrub;
  intervalMs: number;
  /** The leader's Jenkins version when known (null: no leader, or it does not say). */
  leaderVersion: () => Promise<string | null>;
  /** Whether to check now (the loop checks only while Jenkins does not run here). */
  active: () => boolean;
  /**
   * Service mode: whether the Jenkins service runs although it is not ours (null: cannot tell),
   * and how to stop it. A stray service makes the node ineligible; it is stopped once
   * `mayStopStray()` (the node is out of the election, so it cannot be starting its own).
   */
  stray?: { running: () => Promise<boolean | null>; stop: () => Promise<void>; mayStop: () => boolean };
  logger: Logger;
}

export interface EligibilityFacts {
  home: { ok: true; writeMs: number } | { ok: false; error: string };
  executable: { name: string; found: boolean } | null;
  war: { file: string; found: boolean } | null;
  freeMb: number | null;
  localVersion: string | null;
  leaderVersion: string | null;
  preflight: { ok: boolean; output: string } | null;
  /** Service mode: the service runs outside our control. */
  strayService?: boolean;
}

export interface EligibilityResult {
  eligible: boolean;
  reasons: string[];
  /** ISO time of the check. */
  checkedAt: string;
  versions: { local: string | null; leader: string | null };
}

/** The verdict from the facts. Pure. A version that is not known does not make a node ineligible. */
export function assess(f: EligibilityFacts, o: { maxWriteLatencyMs: number; minFreeDiskMb: number }, checkedAt: string): EligibilityResult {
  const reasons: string[] = [];
  if (!f.home.ok) reasons.push(`JENKINS_HOME: ${f.home.error}`);
  else if (f.home.writeMs > o.maxWriteLatencyMs) {
    reasons.push(`JENKINS_HOME write+fsync took ${Math.round(f.home.writeMs)} ms (more than ${o.maxWriteLatencyMs} ms)`);
  }
  if (f.executable && !f.executable.found) reasons.push(`command not found: ${f.executable.name}`);
  if (f.war && !f.war.found) reasons.push(`war file not found: ${f.war.file}`);
  if (o.minFreeDiskMb > 0 && f.freeMb !== null && f.freeMb < o.minFreeDiskMb) {
    reasons.push(`free disk ${Math.floor(f.freeMb)} MiB below ${o.minFreeDiskMb} MiB`);
  }
  if (f.localVersion !== null && f.leaderVersion !== null && f.localVersion !== f.leaderVersion) {
    reasons.push(`Jenkins version ${f.localVersion} differs from the leader's ${f.leaderVersion}`);
  }
  if (f.strayService) reasons.push('the Jenkins service runs although this node does not run Jenkins (enabled at boot?)');
  if (f.preflight && !f.preflight.ok) reasons.push(`preflight command failed${f.preflight.output ? `: ${f.preflight.output}` : ''}`);
  return { eligible: reasons.length === 0, reasons, checkedAt, versions: { local: f.localVersion, leader: f.leaderVersion } };
}

/**
 * The executable and the war file a command line names. Looks through leading VAR=value words
 * and the usual wrappers (`exec`, `env -u VAR`, `nice`, `sudo -u X`, ...: see wrappers.ts); when
 * a wrapper's options cannot be read, the executable is null (not checked). The war is the
 * argument of `-jar` or any word ending in `.war`. Pure.
 */
export function commandParts(command: string): { executable: string | null; war: string | null } {
  const words = command.trim().split(/\s+/).filter((w) => w !== '');
  const i = commandIndex(words);
  const executable = i === null ? null : (words[i] ?? null);
  let war: string | null = null;
  for (let k = (i ?? 0) + 1; k < words.length; k++) {
    const w = words[k] ?? '';
    if (w === '-jar' && words[k + 1] !== undefined) war = words[k + 1] ?? null;
    else if (/\.war$/.test(w) && war === null) war = w;
  }
  // Shell syntax (quotes, variables) cannot be judged without a shell: skip what we cannot read.
  const plain = (w: string | null): string | null => (w !== null && /^[A-Za-z0-9_./+-]+$/.test(w) ? w : null);
  return { executable: plain(executable), war: plain(war) };
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fsp.access(file, fsc.X_OK);
    return (await fsp.stat(file)).isFile();
  } catch {
    return false;
  }
}

async function resolveExecutable(name: string, cwd: string): Promise<boolean> {
  if (name.includes('/')) return isExecutable(path.resolve(cwd, name));
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && (await isExecutable(path.join(dir, name)))) return true;
  }
  return false;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * Stat the home, then write, fsync and unlink a probe file in it; returns the time it took.
 * `track` sees the underlying file system work, which may outlive the timeout.
 */
async function probeHome(home: string, nodeId: string, timeoutMs: number, track: (inner: Promise<unknown>) => void): Promise<EligibilityFacts['home']> {
  try {
    const statting = fsp.stat(home);
    track(statting);
    const st = await withTimeout(statting, timeoutMs, 'stat');
    if (!st.isDirectory()) return { ok: false, error: `${home} is not a directory` };
    const file = path.join(home, `.jenkins-ha-probe-${nodeId}`);
    const t0 = process.hrtime.bigint();
    const writing = (async () => {
      const fh = await fsp.open(file, 'w');
      try {
        await fh.writeFile(`${nodeId} ${new Date().toISOString()}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.unlink(file);
    })();
    track(writing);
    await withTimeout(writing, timeoutMs, 'write+fsync+unlink');
    return { ok: true, writeMs: Number(process.hrtime.bigint() - t0) / 1e6 };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, error: code ? `${code} (${home})` : errorMessage(err) };
  }
}

async function freeMb(home: string): Promise<number | null> {
  try {
    const s = await fsp.statfs(home);
    return (s.bavail * s.bsize) / (1024 * 1024);
  } catch {
    return null;
  }
}

/**
 * Run the preflight command with a timeout, without the secrets in its environment; its output
 * (secret values redacted, trimmed, last 300 chars) explains a failure.
 */
async function runPreflight(command: string, home: string, timeoutMs: number, secrets: SecretScrub): Promise<{ ok: boolean; output: string }> {
  const r = await runCommand(command, { timeoutMs, cwd: home, env: childEnv(secrets, { JENKINS_HOME: home }) });
  const text = redactSecrets(r.output, secrets).trim().slice(-300);
  if (r.timedOut) return { ok: false, output: `timed out after ${timeoutMs} ms${text ? `; ${text}` : ''}` };
  return { ok: r.code === 0, output: r.code === 0 ? text : `exit ${r.code ?? '?'}${text ? `; ${text}` : ''}` };
}

export class EligibilityMonitor extends EventEmitter {
  private last: EligibilityResult | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;
  /** A home probe whose file system call has not returned (a hung NFS mount holds a libuv thread). */
  private hungProbe: Promise<unknown> | null = null;

  constructor(private readonly opts: EligibilityOptions) {
    super();
  }

  result(): EligibilityResult | null {
    return this.last;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Check now (one at a time: a hung file system must not pile up checks). */
  async check(): Promise<EligibilityResult | null> {
    if (this.running) return this.last;
    this.running = true;
    try {
      const o = this.opts;
      const parts = commandParts(o.command);
      const war = parts.war === null ? null : path.resolve(o.home, parts.war);
      let stray = o.stray ? await o.stray.running() : null;
      if (stray && o.stray?.mayStop() && o.active()) {
        await o.stray.stop();
        stray = await o.stray.running();
      }
      const [home, exe, warFound, free, localVersion, leaderVersion, preflight] = await Promise.all([
        this.probeHomeOnce(),
        parts.executable === null ? Promise.resolve(null) : resolveExecutable(parts.executable, o.home),
        war === null ? Promise.resolve(null) : fsp.stat(war).then((s) => s.isFile(), () => false),
        freeMb(o.home),
        war === null ? Promise.resolve(null) : warVersion(war),
        o.leaderVersion().catch(() => null),
        o.preflightCommand === '' ? Promise.resolve(null) : runPreflight(o.preflightCommand, o.home, o.preflightTimeoutMs, o.secrets),
      ]);
      const r = assess(
        {
          home,
          executable: parts.executable === null || exe === null ? null : { name: parts.executable, found: exe },
          war: war === null || warFound === null ? null : { file: war, found: warFound },
          freeMb: free,
          localVersion,
          leaderVersion,
          preflight,
          strayService: stray === true,
        },
        o,
        new Date().toISOString(),
      );
      const changed = this.last === null || this.last.eligible !== r.eligible || this.last.reasons.join('\n') !== r.reasons.join('\n');
      this.last = r;
      if (changed) {
        if (r.eligible) o.logger.info('eligible to run Jenkins', { event: 'eligibility.eligible', versions: r.versions });
        else o.logger.warn(`not eligible to run Jenkins: ${r.reasons.join('; ')}`, { event: 'eligibility.ineligible', reasons: r.reasons });
        this.emit('change', r);
      }
      return r;
    } finally {
      this.running = false;
    }
  }

  /**
   * Probe the home, but never start a second probe while an earlier one's file system call still
   * hangs: each would hold one of libuv's few threads, which the controller needs for its lock file.
   */
  private async probeHomeOnce(): Promise<EligibilityFacts['home']> {
    if (this.hungProbe) return { ok: false, error: 'an earlier write+fsync probe has not returned yet (storage hangs?)' };
    const timeoutMs = Math.max(this.opts.maxWriteLatencyMs * 5, 1000);
    let settled = false;
    const p = probeHome(this.opts.home, this.opts.nodeId, timeoutMs, (inner) => {
      inner.finally(() => {
        settled = true;
        if (this.hungProbe === inner) this.hungProbe = null;
      }).catch(() => undefined);
      if (!settled) this.hungProbe = inner;
    });
    const r = await p;
    return r;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const go = this.opts.active() ? this.check() : Promise.resolve(null);
      void go
        .catch((err: unknown) => this.opts.logger.warn(`eligibility check failed: ${errorMessage(err)}`, { event: 'eligibility.check_failed' }))
        .then(() => this.schedule(this.opts.intervalMs));
    }, ms);
    this.timer.unref();
  }
}
