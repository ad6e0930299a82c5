/**
 * The JSON object of a znode another process wrote (a member's election znode, the cluster's
 * records), parsed defensively: its fields end up in /status, /members and /history, so a
 * hostile or broken writer must not blow up every answer.
 */

/** Longest string field accepted from another member or record. */
export const MAX_FIELD_LENGTH = 2048;

/**
 * A znode's JSON object, or null when it is not one: not JSON, not an object, larger than 32 kB
 * or with a string longer than MAX_FIELD_LENGTH.
 */
export function parseRecord(data: Buffer): Record<string, unknown> | null {
  if (data.length > 16 * MAX_FIELD_LENGTH) return null;
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  return Object.values(o).some((x) => typeof x === 'string' && x.length > MAX_FIELD_LENGTH) ? null : o;
}
