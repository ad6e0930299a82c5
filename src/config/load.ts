/**
 * Loads, validates and cross-checks the configuration.
 *
 * Layers, later beats earlier: schema defaults -> config file (`opts.file`, else the file
 * named by env JHA_CONFIG) -> env vars -> command-line flags.
 */
import fs from 'node:fs';
import path from 'node:path';
import convict from 'convict';
import { ConfigError, errorMessage } from '../errors';
import { buildSchema, CONFIG_FILE_ENV, envName, flagName, listKeys, type KeyInfo } from './schema';
import type { Config, ResolvedTimings } from './types';

export type { Config, ResolvedTimings } from './types';

export interface LoadConfigOptions {
  /** Config file (JSON with optional full-line `//` comments). Default: env JHA_CONFIG, else none. */
  readonly file?: string;
  /** Environment to read JHA_* / JENKINS_HOME from. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Command-line arguments to read flags from (e.g. `['--zk-connect', 'zk1:2181']`).
   * Default: none (`[]`); process.argv is never read implicitly, the CLI passes it.
   */
  readonly args?: readonly string[];
}

/** ConfigError key used for problems with the config file itself (missing, unreadable, bad JSON). */
export const FILE_KEY = '(file)';

/** Largest config file read (a real one is a few kB; this bounds parsing and error messages). */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Deepest nesting of objects/arrays accepted in a config file (the schema needs 3). */
export const MAX_DEPTH = 8;
/** Problems listed in one error message; the rest are counted. */
const MAX_PROBLEMS = 10;

/**
 * Loads the configuration: defaults -> file -> env -> flags, validated strictly (unknown keys
 * and bad values are errors) and cross-checked. Throws `ConfigError` whose message names the
 * offending key and whose `.key` is that key path (`(file)` for file problems).
 * The result is a deeply frozen plain object.
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const args = opts.args ?? [];
  const schema = buildSchema();
  const keys = listKeys(schema);

  let conf: convict.Config<Config>;
  try {
    conf = convict<Config>(schema, { env, args: [...args] });
  } catch (err) {
    // Coercion of env/flag values does not throw with our formats; this is defensive.
    throw new ConfigError(`invalid configuration: ${errorMessage(err)}`, '(config)');
  }

  const envFile = env[CONFIG_FILE_ENV];
  const file = opts.file ?? (envFile !== undefined && envFile !== '' ? envFile : undefined);
  if (file !== undefined) {
    const content = readConfigFile(file);
    objectsWhereValuesBelong(content, keys);
    // load() overlays the file, then re-applies env and flags so that they keep precedence.
    try {
      conf.load(content);
    } catch (err) {
      // Defensive: convict's overlay threw on shapes it does not expect (see objectsWhereValuesBelong).
      throw new ConfigError(`invalid configuration: config file ${file}: ${clip(errorMessage(err), 200)}`, FILE_KEY);
    }
  }
  // convict parses flags with yargs-parser, which turns number-like strings into numbers
  // ("0x1f" -> 31, "1e3" -> 1000), a bare flag into "true" and a repeated flag into "a,b".
  // Re-apply the flags' raw strings last (flags beat everything), so values arrive verbatim.
  for (const [key, value] of scanFlags(args, keys)) conf.set(key, value);

  try {
    conf.validate({ allowed: 'strict' });
  } catch (err) {
    throw validationError(errorMessage(err), keys);
  }

  const cfg = deepFreeze(conf.getProperties());
  checkCrossFieldRules(cfg);
  return cfg;
}

/**
 * Reads a config file: JSON in which lines whose first non-blank characters are `//` are
 * comments. Returns the parsed top-level object.
 */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_FILE_BYTES) {
      throw new ConfigError(`config file ${file} is ${size} bytes; a config file may have at most ${MAX_FILE_BYTES}`, FILE_KEY);
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`config file not found: ${file}`, FILE_KEY);
    throw new ConfigError(`cannot read config file ${file}: ${errorMessage(err)}`, FILE_KEY);
  }
  return parseConfigText(text, file);
}

/** Parses config file text (see `readConfigFile`); `file` is only used in error messages. */
export function parseConfigText(text: string, file: string): Record<string, unknown> {
  const stripped = stripLineComments(text.replace(/^\uFEFF/, ''));
  if (stripped.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripped);
  } catch (err) {
    throw new ConfigError(`config file ${file}: invalid JSON${jsonErrorLocation(err, stripped)}: ${jsonReason(err)}`, FILE_KEY);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file}: the top level must be a JSON object`, FILE_KEY);
  }
  const bad = badShape(parsed);
  if (bad !== null) throw new ConfigError(`invalid configuration: ${bad.message}`, bad.key);
  return parsed as Record<string, unknown>;
}

/**
 * What no schema key can be, found before convict sees it (a hostile file could make convict
 * crawl or its messages unreadable): nesting deeper than MAX_DEPTH, key names with control
 * characters. Iterative: no stack overflow however deep the file.
 */
function badShape(root: object): { key: string; message: string } | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: root, path: '', depth: 1 }];
  while (stack.length > 0) {
    const { v, path: p, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_DEPTH) {
      const key = clip(p, 100);
      return { key, message: `${key}: nested too deeply (config files have at most ${MAX_DEPTH} levels)` };
    }
    for (const [k, child] of Object.entries(v)) {
      const path = p === '' ? k : `${p}.${k}`;
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
      if (k === '' || k.includes('.') || /[\u0000-\u001f\u007f]/.test(k)) {
        const key = clip(JSON.stringify(path), 100);
        return { key, message: `unknown configuration key ${key}: key names are never empty and have no "." or control characters` };
      }
      stack.push({ v: child, path, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * An object where the schema has a single value (`"restartBackoffMs": {"a": {"b": 1}}`) makes
 * convict's overlay throw a TypeError: refuse it first, naming the key.
 */
function objectsWhereValuesBelong(content: Record<string, unknown>, keys: readonly KeyInfo[]): void {
  for (const k of keys) {
    let v: unknown = content;
    for (const part of k.path.split('.')) {
      v = typeof v === 'object' && v !== null && Object.prototype.hasOwnProperty.call(v, part) ? (v as Record<string, unknown>)[part] : undefined;
    }
    // List keys (an array default, e.g. fencing.methods, sync.include) take arrays; their format checks the items.
    if (Array.isArray(v) && Array.isArray(k.default)) continue;
    if (typeof v === 'object' && v !== null) {
      throw new ConfigError(`invalid configuration: ${k.path}: must be ${Array.isArray(k.default) ? 'a list' : 'a single value'}, not ${Array.isArray(v) ? 'an array' : 'an object'}`, k.path);
    }
  }
}

/** At most `n` characters of `s` (long keys and values from hostile files stay readable). */
function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}... (${s.length} characters)`;
}

/** Blanks every line whose first non-blank characters are `//` (line numbers are kept). */
export function stripLineComments(text: string): string {
  return text
    .split('\n')
    .map((line) => (/^\s*\/\//.test(line) ? '' : line))
    .join('\n');
}

/**
 * The raw value of every schema flag in `args` (`--name value` or `--name=value`), by key path.
 * Flags that are not in the schema are skipped (the CLI has its own); scanning stops at `--`.
 * A schema flag without a value, given twice, or negated (`--no-name`) is a ConfigError.
 */
export function scanFlags(args: readonly string[], keys: readonly KeyInfo[]): Map<string, string> {
  const byFlag = new Map(keys.map((k) => [flagName(k.path), k.path] as const));
  const found = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const token = args[i] ?? '';
    if (token === '--') break;
    if (!token.startsWith('--')) continue;
    const eq = token.indexOf('=');
    const flag = eq === -1 ? token : token.slice(0, eq);
    if (flag.startsWith('--no-') && byFlag.has(`--${flag.slice(5)}`)) {
      const key = byFlag.get(`--${flag.slice(5)}`) ?? '';
      throw new ConfigError(`${key}: flag ${flag} is not supported; use --${flag.slice(5)} <value>`, key);
    }
    const key = byFlag.get(flag);
    if (key === undefined) continue;
    let value: string;
    if (eq !== -1) {
      value = token.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new ConfigError(`${key}: flag ${flag} needs a value`, key);
      }
      value = next;
      i++;
    }
    if (found.has(key)) throw new ConfigError(`${key}: flag ${flag} is given more than once`, key);
    found.set(key, value);
  }
  return found;
}

/**
 * The reason of a JSON.parse error without the excerpt of the source V8 may quote in it
 * (`Unexpected token 's', "{"token": s3cret}" is not valid JSON`): the file may hold secrets.
 */
export function jsonReason(err: unknown): string {
  const m = errorMessage(err)
    .replace(/,\s*(?:\.\.\.)?".*"(?:\.\.\.)?\s+is not valid JSON\s*$/s, '')
    .replace(/\s+in JSON at position \d+.*$/s, '')
    .replace(/\s+/g, ' ')
    // eslint-disable-next-line no-control-regex -- the offending character may be one
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .trim();
  return m.length > 0 && m.length <= 120 ? m : 'syntax error';
}

function jsonErrorLocation(err: unknown, text: string): string {
  const m = /position (\d+)/.exec(errorMessage(err));
  if (m?.[1] === undefined) return '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}

// ---------------------------------------------------------------------------------------
// Convict validation errors -> ConfigError
// ---------------------------------------------------------------------------------------

interface ParsedProblem {
  readonly key: string;
  readonly message: string;
  /** For "missing" lines: the section that was overridden by a plain value. */
  readonly section?: string;
}

/** Turns one line of convict's validation message into a key and a message naming it. */
function parseConvictLine(line: string, keys: readonly KeyInfo[]): ParsedProblem {
  const undeclared = /^configuration param '(.*)' not declared in the schema$/.exec(line);
  if (undeclared?.[1] !== undefined) {
    const key = clip(undeclared[1], 100);
    const hint = key === undeclared[1] ? suggestKey(key, keys) : undefined;
    return { key, message: `unknown configuration key '${key}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}` };
  }
  const missing = /^configuration param '(.*)' missing from config/.exec(line);
  if (missing?.[1] !== undefined) {
    const key = missing[1];
    const section = key.split('.').slice(0, -1).join('.');
    return { key, message: `${key}: missing`, ...(section === '' ? {} : { section }) };
  }
  const invalid = /^([A-Za-z0-9_.]+): (.*)$/s.exec(line);
  if (invalid?.[1] !== undefined && invalid[2] !== undefined) {
    const key = invalid[1];
    const info = keys.find((k) => k.path === key);
    const where = info === undefined ? '' : ` (env ${info.env}, flag ${flagName(key)})`;
    // convict quotes the value of non-sensitive keys; a hostile file can make that megabytes.
    const text = invalid[2].replace(/: value was (.*)$/s, (_m, v: string) => `: value was ${clip(v, 80)}`);
    return { key, message: `${key}${where}: ${text}` };
  }
  return { key: '(config)', message: line };
}

function validationError(message: string, keys: readonly KeyInfo[]): ConfigError {
  const all = message
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => parseConvictLine(l, keys));
  // An object where a single value belongs (`"zk": { "auth": { ... } }`) shows up as "missing"
  // for the key itself plus "unknown key" lines under it: report it once, as that key.
  const leafPaths = new Set(keys.map((k) => k.path));
  const objectLeaves = new Set(
    all.filter((p) => p.section !== undefined && leafPaths.has(p.key) && all.some((q) => q.key.startsWith(`${p.key}.`))).map((p) => p.key),
  );
  const under = (key: string): string | undefined => [...objectLeaves].find((l) => key === l || key.startsWith(`${l}.`));
  const parsed: ParsedProblem[] = [];
  for (const p of all) {
    const leaf = under(p.key);
    if (leaf === undefined) parsed.push(p);
    else if (p.key === leaf) parsed.push({ key: leaf, message: `${leaf}: must be a single value, not an object` });
  }
  // A value where a section belongs (`"api": 8080`) shows up as one "missing" line per key of
  // the section plus an "unknown key" line for the section: report it once, as the section.
  const sections = new Set(parsed.filter((p) => p.section !== undefined).map((p) => p.section));
  // A nested section (api.tls) inside a section given as a plain value (api) is that section.
  const outermost = (s: string): string => {
    const parts = s.split('.');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('.');
      if (sections.has(prefix)) return prefix;
    }
    return s;
  };
  const problems: ParsedProblem[] = [];
  const reported = new Set<string>();
  for (const p of parsed) {
    const raw = p.section ?? (sections.has(p.key) ? p.key : undefined);
    const section = raw === undefined ? undefined : outermost(raw);
    if (section === undefined) {
      problems.push(p);
    } else if (!reported.has(section)) {
      reported.add(section);
      problems.push({ key: section, message: `${section}: must be an object (a section of keys), not a single value` });
    }
  }
  const first = problems[0] ?? { key: '(config)', message };
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => p.message.replace(/\s*\n\s*/g, ' '));
  const more = problems.length > MAX_PROBLEMS ? `; and ${problems.length - MAX_PROBLEMS} more` : '';
  const text =
    problems.length <= 1
      ? `invalid configuration: ${shown[0] ?? first.message}`
      : `invalid configuration (${problems.length} problems): ${shown.join('; ')}${more}`;
  return new ConfigError(text, first.key);
}

/** The closest known key (by edit distance on the path), if reasonably close. */
function suggestKey(unknown: string, keys: readonly KeyInfo[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of keys) {
    const d = editDistance(unknown.toLowerCase(), k.path.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = k.path;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(unknown.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

// ---------------------------------------------------------------------------------------
// Cross-field rules and derived values
// ---------------------------------------------------------------------------------------

/** Effective liveness interval for session timeout `t`: configured, or t/6 when 0. */
function effectivePingIntervalMs(cfg: Config, t: number): number {
  return cfg.zk.pingIntervalMs > 0 ? cfg.zk.pingIntervalMs : Math.floor(t / 6);
}

/** Effective ZooKeeper call timeout for session timeout `t`: configured, or t/3 when 0. */
function effectiveRequestTimeoutMs(cfg: Config, t: number): number {
  return cfg.zk.requestTimeoutMs > 0 ? cfg.zk.requestTimeoutMs : Math.floor(t / 3);
}

/**
 * How much earlier than lastHeard + T the session can expire at the ZooKeeper leader: a follower
 * serving our session passes its activity on to the leader only with its own next ping (every
 * tickTime / 2), and our last request may itself be up to one liveness interval old. So the
 * earliest expiry is lastHeard - max(pingInterval, tickTime / 2) + T.
 */
export function sessionRefreshLagMs(cfg: Config, t: number): number {
  return Math.max(effectivePingIntervalMs(cfg, t), Math.ceil(cfg.zk.tickTimeMs / 2));
}

/** Rules between keys; each violation is a ConfigError naming the keys involved. */
export function checkCrossFieldRules(cfg: Config): void {
  const t = cfg.zk.sessionTimeoutMs;
  const ratio = cfg.fencing.deadlineRatio;
  const deadline = t * ratio;
  const kill = cfg.jenkins.fenceKillAfterMs;
  const margin = cfg.fencing.marginMs;
  const lag = sessionRefreshLagMs(cfg, t);
  const ping = effectivePingIntervalMs(cfg, t);

  if (deadline + kill + margin + lag > t) {
    const room = t - kill - margin - lag;
    // A ratio is only worth suggesting when two liveness probes still fit in its deadline.
    const fix =
      room > 0 && room >= 2 * ping
        ? `set fencing.deadlineRatio to at most ${Math.floor((room / t) * 1000) / 1000}, lower jenkins.fenceKillAfterMs, fencing.marginMs or zk.pingIntervalMs, or raise zk.sessionTimeoutMs`
        : `raise zk.sessionTimeoutMs, or lower jenkins.fenceKillAfterMs, fencing.marginMs or zk.pingIntervalMs`;
    throw new ConfigError(
      `fencing budget exceeds the session timeout: zk.sessionTimeoutMs * fencing.deadlineRatio + ` +
        `jenkins.fenceKillAfterMs + fencing.marginMs + max(zk.pingIntervalMs, zk.tickTimeMs / 2) = ` +
        `${t} * ${ratio} + ${kill} + ${margin} + max(${ping}${cfg.zk.pingIntervalMs === 0 ? ` (0 = ${t} / 6)` : ''}, ` +
        `${cfg.zk.tickTimeMs} / 2) = ${deadline + kill + margin + lag} ms > zk.sessionTimeoutMs = ${t} ms. ` +
        `The leader must have stopped Jenkins before its ZooKeeper session can expire (and the other node ` +
        `can take over), and a session served by a follower can expire up to max(zk.pingIntervalMs, ` +
        `zk.tickTimeMs / 2) before lastHeard + zk.sessionTimeoutMs: ${fix} ` +
        `(zk.tickTimeMs must be the servers' tickTime from zoo.cfg)`,
      'fencing.deadlineRatio',
    );
  }

  if (ping * 2 > deadline) {
    throw new ConfigError(
      `zk.pingIntervalMs: effective liveness interval ${ping} ms` +
        `${cfg.zk.pingIntervalMs === 0 ? ` (0 = zk.sessionTimeoutMs / 6 = ${t} / 6)` : ''}` +
        ` leaves fewer than two liveness probes before self-fencing: 2 * ${ping} > ` +
        `zk.sessionTimeoutMs * fencing.deadlineRatio = ${t} * ${ratio} = ${deadline} ms; ` +
        `set zk.pingIntervalMs to at most ${Math.floor(deadline / 2)}`,
      'zk.pingIntervalMs',
    );
  }

  const request = effectiveRequestTimeoutMs(cfg, t);
  if (request > deadline) {
    throw new ConfigError(
      `zk.requestTimeoutMs: effective ZooKeeper call timeout ${request} ms` +
        `${cfg.zk.requestTimeoutMs === 0 ? ` (0 = zk.sessionTimeoutMs / 3 = ${t} / 3)` : ''}` +
        ` exceeds the fencing deadline zk.sessionTimeoutMs * fencing.deadlineRatio = ${t} * ${ratio} = ` +
        `${deadline} ms; set zk.requestTimeoutMs to at most ${Math.floor(deadline)}`,
      'zk.requestTimeoutMs',
    );
  }

  if (cfg.jenkins.restartBackoffMs > cfg.jenkins.restartBackoffMaxMs) {
    throw new ConfigError(
      `jenkins.restartBackoffMs (${cfg.jenkins.restartBackoffMs}) must not exceed ` +
        `jenkins.restartBackoffMaxMs (${cfg.jenkins.restartBackoffMaxMs})`,
      'jenkins.restartBackoffMs',
    );
  }

  if (cfg.fencing.retryBackoffMs > cfg.fencing.retryBackoffMaxMs) {
    throw new ConfigError(
      `fencing.retryBackoffMs (${cfg.fencing.retryBackoffMs}) must not exceed fencing.retryBackoffMaxMs (${cfg.fencing.retryBackoffMaxMs})`,
      'fencing.retryBackoffMs',
    );
  }

  const lock = resolveLockTimings(cfg);
  if (lock.heartbeatMs >= lock.leaseMs) {
    throw new ConfigError(
      `lock.heartbeatMs: effective heartbeat ${lock.heartbeatMs} ms must be less than the effective lock.leaseMs ` +
        `${lock.leaseMs} ms${cfg.lock.leaseMs === 0 ? ` (0 = zk.sessionTimeoutMs / 2)` : ''}: a live leader must refresh its ` +
        `heartbeat before the lease it gives can run out (several heartbeats per lease is best)`,
      'lock.heartbeatMs',
    );
  }

  if (cfg.lock.flockWaitMs >= cfg.jenkins.startupGraceMs) {
    throw new ConfigError(
      `lock.flockWaitMs (${cfg.lock.flockWaitMs}) must be less than jenkins.startupGraceMs (${cfg.jenkins.startupGraceMs}): ` +
        `the shim waits for the flock inside Jenkins' start-up time`,
      'lock.flockWaitMs',
    );
  }

  const { cert, key } = cfg.api.tls;
  if (cert !== '' && key === '') {
    throw new ConfigError(`api.tls.key must be set when api.tls.cert is set (${JSON.stringify(clip(cert, 200))}): HTTPS needs both`, 'api.tls.key');
  }
  if (key !== '' && cert === '') {
    throw new ConfigError(`api.tls.cert must be set when api.tls.key is set: HTTPS needs both`, 'api.tls.cert');
  }

  checkJenkinsRules(cfg);

  // Also enforced by the schema format; kept here so hand-built configs are checked too.
  if (!isHttpUrl(cfg.jenkins.url)) {
    throw new ConfigError(`jenkins.url must be an http:// or https:// URL: ${JSON.stringify(clip(cfg.jenkins.url, 200))}`, 'jenkins.url');
  }
}

/** Service mode needs its commands; the Jenkins credentials come in pairs. */
function checkJenkinsRules(cfg: Config): void {
  const j = cfg.jenkins;
  if (j.mode === 'service') {
    for (const k of ['startCommand', 'stopCommand', 'servicePidCommand'] as const) {
      if (j[k].trim() === '') {
        throw new ConfigError(`jenkins.${k} must be set when jenkins.mode is service`, `jenkins.${k}`);
      }
    }
  }
  if ((j.user === '') !== (j.apiToken === '')) {
    const missing = j.user === '' ? 'jenkins.user' : 'jenkins.apiToken';
    throw new ConfigError(`${missing} must be set too: jenkins.user and jenkins.apiToken are set together or not at all`, missing);
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Effective timings for a session timeout: the configured one, or the timeout the ZooKeeper
 * server negotiated (it clamps the request to [2, 20] * tickTime).
 *
 * - fenceAfterMs = floor(T * deadlineRatio), lowered if needed so that
 *   fenceAfterMs + jenkins.fenceKillAfterMs + fencing.marginMs + sessionRefreshLagMs <= T still
 *   holds (the lag: max(pingInterval, zk.tickTimeMs / 2), see `sessionRefreshLagMs`);
 * - pingIntervalMs = configured, or T/6 when 0; at most fenceAfterMs / 2;
 * - requestTimeoutMs = configured, or T/3 when 0; at most fenceAfterMs.
 *
 * With the configured timeout the caps never bite (`loadConfig` enforced the rules); with a
 * shorter negotiated timeout they keep the invariants. Throws ConfigError (key
 * zk.sessionTimeoutMs) if T leaves no time to fence at all.
 */
export function resolveTimings(cfg: Config, negotiatedTimeoutMs?: number): ResolvedTimings {
  const t = negotiatedTimeoutMs ?? cfg.zk.sessionTimeoutMs;
  if (!Number.isFinite(t) || t <= 0) {
    throw new ConfigError(`zk.sessionTimeoutMs: invalid session timeout ${t}`, 'zk.sessionTimeoutMs');
  }
  const lag = sessionRefreshLagMs(cfg, t);
  const budget = t - cfg.jenkins.fenceKillAfterMs - cfg.fencing.marginMs - lag;
  const fenceAfterMs = Math.min(Math.floor(t * cfg.fencing.deadlineRatio), budget);
  if (fenceAfterMs < 2) {
    throw new ConfigError(
      `zk.sessionTimeoutMs: session timeout ${t} ms${negotiatedTimeoutMs === undefined ? '' : ' (negotiated)'} ` +
        `leaves no time to fence: it must exceed jenkins.fenceKillAfterMs + fencing.marginMs + ` +
        `max(zk.pingIntervalMs, zk.tickTimeMs / 2) = ${cfg.jenkins.fenceKillAfterMs} + ${cfg.fencing.marginMs} + ${lag} ms`,
      'zk.sessionTimeoutMs',
    );
  }
  return {
    sessionTimeoutMs: t,
    pingIntervalMs: Math.max(1, Math.min(effectivePingIntervalMs(cfg, t), Math.floor(fenceAfterMs / 2))),
    requestTimeoutMs: Math.max(1, Math.min(effectiveRequestTimeoutMs(cfg, t), fenceAfterMs)),
    fenceAfterMs,
  };
}

/**
 * Effective storage lease timings: lock.leaseMs, or zk.sessionTimeoutMs / 2 when 0 (a crashed
 * leader's last heartbeat is older than that when its session expires, so a crash adds no wait);
 * lock.heartbeatMs, or a quarter of the lease when 0.
 */
export function resolveLockTimings(cfg: Config): { heartbeatMs: number; leaseMs: number } {
  const leaseMs = cfg.lock.leaseMs > 0 ? cfg.lock.leaseMs : Math.floor(cfg.zk.sessionTimeoutMs / 2);
  const heartbeatMs = cfg.lock.heartbeatMs > 0 ? cfg.lock.heartbeatMs : Math.max(1, Math.floor(leaseMs / 4));
  return { heartbeatMs, leaseMs };
}

/**
 * The URL of this node's API as the controller advertises it in its election znode: api.host
 * (node.host when it listens on every address), api.port, https when api.tls is set. The CLI uses
 * it to find this host's controller when it is out of the election.
 */
export function advertisedApiUrl(cfg: Config): string {
  const host = cfg.api.host === '0.0.0.0' || cfg.api.host === '::' ? cfg.node.host : cfg.api.host;
  const scheme = cfg.api.tls.cert !== '' && cfg.api.tls.key !== '' ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${cfg.api.port}`;
}

/** A copy safe to log or serve: api.token, api.readToken, jenkins.apiToken and zk.auth become "***" when set. */
export function redactedConfig(cfg: Config): Config {
  const copy = JSON.parse(JSON.stringify(cfg)) as Config;
  const mask = (v: string): string => (v === '' ? '' : '***');
  return deepFreeze({
    ...copy,
    jenkins: { ...copy.jenkins, apiToken: mask(cfg.jenkins.apiToken) },
    zk: { ...copy.zk, auth: mask(cfg.zk.auth) },
    api: { ...copy.api, token: mask(cfg.api.token), readToken: mask(cfg.api.readToken) },
  });
}

/**
 * What the `run` command needs beyond a valid config: jenkins.home must be a non-empty
 * absolute path. (`status` and other read-only commands do not call this.)
 */
export function requireRunnable(cfg: Config): void {
  const home = cfg.jenkins.home;
  if (home === '') {
    throw new ConfigError(
      `jenkins.home is not set: set env ${envName('jenkins.home')}, flag ${flagName('jenkins.home')} ` +
        `or "jenkins": { "home": ... } in the config file (an absolute path on the shared storage)`,
      'jenkins.home',
    );
  }
  if (!path.isAbsolute(home)) {
    throw new ConfigError(`jenkins.home must be an absolute path: ${JSON.stringify(clip(home, 200))}`, 'jenkins.home');
  }
  if (cfg.sync.mode === 'git') requireSyncRunnable(cfg);
}

/**
 * The git directory of sync mode git: sync.gitDir, else a sibling of JENKINS_HOME
 * (`/var/lib/jenkins` -> `/var/lib/.jenkins.jenkins-ha.git`), so Jenkins never sees it.
 */
export function resolveGitDir(cfg: Config): string {
  if (cfg.sync.gitDir !== '') return path.resolve(cfg.sync.gitDir);
  const home = path.resolve(cfg.jenkins.home);
  return path.join(path.dirname(home), `.${path.basename(home)}.jenkins-ha.git`);
}

function requireSyncRunnable(cfg: Config): void {
  if (cfg.sync.repo.trim() === '') {
    throw new ConfigError(
      `sync.repo is not set: sync.mode is git, so the configuration needs a repository (env ${envName('sync.repo')}, flag ${flagName('sync.repo')})`,
      'sync.repo',
    );
  }
  if (cfg.sync.gitDir !== '' && !path.isAbsolute(cfg.sync.gitDir)) {
    throw new ConfigError(`sync.gitDir must be an absolute path: ${JSON.stringify(cfg.sync.gitDir)}`, 'sync.gitDir');
  }
  const home = path.resolve(cfg.jenkins.home);
  const gitDir = resolveGitDir(cfg);
  const rel = path.relative(home, gitDir);
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    throw new ConfigError(`sync.gitDir must be outside jenkins.home (${home}): ${gitDir}`, 'sync.gitDir');
  }
  if (cfg.sync.include.length === 0) {
    throw new ConfigError('sync.include is empty: sync.mode git needs at least one glob to replicate', 'sync.include');
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
