/**
 * Durations on the command line: `90s`, `30m`, `1h`, `1h30m`, `500ms`, `2d`, or a bare number of
 * seconds (`3600`). Pure.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Milliseconds of a duration; throws an Error naming the text when it is not one. */
export function parseDurationMs(text: string): number {
  const t = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return check(Number(t) * 1000, text);
  if (t === '') throw new Error(`not a duration: ${JSON.stringify(text)} (e.g. 90s, 30m, 1h, 3600)`);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < t.length) {
    const at = PART.lastIndex;
    const m = PART.exec(t);
    if (!m || m.index !== at) throw new Error(`not a duration: ${JSON.stringify(text)} (e.g. 90s, 30m, 1h, 3600)`);
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? NaN);
  }
  return check(total, text);
}

function check(ms: number, text: string): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`duration must be positive: ${JSON.stringify(text)}`);
  return Math.round(ms);
}

/** Whole seconds of a duration (for a TTL); rejects fractions of a second. */
export function parseDurationSeconds(text: string): number {
  const ms = parseDurationMs(text);
  if (ms % 1000 !== 0) throw new Error(`duration must be whole seconds: ${JSON.stringify(text)}`);
  return ms / 1000;
}

/** A short human form: 950ms, 42s, 3m05s, 2h10m, 3d4h (src/util/duration.ts). */
export { formatDuration } from '../util/duration';
