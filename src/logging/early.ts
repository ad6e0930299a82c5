/**
 * The node's logger until it has joined the election (start-up, docs/benchmarks.md): winston and its
 * tree (logform, readable-stream, async, colors, diagnostics) cost ~60 ms of CPU to load and none of
 * it is needed to place our znode, so this module, which loads nothing of it, keeps the records
 * logged until then. `live()` (main.ts, once joined or after the join-first timeout) loads winston
 * and writes them through it in order, each with the `timestamp` and `mono` of the moment it was
 * logged; from then on every call goes to winston. The output is what createLogger's logger writes.
 *
 * A process that ends before `live()` still writes what it logged, synchronously and in the same
 * shape (logger.ts writeRecordsSync): on `exit` (process.exit, a config error's exit 2, an uncaught
 * exception), on SIGTERM/SIGINT/SIGHUP (written, then the signal's default action is restored and
 * the signal raised again, unless something else listens to it) and before cli.ts reports an error
 * (`flushEarlyLogsSync`). Only SIGKILL or a crash of node itself loses them.
 *
 * Nothing here redacts: callers pass what they log already redacted (util/secrets.ts), as they do
 * to winston; the records are only kept, never written anywhere else.
 */
import type { EarlyRecord, LogFields, LoggedAt, LogLevel, Logger, LoggerOptions } from './types';
import { monoNow } from '../util/clock';

/** What main.ts holds: the logger to hand out, and the switch to winston. */
export interface EarlyLogger {
  logger: Logger;
  /** Loads winston, writes the kept records through it, and sends every later call there. */
  live(): Promise<void>;
}

/** npm's levels, as winston filters them. */
const SEVERITY: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 5 };
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
/** Records kept at most; one more and they are written at once (a start-up logs a few dozen). */
export const MAX_KEPT = 1000;

interface Kept {
  from: BufferedLogger;
  level: LogLevel;
  message: string;
  fields: LogFields | undefined;
  at: LoggedAt;
}

class Sink {
  kept: Kept[] = [];
  /** winston's logger once live. */
  root: Logger | null = null;
  /** Written out synchronously already (the process is ending): later records are written at once. */
  direct = false;
  constructor(readonly opts: LoggerOptions) {}
}

const pending = new Set<Sink>();

/** A `Logger` whose records wait in its sink until it is live; children share the sink. */
export class BufferedLogger implements Logger {
  private real: Logger | null = null;
  constructor(
    private readonly sink: Sink,
    private readonly parent: BufferedLogger | null,
    private readonly meta: LogFields,
  ) {}
  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }
  child(fields: LogFields): Logger {
    return this.sink.root !== null ? this.winston().child(fields) : new BufferedLogger(this.sink, this, fields);
  }

  /** Every level's call (scripts/dev/startup-probe.js hooks it to time `election.joined`). */
  log(level: LogLevel, message: string, fields: LogFields | undefined): void {
    const sink = this.sink;
    if (sink.root !== null) return this.winston()[level](message, fields);
    if (SEVERITY[level] > SEVERITY[sink.opts.level]) return;
    const at = { timestamp: new Date().toISOString(), mono: Math.round(monoNow() * 1000) / 1000 };
    // A copy: a caller that reuses its fields object must not change a line not yet written.
    const kept = { from: this, level, message, fields: isPlain(fields) ? { ...fields } : fields, at };
    if (sink.direct) return writeSync(sink.opts, [kept]);
    sink.kept.push(kept);
    if (sink.kept.length > MAX_KEPT) flushSync(sink); // bounded: a storm before the join is written, not hoarded
  }

  /** This logger's winston counterpart (the root's child with the same fields, made once). */
  winston(): Logger {
    if (this.real === null) {
      const root = this.sink.root;
      if (root === null) throw new Error('early logger: not live yet');
      this.real = this.parent === null ? root : this.parent.winston().child(this.meta);
    }
    return this.real;
  }

  /** child() fields from the root down. */
  chain(): LogFields[] {
    return this.parent === null ? [] : [...this.parent.chain(), this.meta];
  }
}

function isPlain(v: unknown): v is LogFields {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function recordOf(k: Kept): EarlyRecord {
  return { level: k.level, message: k.message, fields: k.fields, chain: k.from.chain(), at: k.at };
}

function writeSync(opts: LoggerOptions, kept: Kept[]): void {
  if (kept.length === 0) return;
  // Synchronous by design: the process is ending, and an await would never resume.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { writeRecordsSync } = require('./logger') as typeof import('./logger');
  writeRecordsSync(opts, kept.map(recordOf));
}

/** A logger that keeps its records until `live()`; see the top of this file. */
export function createEarlyLogger(opts: LoggerOptions): EarlyLogger {
  const sink = new Sink(opts);
  track(sink);
  const logger = new BufferedLogger(sink, null, {});
  return {
    logger,
    async live(): Promise<void> {
      if (sink.root !== null) return;
      const { atLoggedTime, createLogger } = await import('./logger');
      const root = createLogger(opts);
      // winston's pipe to its transport flows from the next tick; from then on a call writes its
      // line before it returns, so each replayed line is formatted within atLoggedTime.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (sink.root !== null) return;
      sink.root = root;
      const kept = sink.kept;
      sink.kept = [];
      untrack(sink);
      for (const k of kept) {
        try {
          atLoggedTime(k.at, () => k.from.winston()[k.level](k.message, k.fields));
        } catch {
          // A call winston's format throws on (a bigint in the text format) threw at its caller
          // and wrote nothing before; here it must not cost the records after it.
        }
      }
    },
  };
}

/** Writes every record still kept, now (cli.ts, before it reports an error and exits). */
export function flushEarlyLogsSync(): void {
  for (const sink of [...pending]) flushSync(sink);
}

function flushSync(sink: Sink): void {
  untrack(sink);
  sink.direct = true;
  const kept = sink.kept;
  sink.kept = [];
  writeSync(sink.opts, kept);
}

function onExit(): void {
  flushEarlyLogsSync();
}

function onSignal(signal: NodeJS.Signals): void {
  flushEarlyLogsSync(); // removes these listeners as the last sink leaves
  // Nobody else listens: the default action (ending the process by this signal), as without us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function track(sink: Sink): void {
  if (pending.size === 0) {
    process.on('exit', onExit);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  pending.add(sink);
}

function untrack(sink: Sink): void {
  if (!pending.delete(sink) || pending.size > 0) return;
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}
