/**
 * Aggregation and output of a chaos run: per-kind statistics, the table, the final JSON line,
 * and the verdict. Pure.
 */
import type { FaultKind } from './schedule';

export interface FaultResult {
  n: number;
  kind: FaultKind;
  /** mono ms recovery was measured from, and what was done (for post-mortems in results.json). */
  t0?: number;
  note?: string;
  /** null: Jenkins never became ready again in the window. */
  recoveryMs: number | null;
  boundMs: number;
  settleMs: number;
  overlaps: number;
  needless: number;
  lostWrites: number;
  /** Everything that failed in this window, as sentences. */
  failures: string[];
}

export interface KindRow {
  kind: FaultKind;
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
  boundMs: number;
  overRecovery: number;
  overlaps: number;
  needless: number;
  lostWrites: number;
}

/** Nearest-rank percentile of a non-empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function isOverBound(r: FaultResult): boolean {
  return r.recoveryMs === null || r.recoveryMs > r.boundMs;
}

export function kindRows(results: FaultResult[]): KindRow[] {
  const kinds = [...new Set(results.map((r) => r.kind))].sort();
  return kinds.map((kind) => {
    const rs = results.filter((r) => r.kind === kind);
    const rec = rs.map((r) => r.recoveryMs).filter((v): v is number => v !== null);
    return {
      kind,
      count: rs.length,
      p50: rec.length ? percentile(rec, 50) : null,
      p95: rec.length ? percentile(rec, 95) : null,
      max: rs.some((r) => r.recoveryMs === null) ? null : rec.length ? Math.max(...rec) : null,
      boundMs: Math.max(...rs.map((r) => r.boundMs)),
      overRecovery: rs.filter(isOverBound).length,
      overlaps: rs.reduce((s, r) => s + r.overlaps, 0),
      needless: rs.reduce((s, r) => s + r.needless, 0),
      lostWrites: rs.reduce((s, r) => s + r.lostWrites, 0),
    };
  });
}

export interface RunSummary {
  seed: number;
  faults: number;
  durationMs: number;
  ok: boolean;
  overlaps: number;
  lostWrites: number;
  needless: number;
  overBound: number;
  /** Failures outside any fault window (start-up, final checks), and every window's failures. */
  failures: string[];
  /** git mode adds the replication check's counts (takeovers and restarts checked, commits on the branch, recorded pushes logged). */
  writes: { records: number; acked: number; replication?: { takeovers: number; restarts: number; commits: number; recorded: number } };
  kinds: Record<string, Omit<KindRow, 'kind'>>;
}

export function summarize(seed: number, results: FaultResult[], durationMs: number, extraFailures: string[], writes: RunSummary['writes']): RunSummary {
  const rows = kindRows(results);
  const failures = [...extraFailures, ...results.flatMap((r) => r.failures.map((f) => `fault ${r.n} (${r.kind}): ${f}`))];
  const kinds: RunSummary['kinds'] = {};
  for (const { kind, ...rest } of rows) kinds[kind] = rest;
  return {
    seed,
    faults: results.length,
    durationMs: Math.round(durationMs),
    ok: failures.length === 0,
    overlaps: results.reduce((s, r) => s + r.overlaps, 0),
    lostWrites: results.reduce((s, r) => s + r.lostWrites, 0),
    needless: results.reduce((s, r) => s + r.needless, 0),
    overBound: results.filter(isOverBound).length,
    failures,
    writes,
    kinds,
  };
}

const ms = (v: number | null): string => (v === null ? 'never' : String(Math.round(v)));

/** A markdown table, one row per fault kind, plus a total row. */
export function renderTable(results: FaultResult[]): string {
  const rows = kindRows(results);
  const head = ['fault', 'count', 'recovery p50 ms', 'p95 ms', 'max ms', 'bound ms', 'over bound', 'overlaps', 'needless failovers', 'lost writes'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_h, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) {
    lines.push(`| ${[r.kind, r.count, ms(r.p50), ms(r.p95), ms(r.max), r.boundMs, r.overRecovery, r.overlaps, r.needless, r.lostWrites].join(' | ')} |`);
  }
  const sum = (f: (r: KindRow) => number): number => rows.reduce((s, r) => s + f(r), 0);
  lines.push(`| **all** | ${sum((r) => r.count)} | | | | | ${sum((r) => r.overRecovery)} | ${sum((r) => r.overlaps)} | ${sum((r) => r.needless)} | ${sum((r) => r.lostWrites)} |`);
  return lines.join('\n');
}
