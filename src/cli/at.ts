/**
 * `switchover --at TIME`: the time on the command line to the ISO time the API takes (pure).
 * `HH:MM` (or `HH:MM:SS`) is local time today, or tomorrow when it has passed; a full ISO 8601
 * time is taken as it is, in local time when it names no zone. The result always carries the
 * zone (UTC), so the controller that takes it reads the same instant whatever its own zone.
 */
import { BadValueError } from './args';

const CLOCK = /^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

export function parseAtFlag(text: string, now: Date): string {
  const t = text.trim();
  const clock = CLOCK.exec(t);
  if (clock) {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate(), Number(clock[1]), Number(clock[2]), Number(clock[3] ?? 0), 0);
    if (d.getTime() <= now.getTime()) d.setDate(d.getDate() + 1);
    return d.toISOString();
  }
  const ms = ISO_DATE_TIME.test(t) ? Date.parse(t) : NaN;
  if (!Number.isFinite(ms)) {
    throw new BadValueError(`switchover: --at ${JSON.stringify(text)} is neither HH:MM (local time, today or tomorrow) nor an ISO 8601 time such as 2026-12-07T02:00:00Z`);
  }
  return new Date(ms).toISOString();
}
