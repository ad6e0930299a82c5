/**
 * The value formats of the schema's keys. Named convict formats (registered once, with a strict
 * coercion of env/flag strings) for numbers, booleans and lists; plain functions for the rest.
 * src/config/doc.ts names a key's type from the format: keep the function names.
 */
import convict from 'convict';
import { globProblem } from '../../util/sync-globs';
import { NAME_PATTERN, NAME_RULE } from './names';

const INT_STRING = /^[+-]?\d+$/;
const DECIMAL_STRING = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Strings from env vars and flags: strict numeric syntax only, else left as is (and rejected). */
function coerceInt(val: unknown): unknown {
  if (typeof val === 'string' && INT_STRING.test(val.trim())) return Number(val.trim());
  return val;
}

function coerceDecimal(val: unknown): unknown {
  if (typeof val === 'string' && DECIMAL_STRING.test(val.trim())) return Number(val.trim());
  return val;
}

const registeredFormats = new Set<string>();

function registerFormat(name: string, validate: (val: unknown) => void, coerce: (val: unknown) => unknown): string {
  if (!registeredFormats.has(name)) {
    convict.addFormat({ name, validate, coerce });
    registeredFormats.add(name);
  }
  return name;
}

/**
 * A named convict format for an integer in [min, max] (named, not a plain function, so that
 * env/flag strings are coerced strictly: "10s" or "abc" stay strings and fail validation,
 * instead of convict's parseFloat turning "10s" into 10).
 */
export function intFormat(min: number, max: number = Number.MAX_SAFE_INTEGER): string {
  const rule =
    max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer between ${min} and ${max}`;
  return registerFormat(
    `jha-int[${min},${max}]`,
    (val) => {
      if (typeof val !== 'number' || !Number.isInteger(val) || val < min || val > max) throw new Error(rule);
    },
    coerceInt,
  );
}

/** A number in the open interval (0, 1). */
export function openUnitFormat(): string {
  return registerFormat(
    'jha-ratio(0,1)',
    (val) => {
      if (typeof val !== 'number' || !Number.isFinite(val) || val <= 0 || val >= 1) {
        throw new Error('must be a number greater than 0 and less than 1');
      }
    },
    coerceDecimal,
  );
}

/** true/false; from env vars and flags only the strings "true" and "false". */
export function booleanFormat(): string {
  return registerFormat(
    'jha-boolean',
    (val) => {
      if (typeof val !== 'boolean') throw new Error('must be true or false');
    },
    (val) => (val === 'true' ? true : val === 'false' ? false : val),
  );
}

/**
 * ZooKeeper digest credentials `user:password`, or empty for none. The value is sensitive:
 * the rule never quotes it.
 */
export function zkAuthFormat(val: unknown): void {
  if (typeof val !== 'string' || (val !== '' && !/^[^:\s]+:[^\r\n]+$/.test(val))) {
    throw new Error('must be empty or user:password (a user without ":" or whitespace, then a non-empty password on one line)');
  }
}

/** A SASL user name (zk.sasl.user): empty, or up to 256 characters without whitespace, quotes or backslashes. */
export function saslUserFormat(val: unknown): void {
  if (typeof val !== 'string' || (val !== '' && !/^[^\s"'\\]{1,256}$/.test(val))) {
    throw new Error('must be empty or a user name of up to 256 characters without whitespace, quotes or backslashes');
  }
}

export function nameFormat(val: unknown): void {
  if (typeof val !== 'string' || !NAME_PATTERN.test(val)) throw new Error(NAME_RULE);
}

export function hostFormat(val: unknown): void {
  if (typeof val !== 'string' || val.length === 0 || /\s/.test(val)) {
    throw new Error('must be a non-empty host name or address without whitespace');
  }
}

const ZK_SERVER = /^[A-Za-z0-9._-]+:(\d{1,5})$/;
const ZK_CHROOT = /^(?:\/[^/\s,]+)+$/;

/** `host:port[,host:port...][/chroot]` (the format node-zookeeper-client accepts). */
export function zkConnectFormat(val: unknown): void {
  const rule = 'must be a comma-separated list of host:port with an optional /chroot suffix (no trailing slash)';
  if (typeof val !== 'string' || val.length === 0) throw new Error(rule);
  const slash = val.indexOf('/');
  const servers = slash === -1 ? val : val.slice(0, slash);
  const chroot = slash === -1 ? '' : val.slice(slash);
  if (chroot !== '' && !ZK_CHROOT.test(chroot)) throw new Error(rule);
  for (const server of servers.split(',')) {
    const m = ZK_SERVER.exec(server);
    const port = m?.[1] === undefined ? NaN : Number(m[1]);
    if (!(port >= 1 && port <= 65535)) throw new Error(rule);
  }
}

/** An absolute znode path without a trailing slash, not under the reserved /zookeeper. */
export function zkRootFormat(val: unknown): void {
  const rule = 'must be an absolute znode path starting with "/" without a trailing "/" (e.g. /jenkins-ha)';
  if (typeof val !== 'string' || !/^(?:\/[^/\s]+)+$/.test(val) || val.includes('\u0000')) throw new Error(rule);
  const segments = val.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..')) throw new Error(rule);
  if (segments[0] === 'zookeeper') throw new Error('must not be under the reserved /zookeeper tree');
}

/** An absolute path (fencing.watchdog.device). */
export function absolutePathFormat(val: unknown): void {
  if (typeof val !== 'string' || !val.startsWith('/') || val.includes('\u0000')) throw new Error('must be an absolute path');
}

/** An absolute path or empty (fencing.watchdog.sysfsDir). */
export function optionalAbsolutePathFormat(val: unknown): void {
  if (typeof val !== 'string' || (val !== '' && (!val.startsWith('/') || val.includes('\u0000')))) {
    throw new Error('must be an absolute path or empty');
  }
}

/** Any string without NUL; empty allowed. Absoluteness is checked by `requireRunnable`. */
export function pathFormat(val: unknown): void {
  if (typeof val !== 'string' || val.includes('\u0000')) throw new Error('must be a file system path');
}

/** A byte size as body-parser reads it: digits with an optional b|kb|mb unit, at most 10mb. */
export function bodyLimitFormat(val: unknown): void {
  const rule = 'must be a size such as 16kb, 1mb or 4096 (bytes), between 1 byte and 10mb';
  const m = typeof val === 'string' ? /^(\d+)(b|kb|mb)?$/i.exec(val.trim()) : null;
  if (!m || m[1] === undefined) throw new Error(rule);
  const unit = (m[2] ?? 'b').toLowerCase();
  const bytes = Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
  if (!(bytes >= 1 && bytes <= 10 * 1024 * 1024)) throw new Error(rule);
}

/**
 * A list of shell command lines (fencing.methods). From a file: a JSON array of strings. From an
 * env var or a flag: a JSON array (`["cmd1","cmd2"]`), or one command line (a list of one), or
 * empty (no commands).
 */
export function commandListFormat(): string {
  return registerFormat(
    'jha-command-list',
    (val) => {
      // An object in a file is merged INTO the default array by convict (as named properties):
      // only plain index keys make a list.
      if (!Array.isArray(val) || Object.keys(val).length !== val.length || val.some((c) => typeof c !== 'string' || c.trim().length === 0)) {
        throw new Error('must be a list of non-empty shell command lines (a JSON array of strings)');
      }
    },
    (val) => {
      if (typeof val !== 'string') return val;
      const text = val.trim();
      if (text === '') return [];
      if (!text.startsWith('[')) return [val];
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return val;
      }
    },
  );
}

export function commandFormat(val: unknown): void {
  if (typeof val !== 'string' || val.trim().length === 0) throw new Error('must be a non-empty shell command line');
}

/** An optional shell command line: empty (none) or a non-blank line without NUL bytes. */
export function optionalCommandFormat(val: unknown): void {
  if (typeof val !== 'string' || val.includes('\u0000') || (val !== '' && val.trim() === '')) {
    throw new Error('must be empty or a shell command line');
  }
}

export function httpUrlFormat(val: unknown): void {
  const rule = 'must be an http:// or https:// URL';
  if (typeof val !== 'string') throw new Error(rule);
  let url: URL;
  try {
    url = new URL(val);
  } catch {
    throw new Error(rule);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') throw new Error(rule);
}

/**
 * Certificate subjects in RFC 2253 form (they contain commas): a JSON array in the file; from env
 * and flags a JSON array, one subject (a list of one) or empty (none).
 */
export function x509SubjectsFormat(): string {
  return registerFormat(
    'jha-x509-subjects',
    (val) => {
      if (!Array.isArray(val) || Object.keys(val).length !== val.length || val.some((v) => typeof v !== 'string' || !/^[A-Za-z0-9.]+=/.test(v))) {
        throw new Error('must be a list of certificate subjects such as "CN=jenkins-ha,O=Example" (a JSON array of strings)');
      }
    },
    (val) => {
      if (typeof val !== 'string') return val;
      const t = val.trim();
      if (t === '') return [];
      if (!t.startsWith('[')) return [t];
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return val;
      }
    },
  );
}

export function stringFormat(val: unknown): void {
  if (typeof val !== 'string') throw new Error('must be a string');
}

/** A git branch name (a safe subset of what git allows). */
export function branchFormat(val: unknown): void {
  if (typeof val !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(val) || val.includes('..') || val.endsWith('/') || val.endsWith('.lock')) {
    throw new Error('must be a branch name of [A-Za-z0-9._/-] starting with a letter or digit');
  }
}

/**
 * A list of globs relative to JENKINS_HOME. In the file a JSON array; from env and flags a
 * comma-separated string (`*.xml,jobs/**\/config.xml`) or a JSON array.
 */
export function globsFormat(): string {
  return registerFormat(
    'jha-globs',
    (val) => {
      if (!Array.isArray(val)) throw new Error('must be a list of globs (JSON array, or comma-separated from env/flags)');
      for (const g of val as unknown[]) {
        if (typeof g !== 'string') throw new Error('must be a list of strings');
        const problem = globProblem(g);
        if (problem !== null) throw new Error(`glob ${JSON.stringify(g)} ${problem}`);
      }
    },
    (val) => {
      if (typeof val !== 'string') return val;
      const t = val.trim();
      if (t.startsWith('[')) {
        try {
          return JSON.parse(t) as unknown;
        } catch {
          return val;
        }
      }
      return t === '' ? [] : t.split(',').map((g) => g.trim());
    },
  );
}
