/**
 * Could this node take over? Checked periodically while its Jenkins is not running:
 * JENKINS_HOME exists, is a directory and takes a write+fsync+unlink of a probe file fast enough;
 * the Jenkins command (child mode) or start command (service mode) and a named war are present;
 * enough free disk; the same Jenkins version as the leader when both are known; an optional site
 * preflight command. `assess()` is pure; `EligibilityMonitor` does the I/O.
 *
 * Every call on JENKINS_HOME (the probe, free disk, a war inside the home) goes through the
 * bounded home I/O main.ts passes in (`HomeCalls`: the shared HomeIo of src/fencing), never
 * through Node's fs: on a hung mount each fs call would hold one of libuv's 4 threads. A call that
 * gets no answer within the home I/O's deadline makes the node ineligible, naming the home.
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

/** What one bounded call on the home answers (structurally HomeIoResult of src/fencing/home-io.ts). */
export type HomeAnswer<T> = { kind: 'ok'; value: T } | { kind: 'timeout' | 'refused' | 'io-error'; message: string; code?: string };

/** The bounded calls on JENKINS_HOME the check needs; each answers within its own deadline. */
export interface HomeCalls {
  stat(path: string): Promise<HomeAnswer<{ type: string; mode: number }>>;
  /** Create, write, fsync (durable) and remove `path`. */
  probeWrite(path: string, timeoutMs: undefined, durable: boolean): Promise<HomeAnswer<true>>;
  statfs(path: string): Promise<HomeAnswer<{ freeBytes: number }>>;
  /** Told of each change of the home's state (hung, failing, ok). */
  onChange?(listener: (h: { state: string }) => void): void;
}

export interface EligibilityOptions {
  home: string;
  /** Bounded I/O on the home (main.ts: sharedHomeIo()). */
  homeIo: HomeCalls;
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

/**
 * Whether the command's executable exists: a bare name on PATH, a path relative to the home (the
 * command runs there). One inside the home is looked at through the bounded home I/O (its x bits:
 * the controller may be another user than Jenkins anyway); no answer there is pushed to
 * `unanswered` and judged as a hung home, not as a missing command (null).
 */
async function resolveExecutable(name: string, io: HomeCalls, home: string, unanswered: string[]): Promise<boolean | null> {
  if (!name.includes('/')) {
    for (const dir of (process.env.PATH ?? '').split(':')) {
      if (dir !== '' && (await isExecutable(path.join(dir, name)))) return true;
    }
    return false;
  }
  const file = path.resolve(home, name);
  if (!insideHome(home, file)) return isExecutable(file);
  const st = await io.stat(file);
  if (st.kind === 'timeout') {
    unanswered.push(homeFailure(home, st));
    return null;
  }
  return st.kind === 'ok' && st.value.type === 'file' && (st.value.mode & 0o111) !== 0;
}

/** Whether `file` lies inside `home` (so a call on it is a call on the home). */
function insideHome(home: string, file: string): boolean {
  const rel = path.relative(home, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** `JENKINS_HOME <home>: <what the bounded call said>`, for a call that got no answer or failed. */
function homeFailure(home: string, r: { kind: string; message: string; code?: string }): string {
  return r.kind === 'timeout' ? `${home} does not answer: ${r.message}` : `${r.code ?? r.kind} (${home}): ${r.message}`;
}

/** Stat the home, then write, fsync and unlink a probe file in it, through the bounded home I/O; returns the time it took. */
async function probeHome(io: HomeCalls, home: string, nodeId: string): Promise<EligibilityFacts['home']> {
  const st = await io.stat(home);
  if (st.kind !== 'ok') return { ok: false, error: homeFailure(home, st) };
  if (st.value.type !== 'a directory') return { ok: false, error: `${home} is not a directory` };
  const t0 = process.hrtime.bigint();
  const wrote = await io.probeWrite(path.join(home, `.jenkins-ha-probe-${nodeId}`), undefined, true);
  if (wrote.kind !== 'ok') return { ok: false, error: homeFailure(home, wrote) };
  return { ok: true, writeMs: Number(process.hrtime.bigint() - t0) / 1e6 };
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
  /** The home answered again while a check ran: check once more right after it. */
  private recheck = false;

  constructor(private readonly opts: EligibilityOptions) {
    super();
    // A check that found the home hung holds the node out until the next one: when the home
    // answers again, check at once rather than up to intervalMs later.
    opts.homeIo.onChange?.((h) => {
      if (h.state !== 'ok') return;
      if (this.running) this.recheck = true; // its probes may have timed out before the answer came
      else if (this.last?.eligible === false && this.timer !== null) this.schedule(0);
    });
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
      // Calls on the home that got no answer: each makes the node ineligible (below), naming the home.
      const unanswered: string[] = [];
      const [probed, exe, warFacts, free, leaderVersion, preflight] = await Promise.all([
        probeHome(o.homeIo, o.home, o.nodeId),
        parts.executable === null ? Promise.resolve(null) : resolveExecutable(parts.executable, o.homeIo, o.home, unanswered),
        war === null ? Promise.resolve(null) : this.warFacts(war, unanswered),
        o.homeIo.statfs(o.home).then((r) => {
          if (r.kind === 'ok') return r.value.freeBytes / (1024 * 1024);
          if (r.kind === 'timeout') unanswered.push(homeFailure(o.home, r));
          return null;
        }),
        o.leaderVersion().catch(() => null),
        o.preflightCommand === '' ? Promise.resolve(null) : runPreflight(o.preflightCommand, o.home, o.preflightTimeoutMs, o.secrets),
      ]);
      const home: EligibilityFacts['home'] = probed.ok && unanswered.length > 0 ? { ok: false, error: unanswered[0] ?? '' } : probed;
      const warFound = warFacts?.found ?? null;
      const localVersion = warFacts?.version ?? null;
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
   * Whether the war is a file, and its version. A war inside the home is looked at through the
   * bounded home I/O (no answer: pushed to `unanswered`, not held as missing) and its manifest read
   * only once that answered; a war elsewhere (/usr/share/java) with Node's fs.
   */
  private async warFacts(war: string, unanswered: string[]): Promise<{ found: boolean; version: string | null } | null> {
    const o = this.opts;
    if (!insideHome(o.home, war)) {
      const found = await fsp.stat(war).then((s) => s.isFile(), () => false);
      return { found, version: found ? await warVersion(war) : null };
    }
    const st = await o.homeIo.stat(war);
    if (st.kind === 'timeout') {
      unanswered.push(homeFailure(o.home, st));
      return null;
    }
    const found = st.kind === 'ok' && st.value.type === 'file';
    return { found, version: found ? await warVersion(war) : null };
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const go = this.opts.active() ? this.check() : Promise.resolve(null);
      void go
        .catch((err: unknown) => this.opts.logger.warn(`eligibility check failed: ${errorMessage(err)}`, { event: 'eligibility.check_failed' }))
        .then(() => {
          const again = this.recheck;
          this.recheck = false;
          this.schedule(again ? 0 : this.opts.intervalMs);
        });
    }, ms);
    this.timer.unref();
  }
}
