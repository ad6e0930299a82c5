/** The JSON a member stores in its election znode, and its tolerant parser. */
export interface MemberInfo {
  id: string;
  host: string;
  pid: number;
  apiUrl: string;
  jenkinsUrl: string;
  version: string;
  startedAt: string;
}

export function encodeMember(m: MemberInfo): Buffer {
  return Buffer.from(JSON.stringify(m));
}

/** Malformed data from another member yields null; the caller logs it and ignores it. */
export function decodeMember(data: Buffer): MemberInfo | null {
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || typeof o.host !== 'string' || typeof o.pid !== 'number') return null;
  return {
    id: o.id,
    host: o.host,
    pid: o.pid,
    apiUrl: typeof o.apiUrl === 'string' ? o.apiUrl : '',
    jenkinsUrl: typeof o.jenkinsUrl === 'string' ? o.jenkinsUrl : '',
    version: typeof o.version === 'string' ? o.version : '',
    startedAt: typeof o.startedAt === 'string' ? o.startedAt : '',
  };
}
