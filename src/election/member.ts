/** The JSON a member stores in its election znode, and its tolerant parser. */
import { decodeSafetySettings, type SafetySettings } from '../util/safety-settings';

export interface MemberInfo {
  id: string;
  host: string;
  pid: number;
  apiUrl: string;
  jenkinsUrl: string;
  version: string;
  startedAt: string;
  /** election.priority: higher is preferred as the leader (absent from older members: 0). */
  priority?: number;
  /** election.noFailover: this member never leads and is no switchover target (absent: false). */
  noFailover?: boolean;
  /** Its effective safety settings (issue 16 item 3); absent from older versions. */
  settings?: SafetySettings;
  /** Its current status notes, republished when they change (issue 16 item 5); absent from older versions. */
  notes?: string[];
}

/** At most this many notes of at most this many characters each are published and accepted. */
export const MAX_NOTES = 12;
export const MAX_NOTE_LENGTH = 400;

/** Notes as published: strings only, bounded in number and length. */
export function boundedNotes(v: unknown): string[] | null {
  if (!Array.isArray(v)) return null;
  return v
    .filter((x): x is string => typeof x === 'string')
    .slice(0, MAX_NOTES)
    .map((x) => (x.length > MAX_NOTE_LENGTH ? `${x.slice(0, MAX_NOTE_LENGTH - 3)}...` : x));
}

export function encodeMember(m: MemberInfo): Buffer {
  return Buffer.from(JSON.stringify(m));
}

/** Longest string field accepted from another member (its data ends up in /status and /members). */
export const MAX_FIELD_LENGTH = 2048;

/**
 * Malformed data from another member yields null; the caller logs it and ignores it. Malformed:
 * not JSON, not an object, id/host/pid missing or of the wrong type, a string field longer than
 * MAX_FIELD_LENGTH (a hostile member must not blow up every status answer).
 */
export function decodeMember(data: Buffer): MemberInfo | null {
  if (data.length > 16 * MAX_FIELD_LENGTH) return null;
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || typeof o.host !== 'string' || typeof o.pid !== 'number') return null;
  if (Object.values(o).some((x) => typeof x === 'string' && x.length > MAX_FIELD_LENGTH)) return null;
  return {
    id: o.id,
    host: o.host,
    pid: o.pid,
    apiUrl: typeof o.apiUrl === 'string' ? o.apiUrl : '',
    jenkinsUrl: typeof o.jenkinsUrl === 'string' ? o.jenkinsUrl : '',
    version: typeof o.version === 'string' ? o.version : '',
    startedAt: typeof o.startedAt === 'string' ? o.startedAt : '',
    priority: typeof o.priority === 'number' && Number.isSafeInteger(o.priority) ? o.priority : 0,
    noFailover: o.noFailover === true,
    ...optional(o),
  };
}

function optional(o: Record<string, unknown>): Pick<MemberInfo, 'settings' | 'notes'> {
  const settings = decodeSafetySettings(o.settings);
  const notes = boundedNotes(o.notes);
  return { ...(settings ? { settings } : {}), ...(notes ? { notes } : {}) };
}
