/**
 * Election znode names `n_<guid>_<nodeId>_<10-digit sequence>`: parsing, ordering by the parsed
 * sequence number, and where a contender stands.
 */
import { duplicatesOf, findPosition, parseContender, sortContenders, znodePrefix, type Contender } from '../../../src/election/sequence';

const G1 = '0123456789abcdef0123456789abcdef';
const G2 = 'fedcba9876543210fedcba9876543210';
const G3 = '00000000000000000000000000000003';
const G4 = 'ffffffffffffffffffffffffffffff04';

const name = (guid: string, nodeId: string, seq: number): string => `${znodePrefix(guid, nodeId)}${String(seq).padStart(10, '0')}`;

describe('znodePrefix / parseContender', () => {
  it('builds the prefix that ZooKeeper completes with the sequence', () => {
    expect(znodePrefix(G1, 'node-a')).toBe(`n_${G1}_node-a_`);
  });

  it('parses guid, node id and sequence number', () => {
    expect(parseContender(`n_${G1}_node-a_0000000042`)).toEqual({ name: `n_${G1}_node-a_0000000042`, guid: G1, nodeId: 'node-a', seq: 42 });
  });

  it.each(['jenkins_ha_1', 'host.example.com', 'a_b.c_d', 'x_0000000001', '_'])('keeps a node id containing underscores or dots intact: %s', (nodeId) => {
    const c = parseContender(name(G1, nodeId, 7));
    expect(c).toMatchObject({ guid: G1, nodeId, seq: 7 });
  });

  it('parses the largest 10-digit sequence', () => {
    expect(parseContender(name(G1, 'a', 2147483647))?.seq).toBe(2147483647);
  });

  it.each([
    ['not a contender', 'lock'],
    ['missing prefix', `${G1}_node-a_0000000001`],
    ['short guid', `n_0123_node-a_0000000001`],
    ['upper-case guid', `n_${G1.toUpperCase()}_node-a_0000000001`],
    ['no node id', `n_${G1}__0000000001`],
    ['9-digit sequence', `n_${G1}_node-a_000000001`],
    ['11-digit sequence', `n_${G1}_node-a_00000000001`],
    ['no sequence', `n_${G1}_node-a_`],
    ['trailing text', `n_${G1}_node-a_0000000001x`],
    ['empty', ''],
  ])('rejects a name with %s', (_why, n) => {
    expect(parseContender(n)).toBeNull();
  });
});

describe('sortContenders', () => {
  it('orders by the parsed sequence number, not by the name (the GUID comes first in the name)', () => {
    const names = [name(G1, 'a', 3), name(G2, 'b', 1), name(G3, 'c', 2), name(G4, 'd', 0)];
    // As strings these would sort by GUID: G3, G1, G2, G4.
    expect([...names].sort()).not.toEqual([names[3], names[1], names[2], names[0]]);
    const { contenders } = sortContenders(names);
    expect(contenders.map((c) => c.seq)).toEqual([0, 1, 2, 3]);
    expect(contenders.map((c) => c.nodeId)).toEqual(['d', 'b', 'c', 'a']);
  });

  it('compares numbers, so 10 comes after 9 whatever the node ids', () => {
    const { contenders } = sortContenders([name(G1, 'aaa', 10), name(G2, 'zzz', 9), name(G3, 'mmm', 100)]);
    expect(contenders.map((c) => c.seq)).toEqual([9, 10, 100]);
  });

  it('returns names that are not contenders apart, in their original order', () => {
    const { contenders, invalid } = sortContenders(['lock', name(G1, 'a', 5), 'n_bad', name(G2, 'b', 4), 'readme']);
    expect(contenders.map((c) => c.seq)).toEqual([4, 5]);
    expect(invalid).toEqual(['lock', 'n_bad', 'readme']);
  });

  it('handles an empty election', () => {
    expect(sortContenders([])).toEqual({ contenders: [], invalid: [] });
  });

  it('does not modify its input', () => {
    const names = [name(G1, 'a', 2), name(G2, 'b', 1)];
    const copy = [...names];
    sortContenders(names);
    expect(names).toEqual(copy);
  });
});

describe('findPosition / duplicatesOf', () => {
  const sorted = (...names: string[]): Contender[] => sortContenders(names).contenders;

  it('says first for the lowest sequence', () => {
    const s = sorted(name(G2, 'b', 8), name(G1, 'a', 3));
    expect(findPosition(s, G1)).toEqual({ kind: 'first', self: s[0] });
  });

  it('names the immediate predecessor when behind, not the leader', () => {
    const s = sorted(name(G1, 'a', 1), name(G2, 'b', 2), name(G3, 'c', 3));
    const pos = findPosition(s, G3);
    expect(pos.kind).toBe('behind');
    if (pos.kind !== 'behind') return;
    expect(pos.predecessor.guid).toBe(G2);
    expect(pos.self.guid).toBe(G3);
    expect(pos.index).toBe(2);
  });

  it('says absent when no znode carries the GUID', () => {
    expect(findPosition(sorted(name(G1, 'a', 1)), G2)).toEqual({ kind: 'absent' });
    expect(findPosition([], G1)).toEqual({ kind: 'absent' });
  });

  it('matches on the GUID, not on the node id', () => {
    // Another znode of the same node id (an older session) does not count as ours.
    const s = sorted(name(G1, 'a', 1), name(G2, 'a', 2));
    expect(findPosition(s, G2)).toMatchObject({ kind: 'behind', predecessor: { guid: G1 } });
  });

  it('counts the lowest of several znodes with one GUID and lists the others as duplicates', () => {
    const s = sorted(name(G1, 'a', 7), name(G2, 'b', 3), name(G1, 'a', 5), name(G1, 'a', 9));
    expect(findPosition(s, G1)).toMatchObject({ kind: 'behind', self: { seq: 5 }, predecessor: { seq: 3 } });
    expect(duplicatesOf(s, G1).map((c) => c.seq)).toEqual([7, 9]);
  });

  it('finds no duplicates for a single znode or an absent GUID', () => {
    const s = sorted(name(G1, 'a', 1), name(G2, 'b', 2));
    expect(duplicatesOf(s, G1)).toEqual([]);
    expect(duplicatesOf(s, G3)).toEqual([]);
  });
});
