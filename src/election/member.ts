/** The JSON a member stores in its election znode, and its tolerant parser. */
import { parseRecord } from '../util/record-json';
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

/**
 * Malformed data from another member yields null; the caller logs it and ignores it. Malformed:
 * not a bounded JSON object (util/record-json.ts: a hostile member must not blow up every status
 * answer), id/host/pid missing or of the wrong type.
 */
export function decodeMember(data: Buffer): MemberInfo | null {
  const o = parseRecord(data);
  if (o === null || typeof o.id !== 'string' || typeof o.host !== 'string' || typeof o.pid !== 'number') return null;
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
