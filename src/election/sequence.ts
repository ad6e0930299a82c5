/**
 * Pure helpers for the election znodes. A contender's znode is named
 * `n_<guid>_<nodeId>_<10-digit sequence>`: the GUID lets a node find its own znode again when the
 * reply to its create was lost; the sequence, parsed as a number, orders the contenders.
 */
export interface Contender {
  name: string;
  seq: number;
  guid: string;
  nodeId: string;
}

const NAME = /^n_([0-9a-f]{32})_(.+)_(\d{10})$/;

/** `ephemeralOwner` of a persistent znode: a contender's znode never is one (a rogue's can be). */
export const PERSISTENT_OWNER = '0000000000000000';

export function znodePrefix(guid: string, nodeId: string): string {
  return `n_${guid}_${nodeId}_`;
}

export function parseContender(name: string): Contender | null {
  const m = NAME.exec(name);
  if (!m) return null;
  return { name, guid: m[1]!, nodeId: m[2]!, seq: Number.parseInt(m[3]!, 10) };
}

/** Parse and sort by sequence number; names that are not contenders are returned apart. */
export function sortContenders(names: readonly string[]): { contenders: Contender[]; invalid: string[] } {
  const contenders: Contender[] = [];
  const invalid: string[] = [];
  for (const n of names) {
    const c = parseContender(n);
    if (c) contenders.push(c);
    else invalid.push(n);
  }
  contenders.sort((a, b) => a.seq - b.seq);
  return { contenders, invalid };
}

export type Position =
  | { kind: 'absent' }
  | { kind: 'first'; self: Contender }
  | { kind: 'behind'; self: Contender; predecessor: Contender; index: number };

/** Where a node with `guid` stands. Several znodes with one GUID: the lowest counts. */
export function findPosition(sorted: readonly Contender[], guid: string): Position {
  const index = sorted.findIndex((c) => c.guid === guid);
  if (index < 0) return { kind: 'absent' };
  const self = sorted[index]!;
  if (index === 0) return { kind: 'first', self };
  return { kind: 'behind', self, predecessor: sorted[index - 1]!, index };
}

/** Our own znodes beyond the one that counts (a lost create that was retried). */
export function duplicatesOf(sorted: readonly Contender[], guid: string): Contender[] {
  return sorted.filter((c) => c.guid === guid).slice(1);
}
