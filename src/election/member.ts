/** The JSON a member stores in its election znode, and its tolerant parser. */
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
  };
}
