/**
 * The logging types every part uses (`Logger`, re-exported by logger.ts as before) and the records
 * early.ts keeps until winston is loaded. Types only: importing this file loads nothing.
 */
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

/** When a record was logged: its line's `timestamp` (ISO) and `mono` (CLOCK_MONOTONIC ms). */
export interface LoggedAt {
  timestamp: string;
  mono: number;
}

/** One call kept until winston is loaded: `chain` is the child() fields, outermost first. */
export interface EarlyRecord {
  level: LogLevel;
  message: string;
  fields: LogFields | undefined;
  chain: LogFields[];
  at: LoggedAt;
}
