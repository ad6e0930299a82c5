/**
 * Options of the operator commands (status, switchover, pause, resume, history, failover). Pure: the
 * command's own flags are taken out, configuration flags (`--zk-connect ...`, any key of the
 * schema) are passed on to loadConfig, anything else is a usage error (exit 64).
 */
import { parseDurationMs, parseDurationSeconds } from './duration';
import { BadValueError, UsageError } from './errors';

// In cli/errors.ts, which `jenkins-ha run` loads without this file (start-up, docs/benchmarks.md).
export { BadValueError, UsageError } from './errors';

export type OpsCommand = 'status' | 'switchover' | 'pause' | 'resume' | 'history' | 'failover';
export const OPS_COMMANDS: readonly OpsCommand[] = ['status', 'switchover', 'pause', 'resume', 'history', 'failover'];

export function isOpsCommand(c: string): c is OpsCommand {
  return (OPS_COMMANDS as readonly string[]).includes(c);
}

export interface StatusOptions {
  json: boolean;
  /** `--watch [INTERVAL]`: redraw every intervalMs until Ctrl-C / SIGTERM. */
  watchMs?: number;
}

/** `status --watch` without an interval redraws every 2 s, as `watch` does. */
export const DEFAULT_WATCH_MS = 2000;
export const MIN_WATCH_MS = 200;
export const MAX_WATCH_MS = 3_600_000;
export interface SwitchoverOptions {
  candidate?: string;
  reason?: string;
  /** `--at`: as typed (cli/at.ts turns it into an ISO time when the command runs). */
  at?: string;
  /** `--cancel`: cancel the scheduled or pending switchover (DELETE /switchover). */
  cancel?: boolean;
  wait: boolean;
  timeoutMs: number;
}
export interface PauseOptions {
  ttlSeconds?: number;
  reason?: string;
  /** The leader drains Jenkins and stops it for the pause (e.g. an upgrade). */
  drain?: boolean;
}
/** Forced failover: `--confirm-fenced NODE [--reason TEXT]`. */
export interface FailoverOptions {
  confirmFenced: string;
  reason?: string;
}
export interface HistoryOptions {
  limit: number;
  json: boolean;
}

export type OpsOptions =
  | { command: 'status'; opts: StatusOptions }
  | { command: 'switchover'; opts: SwitchoverOptions }
  | { command: 'pause'; opts: PauseOptions }
  | { command: 'resume'; opts: Record<string, never> }
  | { command: 'history'; opts: HistoryOptions }
  | { command: 'failover'; opts: FailoverOptions };

export interface ParsedOps {
  parsed: OpsOptions;
  /** Configuration flags (with their values) for loadConfig. */
  configArgs: string[];
}

export const DEFAULT_SWITCHOVER_TIMEOUT_MS = 60_000;
export const DEFAULT_HISTORY_LIMIT = 20;
/** The controllers keep this many history entries (cluster-view.ts HISTORY_KEEP). */
export const MAX_HISTORY_LIMIT = 200;

/** Flags of each command: true = takes a value, 'optional' = may take one (the next token unless it is a flag). */
const FLAGS: Readonly<Record<OpsCommand, Readonly<Record<string, boolean | 'optional'>>>> = {
  status: { '--json': false, '--watch': 'optional' },
  switchover: { '--candidate': true, '--reason': true, '--at': true, '--cancel': false, '--wait': false, '--timeout': true },
  pause: { '--ttl': true, '--reason': true, '--drain': false },
  resume: {},
  history: { '--limit': true, '--json': false },
  failover: { '--confirm-fenced': true, '--reason': true },
};

/**
 * Parses the arguments after the command name. `configFlags` are the flags of the configuration
 * schema (`--zk-connect`, ...); they and their values go to `configArgs`.
 */
export function parseOpsArgs(command: OpsCommand, rest: readonly string[], configFlags: ReadonlySet<string>): ParsedOps {
  const own = FLAGS[command];
  const values = new Map<string, string | true>();
  const configArgs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] ?? '';
    const eq = token.indexOf('=');
    const flag = token.startsWith('--') && eq !== -1 ? token.slice(0, eq) : token;
    const inline = token.startsWith('--') && eq !== -1 ? token.slice(eq + 1) : undefined;
    const takesValue = own[flag];
    if (takesValue !== undefined) {
      if (values.has(flag)) throw new UsageError(`${command}: ${flag} is given more than once`);
      if (!takesValue) {
        if (inline !== undefined) throw new UsageError(`${command}: ${flag} takes no value`);
        values.set(flag, true);
        continue;
      }
      let v = inline;
      if (v === undefined && takesValue === 'optional') {
        const next = rest[i + 1];
        if (next === undefined || next.startsWith('-')) {
          values.set(flag, true);
          continue;
        }
      }
      if (v === undefined) {
        v = rest[i + 1];
        if (v === undefined) throw new UsageError(`${command}: ${flag} needs a value`);
        i++;
      }
      values.set(flag, v);
      continue;
    }
    if (configFlags.has(flag)) {
      configArgs.push(token);
      if (inline === undefined) {
        const v = rest[i + 1];
        if (v !== undefined) {
          configArgs.push(v);
          i++;
        }
      }
      continue;
    }
    if (token.startsWith('-')) throw new UsageError(`${command}: unknown option ${flag}`);
    throw new UsageError(`${command}: unexpected argument ${JSON.stringify(token)}`);
  }

  const str = (flag: string): string | undefined => {
    const v = values.get(flag);
    if (v === undefined || v === true) return undefined;
    if (v.trim() === '') throw new UsageError(`${command}: ${flag} must not be empty`);
    return v;
  };
  const bool = (flag: string): boolean => values.get(flag) === true;
  const duration = <T>(flag: string, parse: (t: string) => T): T | undefined => {
    const v = str(flag);
    if (v === undefined) return undefined;
    try {
      return parse(v);
    } catch (err) {
      throw new UsageError(`${command}: ${flag}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  switch (command) {
    case 'status': {
      const json = bool('--json');
      if (!values.has('--watch')) return { parsed: { command, opts: { json } }, configArgs };
      if (json) throw new UsageError('status: --watch draws a table for people; it does not combine with --json');
      return { parsed: { command, opts: { json, watchMs: watchInterval(values.get('--watch')) } }, configArgs };
    }
    case 'switchover': {
      const candidate = str('--candidate');
      const reason = str('--reason');
      const timeoutMs = duration('--timeout', parseDurationMs);
      const wait = bool('--wait');
      const at = str('--at');
      if (timeoutMs !== undefined && !wait) throw new UsageError('switchover: --timeout only applies with --wait');
      if (bool('--cancel')) {
        if (candidate !== undefined || reason !== undefined || at !== undefined || wait || timeoutMs !== undefined) {
          throw new UsageError('switchover: --cancel takes no other flag');
        }
        return { parsed: { command, opts: { cancel: true, wait: false, timeoutMs: DEFAULT_SWITCHOVER_TIMEOUT_MS } }, configArgs };
      }
      if (at !== undefined && wait) throw new UsageError('switchover: --wait does not combine with --at (follow it with jenkins-ha status --watch)');
      return {
        parsed: {
          command,
          opts: {
            ...(candidate !== undefined ? { candidate } : {}),
            ...(reason !== undefined ? { reason } : {}),
            ...(at !== undefined ? { at } : {}),
            wait,
            timeoutMs: timeoutMs ?? DEFAULT_SWITCHOVER_TIMEOUT_MS,
          },
        },
        configArgs,
      };
    }
    case 'pause': {
      const ttlSeconds = duration('--ttl', parseDurationSeconds);
      const reason = str('--reason');
      return {
        parsed: {
          command,
          opts: { ...(ttlSeconds !== undefined ? { ttlSeconds } : {}), ...(reason !== undefined ? { reason } : {}), ...(bool('--drain') ? { drain: true } : {}) },
        },
        configArgs,
      };
    }
    case 'resume':
      return { parsed: { command, opts: {} }, configArgs };
    case 'failover': {
      const confirmFenced = str('--confirm-fenced');
      if (confirmFenced === undefined) {
        throw new UsageError('failover: --confirm-fenced NODE is required: the id of the previous active whose host you know to be off');
      }
      const reason = str('--reason');
      return { parsed: { command, opts: { confirmFenced, ...(reason !== undefined ? { reason } : {}) } }, configArgs };
    }
    case 'history': {
      const l = str('--limit');
      let limit = DEFAULT_HISTORY_LIMIT;
      if (l !== undefined) {
        if (!/^\d+$/.test(l) || Number(l) < 1 || Number(l) > MAX_HISTORY_LIMIT) {
          throw new UsageError(`history: --limit must be a whole number from 1 to ${MAX_HISTORY_LIMIT}: ${JSON.stringify(l)}`);
        }
        limit = Number(l);
      }
      return { parsed: { command, opts: { limit, json: bool('--json') } }, configArgs };
    }
  }
}

/** The interval of `status --watch`: a duration (2s, 500ms, 1m, or seconds) in [MIN, MAX]. Throws BadValueError. */
function watchInterval(v: string | true | undefined): number {
  if (v === undefined || v === true) return DEFAULT_WATCH_MS;
  let ms: number;
  try {
    ms = parseDurationMs(v);
  } catch (err) {
    throw new BadValueError(`status: --watch ${JSON.stringify(v)}: ${err instanceof Error ? err.message : String(err)}; give an interval such as 2s, 500ms or 1m`);
  }
  if (ms < MIN_WATCH_MS || ms > MAX_WATCH_MS) {
    throw new BadValueError(`status: --watch ${JSON.stringify(v)} is ${ms} ms; the interval must be from ${MIN_WATCH_MS} ms to 1h (e.g. 2s)`);
  }
  return ms;
}
