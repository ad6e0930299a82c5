/**
 * The one place that knows winston. Everything else logs through the small `Logger` interface,
 * so components can be handed a child logger (`component: 'election'`) or a silent one in tests.
 * Every state transition carries an `event` field (`elected`, `jenkins.started`, `fenced`, ...).
 *
 * A node logs through early.ts until it has joined: winston is loaded after the join, and what was
 * logged before goes through it then, with the time it was logged (`atLoggedTime`); a process that
 * ends before that writes those records with `writeRecordsSync` (the same formats, no streams).
 */
import * as os from 'node:os';
import winston from 'winston';
import { monoNow } from '../util/clock';
import type { EarlyRecord, LogFields, LoggedAt, Logger, LoggerOptions } from './types';

export type { LogFields, Logger, LoggerOptions, LogLevel } from './types';

class WinstonLogger implements Logger {
  constructor(private readonly w: winston.Logger) {}
  error(message: string, fields?: LogFields): void {
    this.w.error(message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.w.warn(message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.w.info(message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.w.debug(message, fields);
  }
  child(fields: LogFields): Logger {
    return new WinstonLogger(this.w.child(fields));
  }
}

/** When the record being written was logged: set by atLoggedTime around a replayed call. */
let loggedAt: LoggedAt | null = null;

/**
 * Runs `write` (one call on a winston logger) as if at `at`: its line carries that `timestamp` and
 * `mono`. winston formats synchronously within the call once its pipe flows (a tick after creation).
 */
export function atLoggedTime<T>(at: LoggedAt, write: () => T): T {
  loggedAt = at;
  try {
    return write();
  } finally {
    loggedAt = null;
  }
}

/** The replayed record's time, where logform's timestamp() puts it (a field named timestamp wins). */
const replayedTimestamp = winston.format((info) => {
  if (loggedAt !== null && !info.timestamp) info.timestamp = loggedAt.timestamp;
  return info;
});

/** CLOCK_MONOTONIC ms on every line: orders events across processes on one host. */
const addMono = winston.format((info) => {
  info.mono = loggedAt !== null ? loggedAt.mono : monoMs();
  return info;
});

/** `mono` as a line carries it: ms, three decimals. */
export function monoMs(): number {
  return Math.round(monoNow() * 1000) / 1000;
}

const textFormat = winston.format.printf((info) => {
  const { level, message, timestamp, event, component, mono, ...rest } = info;
  void mono;
  const extra = Object.entries(rest)
    .filter(([k]) => typeof k === 'string')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const ev = typeof event === 'string' ? ` [${event}]` : '';
  const comp = typeof component === 'string' ? ` ${component}:` : '';
  return `${String(timestamp)} ${level.toUpperCase().padEnd(5)}${comp}${ev} ${String(message)}${extra ? ' ' + extra : ''}`;
});

function formatOf(opts: LoggerOptions, stream: NodeJS.WritableStream): winston.Logform.Format {
  const isTty = (stream as NodeJS.WriteStream).isTTY === true;
  const format = opts.format === 'auto' ? (isTty ? 'text' : 'json') : opts.format;
  return winston.format.combine(
    winston.format.errors({ stack: false }),
    replayedTimestamp(),
    winston.format.timestamp(),
    addMono(),
    format === 'json' ? winston.format.json() : textFormat,
  );
}

export function createLogger(opts: LoggerOptions): Logger {
  const stream = opts.stream ?? process.stdout;
  const w = winston.createLogger({
    level: opts.level,
    defaultMeta: opts.base ?? {},
    format: formatOf(opts, stream),
    transports: [new winston.transports.Stream({ stream })],
  });
  return new WinstonLogger(w);
}

type Info = winston.Logform.TransformableInfo;
const LEVEL = Symbol.for('level');
const SPLAT = Symbol.for('splat');
const MESSAGE = Symbol.for('message');
/** winston's printf-style tokens: a message with one drops its fields (winston's Logger.log). */
const TOKENS = /%[scdjifoO%]/g;

/**
 * The info object winston 3's Logger builds for `child(chain[0])...child(chain[n]).level(message,
 * fields)` (Logger.log, then each child's write, innermost first); test/unit/logging checks it
 * against winston itself.
 */
function infoOf(base: LogFields, r: EarlyRecord): Info {
  const { level, message, fields } = r;
  let info: Info;
  if (typeof fields === 'object' && fields !== null && !(message && message.match(TOKENS))) {
    info = Object.assign({}, base, fields, { [LEVEL]: level, [SPLAT]: [fields], level, message });
    if (fields.message) info.message = `${String(info.message)} ${String(fields.message)}`;
    if (fields.stack) info.stack = fields.stack;
    if (fields.cause) info.cause = fields.cause;
  } else {
    info = Object.assign({}, base, { [LEVEL]: level, [SPLAT]: [fields], level, message });
  }
  for (let i = r.chain.length - 1; i >= 0; i--) info = Object.assign({}, r.chain[i], info);
  return info;
}

/**
 * Writes `records` now, synchronously, as createLogger's logger would have written them when they
 * were logged: the same info objects and formats, the same stream (stdout's writes are synchronous
 * on Linux for files, pipes and terminals), without winston's streams (they flow a tick later).
 * For a process that ends before its logger went live (early.ts).
 */
export function writeRecordsSync(opts: LoggerOptions, records: readonly EarlyRecord[]): void {
  const stream = opts.stream ?? process.stdout;
  const format = formatOf(opts, stream);
  const objectMode = (stream as { _writableState?: { objectMode?: boolean } })._writableState?.objectMode === true;
  for (const r of records) {
    let line: Info | boolean;
    try {
      line = atLoggedTime(r.at, () => format.transform(infoOf(opts.base ?? {}, r), format.options));
    } catch {
      continue; // a record the format throws on (early.ts live() skips it too)
    }
    // winston-transport drops what a format dropped, and `exception: true` unless it handles exceptions.
    if (typeof line !== 'object' || line.exception === true) continue;
    stream.write(objectMode ? (line as unknown as string) : `${String(line[MESSAGE])}${os.EOL}`);
  }
}

/** A logger that drops everything (unit tests, library use). */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
