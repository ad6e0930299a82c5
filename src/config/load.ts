/**
 * Loads, validates and cross-checks the configuration.
 *
 * Layers, later beats earlier: schema defaults -> config file (`opts.file`, else the file
 * named by env JHA_CONFIG) -> env vars -> command-line flags. Then the rules between keys
 * (./rules.ts); the values derived from the result are in ./derived.ts.
 */
import fs from 'node:fs';
import convict from 'convict';
import { ConfigError, errorMessage } from '../errors';
import { deepFreeze } from './derived';
import { checkCrossFieldRules, clip } from './rules';
import { buildSchema, CONFIG_FILE_ENV, flagName, listKeys, type KeyInfo } from './schema';
import type { Config } from './types';

export type { Config, ResolvedTimings } from './types';
// The rules and derived values live in ./rules.ts and ./derived.ts; callers import them from here.
export { checkCrossFieldRules, requireRunnable } from './rules';
export { advertisedApiUrl, clientTimings, redactedConfig, resolveGitDir, resolveIoTimeoutMs, resolveLockTimings, resolveTimings, safetySettingsOf, sessionRefreshLagMs } from './derived';

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
