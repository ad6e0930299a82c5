/**
 * The one place that knows winston. Everything else logs through the small `Logger` interface,
 * so components can be handed a child logger (`component: 'election'`) or a silent one in tests.
 * Every state transition carries an `event` field (`elected`, `jenkins.started`, `fenced`, ...).
 */
import winston from 'winston';
import { monoNow } from '../util/clock';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFields = Record<string, unknown>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  /** json: one JSON object a line; text: human lines; auto: text on a TTY, else json. */
  format: 'json' | 'text' | 'auto';
  /** Fields on every line (e.g. node id, cluster). */
  base?: LogFields;
  /** Where to write; defaults to stdout. Tests pass a stream. */
  stream?: NodeJS.WritableStream;
}

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

/** CLOCK_MONOTONIC ms on every line: orders events across processes on one host. */
const addMono = winston.format((info) => {
  info.mono = Math.round(monoNow() * 1000) / 1000;
  return info;
});

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

export function createLogger(opts: LoggerOptions): Logger {
  const stream = opts.stream ?? process.stdout;
  const isTty = (stream as NodeJS.WriteStream).isTTY === true;
  const format = opts.format === 'auto' ? (isTty ? 'text' : 'json') : opts.format;
  const w = winston.createLogger({
    level: opts.level,
    defaultMeta: opts.base ?? {},
    format: winston.format.combine(
      winston.format.errors({ stack: false }),
      winston.format.timestamp(),
      addMono(),
      format === 'json' ? winston.format.json() : textFormat,
    ),
    transports: [new winston.transports.Stream({ stream })],
  });
  return new WinstonLogger(w);
}

/** A logger that drops everything (unit tests, library use). */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
