/**
 * Durations for people: `950ms`, `42s`, `3m05s`, `2h10m`, `3d4h`. Shared by the CLI and the
 * controller's status notes (controller/notes.ts), so both word a duration the same way. Pure.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const neg = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${neg}${Math.round(a)}ms`;
  const s = Math.floor(a / 1000);
  if (s < 60) return `${neg}${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${neg}${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${neg}${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${neg}${Math.floor(h / 24)}d${h % 24}h`;
}
