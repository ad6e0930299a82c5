/**
 * The records of the cluster's znodes, decoded defensively: the maintenance pause, the switchover
 * intent and the history entries. Malformed data (not a bounded JSON object, util/record-json.ts, or
 * wrong types) yields null; the callers log it and treat the record as absent.
 */
import { parseRecord } from '../util/record-json';
import type { DrainReport, HistoryEntry, SwitchoverIntent } from './status';

export interface PauseRecord {
  by: string;
  reason: string;
  since: string;
  /** ISO time after which the pause no longer counts; null = until resumed. */
  until: string | null;
  /** The leader drains and stops Jenkins for this pause. */
  drain?: boolean;
}

export function decodePause(data: Buffer): PauseRecord | null {
  try {
    const v = parseRecord(data);
    if (v === null || typeof v.since !== 'string') return null;
    return {
      by: typeof v.by === 'string' ? v.by : '',
      reason: typeof v.reason === 'string' ? v.reason : '',
      since: v.since,
      until: typeof v.until === 'string' ? v.until : null,
      ...(v.drain === true ? { drain: true } : {}),
    };
  } catch {
    return null;
  }
}

export function decodeSwitchover(data: Buffer): SwitchoverIntent | null {
  try {
    const v = parseRecord(data);
    if (v === null || typeof v.id !== 'string' || typeof v.from !== 'string' || typeof v.requestedAt !== 'string') return null;
    return {
      id: v.id,
      from: v.from,
      candidate: typeof v.candidate === 'string' && v.candidate !== '' ? v.candidate : null,
      reason: typeof v.reason === 'string' ? v.reason : '',
      requestedAt: v.requestedAt,
      state: v.state === 'running' ? 'running' : v.state === 'draining' ? 'draining' : v.state === 'scheduled' ? 'scheduled' : 'pending',
      ...(typeof v.at === 'string' ? { at: v.at } : {}),
      ...(typeof v.by === 'string' ? { by: v.by } : {}),
      ...(decodeDrainReport(v.drain) ?? {}),
    };
  } catch {
    return null;
  }
}

function decodeDrainReport(v: unknown): { drain: DrainReport } | null {
  if (typeof v !== 'object' || v === null) return null;
  const d = v as Record<string, unknown>;
  if ((d.result !== 'finished' && d.result !== 'timeout') || typeof d.durationMs !== 'number' || !Array.isArray(d.runningBuilds)) return null;
  const runningBuilds = (d.runningBuilds as unknown[])
    .filter((b): b is Record<string, unknown> => typeof b === 'object' && b !== null)
    .map((b) => ({ name: typeof b.name === 'string' ? b.name : '', url: typeof b.url === 'string' ? b.url : '' }));
  return { drain: { result: d.result, durationMs: d.durationMs, runningBuilds } };
}

export function decodeHistory(data: Buffer): HistoryEntry | null {
  try {
    const v = parseRecord(data);
    if (v === null || typeof v.at !== 'string' || typeof v.event !== 'string') return null;
    return {
      at: v.at,
      event: v.event,
      node: typeof v.node === 'string' ? v.node : '',
      reason: typeof v.reason === 'string' ? v.reason : '',
      epoch: typeof v.epoch === 'number' ? v.epoch : null,
      ...(typeof v.durationMs === 'number' ? { durationMs: v.durationMs } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * Whether a pause record is in force at `nowMs` by the reader's wall clock: for one-shot readers
 * (the CLI) only. The controllers judge expiry on their monotonic clocks (expiry.ts).
 */
export function pauseInForce(p: PauseRecord | null, nowMs: number): boolean {
  if (!p) return false;
  return p.until === null || Date.parse(p.until) > nowMs;
}
