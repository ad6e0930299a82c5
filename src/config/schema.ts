/**
 * The configuration schema: every key with its doc, format, default, env var and flag.
 *
 * Env var and flag names are never written by hand: `buildSchema` derives them from the
 * key path with `envName` / `argName`, so the naming rule cannot drift (a unit test walks
 * the schema and checks both rules for every key).
 *
 * This module is internal to src/config: the rest of the code base uses the plain `Config`
 * type from ./types.ts and `loadConfig` from ./load.ts, never convict.
 */
import os from 'node:os';
import convict from 'convict';
import type { Config, FlockTimeoutAction, JenkinsMode, LogFormat, LogLevel, SyncMode, WatchdogMode } from './types';
import { DEFAULT_INCLUDE, globProblem } from '../util/sync-globs';

// ---------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------

/** The only keys whose env var does not follow the `JHA_<UPPER_SNAKE_PATH>` rule. */
export const ENV_EXCEPTIONS: ReadonlyMap<string, string> = new Map([
  ['cluster.name', 'JHA_CLUSTER'],
  ['jenkins.home', 'JENKINS_HOME'],
]);

/** Env var that names the config file when `loadConfig` is not given one. */
export const CONFIG_FILE_ENV = 'JHA_CONFIG';

/** Splits a key path into lower-case words: `zk.sessionTimeoutMs` -> zk, session, timeout, ms. */
function pathWords(path: string): string[] {
  return path
    .split('.')
    .flatMap((segment) =>
      segment
        .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
        .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
        .split(/[\s_-]+/),
    )
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

/**
 * Env var of a key: `JHA_` + the key path in UPPER_SNAKE case
 * (`zk.sessionTimeoutMs` -> `JHA_ZK_SESSION_TIMEOUT_MS`), except the keys in `ENV_EXCEPTIONS`
 * (`jenkins.home` -> `JENKINS_HOME`, `cluster.name` -> `JHA_CLUSTER`).
 */
export function envName(path: string): string {
  const exception = ENV_EXCEPTIONS.get(path);
  if (exception !== undefined) return exception;
  return `JHA_${pathWords(path)
    .map((w) => w.toUpperCase())
    .join('_')}`;
}

/**
 * Command-line flag of a key, as convict's `arg` (without the leading `--`): the key path in
 * kebab case, dots become dashes (`zk.sessionTimeoutMs` -> `zk-session-timeout-ms`, used as
 * `--zk-session-timeout-ms`).
 */
export function argName(path: string): string {
  return pathWords(path).join('-');
}

/** The flag as typed on the command line: `--` + `argName(path)`. */
export function flagName(path: string): string {
  return `--${argName(path)}`;
}

// ---------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------

/** Charset of cluster.name and node.id (node.id is embedded in znode names). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const NAME_RULE = 'must be 1-63 characters of [A-Za-z0-9_.-] starting with a letter or digit';

/**
 * Turns a host name into a valid node id: characters outside [A-Za-z0-9_.-] become `-`,
 * leading characters that are not a letter or digit are dropped, the result is cut to 63
 * characters; `node` if nothing is left.
 */
export function sanitizeNodeId(hostname: string): string {
  const id = hostname
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return id.length > 0 ? id : 'node';
}

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
function intFormat(min: number, max: number = Number.MAX_SAFE_INTEGER): string {
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
function openUnitFormat(): string {
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
function booleanFormat(): string {
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
function zkAuthFormat(val: unknown): void {
  if (typeof val !== 'string' || (val !== '' && !/^[^:\s]+:[^\r\n]+$/.test(val))) {
    throw new Error('must be empty or user:password (a user without ":" or whitespace, then a non-empty password on one line)');
  }
}

function nameFormat(val: unknown): void {
  if (typeof val !== 'string' || !NAME_PATTERN.test(val)) throw new Error(NAME_RULE);
}

function hostFormat(val: unknown): void {
  if (typeof val !== 'string' || val.length === 0 || /\s/.test(val)) {
    throw new Error('must be a non-empty host name or address without whitespace');
  }
}

const ZK_SERVER = /^[A-Za-z0-9._-]+:(\d{1,5})$/;
const ZK_CHROOT = /^(?:\/[^/\s,]+)+$/;

/** `host:port[,host:port...][/chroot]` (the format node-zookeeper-client accepts). */
function zkConnectFormat(val: unknown): void {
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
function zkRootFormat(val: unknown): void {
  const rule = 'must be an absolute znode path starting with "/" without a trailing "/" (e.g. /jenkins-ha)';
  if (typeof val !== 'string' || !/^(?:\/[^/\s]+)+$/.test(val) || val.includes('\u0000')) throw new Error(rule);
  const segments = val.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..')) throw new Error(rule);
  if (segments[0] === 'zookeeper') throw new Error('must not be under the reserved /zookeeper tree');
}

/** An absolute path (fencing.watchdog.device). */
function absolutePathFormat(val: unknown): void {
  if (typeof val !== 'string' || !val.startsWith('/') || val.includes('\u0000')) throw new Error('must be an absolute path');
}

/** An absolute path or empty (fencing.watchdog.sysfsDir). */
function optionalAbsolutePathFormat(val: unknown): void {
  if (typeof val !== 'string' || (val !== '' && (!val.startsWith('/') || val.includes('\u0000')))) {
    throw new Error('must be an absolute path or empty');
  }
}

/** Any string without NUL; empty allowed. Absoluteness is checked by `requireRunnable`. */
function pathFormat(val: unknown): void {
  if (typeof val !== 'string' || val.includes('\u0000')) throw new Error('must be a file system path');
}

/** A byte size as body-parser reads it: digits with an optional b|kb|mb unit, at most 10mb. */
function bodyLimitFormat(val: unknown): void {
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
function commandListFormat(): string {
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

function commandFormat(val: unknown): void {
  if (typeof val !== 'string' || val.trim().length === 0) throw new Error('must be a non-empty shell command line');
}

/** An optional shell command line: empty (none) or a non-blank line without NUL bytes. */
function optionalCommandFormat(val: unknown): void {
  if (typeof val !== 'string' || val.includes('\u0000') || (val !== '' && val.trim() === '')) {
    throw new Error('must be empty or a shell command line');
  }
}

function httpUrlFormat(val: unknown): void {
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

function stringFormat(val: unknown): void {
  if (typeof val !== 'string') throw new Error('must be a string');
}


/** A git branch name (a safe subset of what git allows). */
function branchFormat(val: unknown): void {
  if (typeof val !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(val) || val.includes('..') || val.endsWith('/') || val.endsWith('.lock')) {
    throw new Error('must be a branch name of [A-Za-z0-9._/-] starting with a letter or digit');
  }
}

/**
 * A list of globs relative to JENKINS_HOME. In the file a JSON array; from env and flags a
 * comma-separated string (`*.xml,jobs/**\/config.xml`) or a JSON array.
 */
function globsFormat(): string {
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

const JENKINS_MODES: JenkinsMode[] = ['child', 'service'];
const SYNC_MODES: SyncMode[] = ['shared', 'git'];

const LOG_LEVELS: LogLevel[] = ['error', 'warn', 'info', 'debug'];
const LOG_FORMATS: LogFormat[] = ['json', 'text', 'auto'];
const FLOCK_ACTIONS: FlockTimeoutAction[] = ['refuse', 'proceed'];
const WATCHDOG_MODES: WatchdogMode[] = ['off', 'automatic', 'required'];

// ---------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------

/** One key, before `buildSchema` adds its env var and flag. */
export interface KeySpec<T> {
  readonly doc: string;
  readonly default: T;
  readonly format: string | string[] | ((val: unknown) => void);
  readonly sensitive?: boolean;
  /** How the default is shown in docs when it depends on the machine (e.g. the host name). */
  readonly docDefault?: string;
}

/** What a key's value may be. */
export type LeafValue = string | number | boolean | readonly string[];

/** A spec tree that mirrors `Config` key for key (checked by the compiler). */
export type SpecTree<T> = {
  readonly [K in keyof T]: T[K] extends LeafValue ? KeySpec<T[K]> : SpecTree<T[K]>;
};

export interface BuildSchemaOptions {
  /** Host name used for the defaults of node.id and node.host (default: `os.hostname()`). */
  readonly hostname?: string;
}

function keySpecs(hostname: string): SpecTree<Config> {
  return {
    cluster: {
      name: {
        doc: 'Name of the HA cluster; both nodes of a pair must use the same name. 1-63 characters of [A-Za-z0-9_.-], starting with a letter or digit.',
        format: nameFormat,
        default: 'jenkins',
      },
    },
    node: {
      id: {
        doc: 'Stable, unique id of this node, embedded in its election znode name. Same charset as cluster.name. Defaults to the host name with other characters replaced by "-".',
        format: nameFormat,
        default: sanitizeNodeId(hostname),
        docDefault: 'host name (sanitized)',
      },
      host: {
        doc: 'Host name or address the other node and clients use to reach this node.',
        format: hostFormat,
        default: hostname,
        docDefault: 'host name',
      },
    },
    zk: {
      connect: {
        doc: 'ZooKeeper connect string: comma-separated host:port list with an optional /chroot suffix.',
        format: zkConnectFormat,
        default: '127.0.0.1:2181',
      },
      root: {
        doc: 'Root znode of all jenkins-ha data; starts with "/", no trailing "/".',
        format: zkRootFormat,
        default: '/jenkins-ha',
      },
      sessionTimeoutMs: {
        doc: 'Requested ZooKeeper session timeout in ms; integer 400..600000. The server may negotiate another value (within 2..20 x its tickTime); the derived timings follow the negotiated one.',
        format: intFormat(400, 600000),
        default: 10000,
      },
      spinDelayMs: {
        doc: 'Delay between ZooKeeper reconnect attempts in ms; integer 10..5000.',
        format: intFormat(10, 5000),
        default: 100,
      },
      pingIntervalMs: {
        doc: 'Interval of liveness requests to ZooKeeper in ms; 0 = session timeout / 6. Two must fit in the fencing deadline (session timeout * fencing.deadlineRatio).',
        format: intFormat(0, 600000),
        default: 0,
      },
      requestTimeoutMs: {
        doc: 'Timeout of every ZooKeeper call in ms; 0 = session timeout / 3. Must not exceed the fencing deadline (session timeout * fencing.deadlineRatio).',
        format: intFormat(0, 600000),
        default: 0,
      },
      tickTimeMs: {
        doc: 'The ZooKeeper servers\' tickTime (zoo.cfg) in ms; integer 1..600000. A follower passes our session\'s activity on to the ZooKeeper leader only with its next ping (every tickTime / 2), so the session can expire max(zk.pingIntervalMs, tickTimeMs / 2) before lastHeard + session timeout; the fencing rule keeps that much more room (see fencing.marginMs).',
        format: intFormat(1, 600000),
        default: 2000,
      },
      auth: {
        doc: 'ZooKeeper digest credentials user:password; empty = none. When set, every session authenticates with them and every znode jenkins-ha creates gets an ACL that lets only this identity change it (see docs/security.md). Sensitive: masked by redactedConfig and never echoed; prefer the env var to the config file or a flag.',
        format: zkAuthFormat,
        default: '',
        sensitive: true,
      },
      worldRead: {
        doc: 'With zk.auth set: whether anyone may read (not change) the znodes jenkins-ha creates, so that tools without the credentials can still watch the cluster. true|false.',
        format: booleanFormat(),
        default: true,
      },
    },
    fencing: {
      deadlineRatio: {
        doc: 'Number in (0,1). A leader starts stopping Jenkins when lastHeard + deadlineRatio * session timeout passes without a ZooKeeper reply.',
        format: openUnitFormat(),
        default: 0.5,
      },
      marginMs: {
        doc: 'Safety margin in ms kept before the session could expire; integer >= 0. Rule: session timeout * deadlineRatio + jenkins.fenceKillAfterMs + marginMs + max(zk.pingIntervalMs, zk.tickTimeMs / 2) <= session timeout.',
        format: intFormat(0),
        default: 200,
      },
      methods: {
        doc: 'Fencing methods: shell command lines tried in order before a new leader starts Jenkins when the previous active did not exit cleanly; the first to exit 0 fences it. Env and flag take a JSON array or one command line. Empty = no fencing command. See docs/safety.md for the environment they get.',
        format: commandListFormat(),
        default: [],
      },
      timeoutMs: {
        doc: 'Time limit of one fencing method in ms; its process group is killed when it runs longer (counts as failed). Integer 100..3600000.',
        format: intFormat(100, 3600000),
        default: 30000,
      },
      retryBackoffMs: {
        doc: 'Delay in ms before the fencing methods are tried again after all of them failed; doubles per round up to retryBackoffMaxMs. Integer >= 100.',
        format: intFormat(100),
        default: 5000,
      },
      retryBackoffMaxMs: {
        doc: 'Upper bound of the fencing retry delay in ms; integer >= fencing.retryBackoffMs.',
        format: intFormat(100),
        default: 60000,
      },
      watchdog: {
        mode: {
          doc: 'Linux host watchdog (softdog), held open while this node runs Jenkins and kept alive only while it can prove its leadership: off; automatic (use it if it can be validated, else warn and run without); required (a node that cannot arm a valid watchdog does not start Jenkins; a problem found at start-up is a configuration error). See docs/safety.md.',
          format: WATCHDOG_MODES,
          default: 'off',
        },
        device: {
          doc: 'Watchdog device opened while Jenkins runs here. The service user needs write access (udev rule); no other process may hold it (a watchdog daemon, systemd RuntimeWatchdogSec).',
          format: absolutePathFormat,
          default: '/dev/watchdog',
        },
        sysfsDir: {
          doc: 'Directory holding the device\'s timeout (seconds) and nowayout files; empty = /sys/class/watchdog/<name>, where /dev/watchdog is watchdog0 and /dev/watchdogN is watchdogN.',
          format: optionalAbsolutePathFormat,
          default: '',
        },
        safetyMarginMs: {
          doc: 'Time in ms kept between the latest host reset and the earliest session expiry. Rule, checked against the device\'s timeout: fence deadline (session timeout * fencing.deadlineRatio) + device timeout + safetyMarginMs <= session timeout, so the host resets before the session can expire even if the controller stalls right after a keepalive.',
          format: intFormat(0, 600000),
          default: 1000,
        },
      },
    },
    lock: {
      heartbeatMs: {
        doc: 'Storage lease: while Jenkins runs, the leader refreshes the heartbeat in JENKINS_HOME/.jenkins-ha.lock this often (ms), and checks there that no newer epoch took over. 0 = lock.leaseMs / 4. Integer 0..600000; must be < lock.leaseMs.',
        format: intFormat(0, 600000),
        default: 0,
      },
      leaseMs: {
        doc: 'Storage lease: a new leader that finds a lock of another epoch, not released, whose heartbeat is younger than this (ms) waits until it is older before starting Jenkins. 0 = zk.sessionTimeoutMs / 2 (shorter than a crashed leader\'s heartbeat can be old when its session expires, so a crash costs no wait). Node clocks must agree to well within it. Integer 0..3600000.',
        format: intFormat(0, 3600000),
        default: 0,
      },
      flockWaitMs: {
        doc: 'How long (ms) the shim waits for the exclusive flock on JENKINS_HOME/.jenkins-ha.flock before starting Jenkins; integer 0..3600000 (0 = try once).',
        format: intFormat(0, 3600000),
        default: 10000,
      },
      flockTimeoutAction: {
        doc: 'What the shim does when the flock is not acquired in time: refuse (do not start Jenkins; the leader reports it and retries) or proceed (start Jenkins anyway, logged as an error).',
        format: FLOCK_ACTIONS,
        default: 'refuse',
      },
    },
    jenkins: {
      home: {
        doc: 'JENKINS_HOME on shared storage. Required (absolute path) by the run command.',
        format: pathFormat,
        default: '',
      },
      command: {
        doc: 'Command line that runs Jenkins in the foreground, run with /bin/sh -c.',
        format: commandFormat,
        default: 'java -jar /usr/share/java/jenkins.war --httpPort=8080',
      },
      url: {
        doc: 'http(s) base URL of the local Jenkins; readiness is probed at its /login page.',
        format: httpUrlFormat,
        default: 'http://127.0.0.1:8080',
      },
      startupGraceMs: {
        doc: 'Start-up grace in ms: a starting Jenkins that is not ready yet is no failure for this long (a big JENKINS_HOME can take minutes); past it, it is restarted. Separate from the liveness probes, which start once it was ready. Integer 1000..86400000.',
        format: intFormat(1000, 86400000),
        default: 600000,
      },
      healthIntervalMs: {
        doc: 'Interval of liveness probes of a running Jenkins in ms; integer 100..3600000.',
        format: intFormat(100, 3600000),
        default: 5000,
      },
      healthTimeoutMs: {
        doc: 'Timeout of one readiness or liveness probe in ms; integer 100..600000.',
        format: intFormat(100, 600000),
        default: 2000,
      },
      livenessFailures: {
        doc: 'Consecutive failed liveness probes before Jenkins is restarted; integer 1..1000.',
        format: intFormat(1, 1000),
        default: 3,
      },
      stopTimeoutMs: {
        doc: 'Graceful stop: SIGTERM, then SIGKILL after this many ms; integer 0..3600000.',
        format: intFormat(0, 3600000),
        default: 30000,
      },
      fenceKillAfterMs: {
        doc: 'Grace in ms between SIGTERM and SIGKILL when self-fencing; integer 0..600000.',
        format: intFormat(0, 600000),
        default: 500,
      },
      restartBackoffMs: {
        doc: 'Initial delay in ms before restarting a crashed Jenkins; grows up to restartBackoffMaxMs. Integer >= 0, <= restartBackoffMaxMs.',
        format: intFormat(0),
        default: 1000,
      },
      restartBackoffMaxMs: {
        doc: 'Upper bound of the restart delay in ms; integer >= restartBackoffMs.',
        format: intFormat(0),
        default: 30000,
      },
      maxRestarts: {
        doc: 'More than this many crashes within restartWindowMs and the node resigns leadership; integer 0..1000.',
        format: intFormat(0, 1000),
        default: 3,
      },
      restartWindowMs: {
        doc: 'Window in ms in which crashes are counted against maxRestarts; integer >= 1000.',
        format: intFormat(1000),
        default: 600000,
      },
      mode: {
        doc: 'How Jenkins is run: child (jenkins.command under the watchdog shim, the default) or service (jenkins.startCommand/stopCommand of a service manager such as systemd, guarded by the service watchdog shim).',
        format: JENKINS_MODES,
        default: 'child',
      },
      startCommand: {
        doc: 'Service mode: command that starts the Jenkins service (e.g. systemctl start jenkins), run with /bin/sh -c. Required when jenkins.mode is service.',
        format: optionalCommandFormat,
        default: '',
      },
      stopCommand: {
        doc: 'Service mode: command that stops the Jenkins service (e.g. systemctl stop jenkins); bounded by jenkins.stopTimeoutMs (jenkins.fenceKillAfterMs when fencing), then the main pid is killed. Required when jenkins.mode is service.',
        format: optionalCommandFormat,
        default: '',
      },
      statusCommand: {
        doc: 'Service mode: command that exits 0 while the Jenkins service runs (e.g. systemctl is-active --quiet jenkins). A node that does not lead and finds the service running stops it. Empty = use jenkins.servicePidCommand.',
        format: optionalCommandFormat,
        default: '',
      },
      servicePidCommand: {
        doc: 'Service mode: command that prints the main pid of the Jenkins service, 0 or nothing when it does not run (e.g. systemctl show -p MainPID --value jenkins). Required when jenkins.mode is service.',
        format: optionalCommandFormat,
        default: '',
      },
      user: {
        doc: 'Jenkins user for the drain calls (quietDown) and the authenticated readiness check (/whoAmI); set together with jenkins.apiToken. Empty = anonymous.',
        format: stringFormat,
        default: '',
      },
      apiToken: {
        doc: 'API token of jenkins.user (HTTP basic auth). Sensitive: masked by redactedConfig; prefer the env var to the config file.',
        format: stringFormat,
        default: '',
        sensitive: true,
      },
      drainTimeoutMs: {
        doc: 'Drain before a planned handover (switchover, pause with drain, shutdown with --drain): Jenkins is put into quiet-down and stopped when no build runs, or after this many ms anyway; 0 = no drain. Integer 0..86400000.',
        format: intFormat(0, 86400000),
        default: 300000,
      },
      drainOnShutdown: {
        doc: 'Drain Jenkins (see jenkins.drainTimeoutMs) before stopping it when the controller shuts down (SIGTERM/SIGINT); the run command\'s --drain flag sets it. true|false.',
        format: booleanFormat(),
        default: false,
      },
    },
    election: {
      resignCooldownMs: {
        doc: 'How long (ms) a node that resigned leadership stays out of the election; integer >= 0.',
        format: intFormat(0),
        default: 60000,
      },
      switchoverTimeoutMs: {
        doc: 'How long (ms) a planned switchover may take before it is abandoned and any standby may take over; integer >= 1000.',
        format: intFormat(1000),
        default: 60000,
      },
    },
    eligibility: {
      intervalMs: {
        doc: 'How often (ms) a node whose Jenkins is not running checks whether it could take over; integer 100..3600000.',
        format: intFormat(100, 3600000),
        default: 30000,
      },
      maxWriteLatencyMs: {
        doc: 'Largest acceptable time (ms) to write, fsync and delete a probe file in JENKINS_HOME; slower storage makes the node ineligible. Integer 1..600000.',
        format: intFormat(1, 600000),
        default: 2000,
      },
      minFreeDiskMb: {
        doc: 'Least free space (MiB) on the file system of JENKINS_HOME; less makes the node ineligible. Integer >= 0 (0 = no check).',
        format: intFormat(0),
        default: 1024,
      },
      preflightCommand: {
        doc: 'Optional site check run with /bin/sh -c on every eligibility check (JENKINS_HOME in env); a non-zero exit or a timeout makes the node ineligible, its output is the reason. Empty = none.',
        format: optionalCommandFormat,
        default: '',
      },
      preflightTimeoutMs: {
        doc: 'Timeout of eligibility.preflightCommand in ms; integer 100..600000.',
        format: intFormat(100, 600000),
        default: 10000,
      },
    },
    api: {
      host: {
        doc: 'Address the HTTP status/control API listens on.',
        format: hostFormat,
        default: '127.0.0.1',
      },
      port: {
        doc: 'Port of the HTTP API; 0..65535 (0 = any free port).',
        format: intFormat(0, 65535),
        default: 8090,
      },
      token: {
        doc: 'Access token of the HTTP API; empty = none. Sensitive: masked by redactedConfig and never echoed in validation errors; prefer the env var to the config file.',
        format: stringFormat,
        default: '',
        sensitive: true,
      },
      readToken: {
        doc: 'Bearer token required by the read endpoints of the HTTP API (GET /, /status, /members, /history, /metrics); empty = open. The role probes (/leader, /standby, /health, /readiness) stay open for load balancers. api.token is accepted too. Sensitive.',
        format: stringFormat,
        default: '',
        sensitive: true,
      },
      bodyLimit: {
        doc: 'Largest accepted JSON request body of the HTTP API, e.g. 16kb; larger bodies answer 413.',
        format: bodyLimitFormat,
        default: '16kb',
      },
      tls: {
        cert: {
          doc: 'PEM certificate file of the HTTP API; with api.tls.key the API serves HTTPS. Empty = plain HTTP.',
          format: pathFormat,
          default: '',
        },
        key: {
          doc: 'PEM private key file of the HTTP API; required when api.tls.cert is set.',
          format: pathFormat,
          default: '',
        },
      },
    },
    log: {
      level: {
        doc: 'Log level: error|warn|info|debug.',
        format: LOG_LEVELS,
        default: 'info',
      },
      format: {
        doc: 'Log format: json|text|auto (auto = text when stdout is a TTY, else json).',
        format: LOG_FORMATS,
        default: 'auto',
      },
    },
    hooks: {
      onLeader: {
        doc: 'Shell command (/bin/sh -c) run when this node becomes the leader, once it holds its fencing epoch and before Jenkins is ready; empty = none. Env: JHA_HOOK, JHA_ROLE, JHA_PREVIOUS_ROLE, JHA_NODE_ID, JHA_CLUSTER, JHA_EPOCH, JHA_LEADER, JHA_PREVIOUS_LEADER. Never blocks the control loop; see docs/operating.md.',
        format: optionalCommandFormat,
        default: '',
      },
      onStandby: {
        doc: 'Shell command run when this node becomes a standby (joined and in line); empty = none. Same env as hooks.onLeader.',
        format: optionalCommandFormat,
        default: '',
      },
      onStopped: {
        doc: 'Shell command run when this node stops (graceful shutdown, or resigned leadership); empty = none. Same env as hooks.onLeader. It starts as the shutdown begins, beside Jenkins stopping; the process waits for it (bounded by hooks.timeoutMs) before exiting.',
        format: optionalCommandFormat,
        default: '',
      },
      timeoutMs: {
        doc: 'A hook still running after this many ms gets SIGTERM to its process group, SIGKILL 1 s later, and counts as failed; integer 100..3600000.',
        format: intFormat(100, 3600000),
        default: 30000,
      },
    },
    sync: {
      mode: {
        doc: 'shared: one JENKINS_HOME on shared storage (no replication). git: each node has its own local JENKINS_HOME; the leader commits the configuration to sync.repo and a new leader restores the recorded commit before starting Jenkins (docs/sync.md).',
        format: SYNC_MODES,
        default: 'shared',
      },
      repo: {
        doc: 'git mode: the repository the configuration is pushed to, a path or any URL git understands (ssh://, https://, file://). Required in git mode.',
        format: stringFormat,
        default: '',
      },
      branch: {
        doc: 'git mode: branch of sync.repo that holds the configuration.',
        format: branchFormat,
        default: 'main',
      },
      intervalMs: {
        doc: 'git mode: how often the leader commits and pushes changes (and a standby fetches), in ms; integer 200..86400000. The leader also pushes on a clean stop.',
        format: intFormat(200, 86400000),
        default: 60000,
      },
      include: {
        doc: 'git mode: globs relative to JENKINS_HOME to replicate (git glob rules: * within a directory, ** across). A JSON array in the file; comma-separated from env and flags.',
        format: globsFormat(),
        default: [...DEFAULT_INCLUDE],
      },
      exclude: {
        doc: 'git mode: globs relative to JENKINS_HOME never to replicate, even if included.',
        format: globsFormat(),
        default: [],
      },
      includeSecrets: {
        doc: 'git mode: also replicate secrets/** and secret.key (the keys that decrypt credentials). Off: they are excluded even if an include matches. true|false.',
        format: booleanFormat(),
        default: false,
      },
      allowStale: {
        doc: 'git mode: when the commit recorded in ZooKeeper cannot be obtained, start Jenkins from the newest commit this node has (logged as sync.stale_accepted) instead of yielding to another node. true|false.',
        format: booleanFormat(),
        default: false,
      },
      gitDir: {
        doc: 'git mode: the local git directory (absolute, outside JENKINS_HOME). Empty = a sibling of jenkins.home named after it, e.g. /var/lib/.jenkins.jenkins-ha.git for /var/lib/jenkins.',
        format: pathFormat,
        default: '',
      },
      gitTimeoutMs: {
        doc: 'git mode: timeout of one git command (fetch, push, ...) in ms; integer 1000..3600000.',
        format: intFormat(1000, 3600000),
        default: 30000,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

/** A leaf of the convict schema as built here. */
export interface SchemaLeaf extends KeySpec<LeafValue> {
  readonly env: string;
  readonly arg: string;
}

interface LooseSpecTree {
  readonly [key: string]: LooseSpecTree | KeySpec<LeafValue>;
}

interface LooseSchemaTree {
  [key: string]: LooseSchemaTree | SchemaLeaf;
}

function isLeaf<T>(node: object): node is KeySpec<T> {
  return Object.prototype.hasOwnProperty.call(node, 'default');
}

function decorate(tree: LooseSpecTree, prefix: string): LooseSchemaTree {
  const out: LooseSchemaTree = {};
  for (const [key, node] of Object.entries(tree)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    out[key] = isLeaf<LeafValue>(node)
      ? { ...node, env: envName(path), arg: argName(path) }
      : decorate(node, path);
  }
  return out;
}

/**
 * Builds the convict schema: every key of `keySpecs` plus its `env` (`envName(path)`) and
 * `arg` (`argName(path)`). Cheap; `loadConfig` builds a fresh one per call.
 */
export function buildSchema(opts: BuildSchemaOptions = {}): convict.Schema<Config> {
  const specs: LooseSpecTree = keySpecs(opts.hostname ?? os.hostname());
  return decorate(specs, '') as unknown as convict.Schema<Config>;
}

/** One key of the schema, flattened (for docs, error messages and tests). */
export interface KeyInfo extends SchemaLeaf {
  readonly path: string;
}

/** Every key of a schema built by `buildSchema`, in declaration order. */
export function listKeys(schema: convict.Schema<Config> = buildSchema()): KeyInfo[] {
  const out: KeyInfo[] = [];
  const walk = (tree: LooseSchemaTree, prefix: string): void => {
    for (const [key, node] of Object.entries(tree)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (isLeaf<LeafValue>(node)) out.push({ ...node, path });
      else walk(node, path);
    }
  };
  walk(schema as unknown as LooseSchemaTree, '');
  return out;
}
