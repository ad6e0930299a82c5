/**
 * A Logger that keeps what it is told, for tests that assert on log lines and their `event`
 * fields. Children share the parent's list and add their fields to every line they log.
 */
import type { LogFields, Logger } from '../../src/logging/logger';

export interface LogEntry {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  fields: LogFields;
}

export class MemoryLogger implements Logger {
  constructor(
    readonly entries: LogEntry[] = [],
    private readonly base: LogFields = {},
  ) {}

  private add(level: LogEntry['level'], message: string, fields: LogFields = {}): void {
    this.entries.push({ level, message, fields: { ...this.base, ...fields } });
  }
  error(message: string, fields?: LogFields): void {
    this.add('error', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.add('warn', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.add('info', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.add('debug', message, fields);
  }
  child(fields: LogFields = {}): MemoryLogger {
    return new MemoryLogger(this.entries, { ...this.base, ...fields });
  }

  /** The entries with this `event` field. */
  events(name: string): LogEntry[] {
    return this.entries.filter((e) => e.fields['event'] === name);
  }
  /** The first entry with this `event` field. */
  event(name: string): LogEntry | undefined {
    return this.entries.find((e) => e.fields['event'] === name);
  }
  /** The `event` field of every entry, in order ('' for a line without one). */
  eventNames(): string[] {
    return this.entries.map((e) => (typeof e.fields['event'] === 'string' ? e.fields['event'] : ''));
  }
}
