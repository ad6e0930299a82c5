import type { JournalEntry } from '../../helpers/journal';
import { checkWrites, findOverlaps } from '../../chaos/checks';

const notAlive = { isAlive: (): boolean => false };

function e(ev: string, pid: number, mono: number, extra: Record<string, unknown> = {}): JournalEntry {
  return { ev, pid, epoch: '1', port: 8080, t: 1_700_000_000_000 + mono, mono, ...extra };
}

function life(pid: number, start: number, end: number, epoch = '1'): JournalEntry[] {
  const out = [e('start', pid, start, { epoch }), e('ready', pid, start + 5, { epoch })];
  for (let t = start + 100; t < end; t += 100) out.push(e('hb', pid, t, { epoch }));
  out.push(e('stop', pid, end, { epoch, code: 143 }));
  return out;
}

describe('findOverlaps', () => {
  it('finds nothing in back-to-back lives', () => {
    expect(findOverlaps([...life(1, 0, 500), ...life(2, 501, 900, '2')], notAlive)).toEqual([]);
  });

  it('reports lives whose intervals intersect or touch, at the later start', () => {
    const touching = findOverlaps([...life(1, 0, 500), ...life(2, 500, 900)], notAlive);
    expect(touching).toHaveLength(1);
    expect(touching[0]).toMatchObject({ mono: 500 });
    const inside = findOverlaps([...life(1, 0, 1000), ...life(2, 300, 600)], notAlive);
    expect(inside).toHaveLength(1);
    expect(inside[0]?.detail).toMatch(/pid 2 started .* before pid 1 ended/);
  });

  it('reports a presence-socket overlap line even when the intervals do not show it', () => {
    // pid 1 was SIGKILLed after its last heartbeat at 400: the journal cannot show it alive at 450
    const entries = [...life(1, 0, 400).filter((x) => x.ev !== 'stop'), ...life(2, 450, 900), e('overlap', 2, 451, { otherPid: 1, via: 'abstract' })];
    const found = findOverlaps(entries, notAlive);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ mono: 451 });
    expect(found[0]?.detail).toMatch(/pid 2 started while pid 1 was alive .*abstract/);
  });
});

function rec(seq: number, pid: number, epoch: string, mono = seq * 10): string {
  return JSON.stringify({ seq, pid, epoch, mono });
}

function acks(pid: number, seqs: number[]): JournalEntry[] {
  return seqs.map((seq) => e('ack', pid, seq * 10 + 1, { seq }));
}

describe('checkWrites', () => {
  const clean = [rec(1, 10, '1'), rec(2, 10, '1'), rec(3, 20, '2'), rec(4, 20, '2'), rec(5, 30, '2')].join('\n') + '\n';

  it('passes a clean file whose acknowledged records are all there (unacknowledged extras are fine)', () => {
    const r = checkWrites(clean, [...acks(10, [1, 2]), ...acks(20, [3]), ...acks(30, [5])]);
    expect(r).toEqual({ records: 5, acked: 4, lastSeq: 5, problems: [] });
    expect(checkWrites('', [])).toEqual({ records: 0, acked: 0, lastSeq: 0, problems: [] });
  });

  it('reports an acknowledged record missing from the file as lost', () => {
    const text = [rec(1, 10, '1'), rec(2, 10, '1')].join('\n') + '\n';
    const r = checkWrites(text, acks(10, [1, 2, 3]));
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'lost', mono: 31 })]);
    expect(r.problems[0]?.detail).toMatch(/seq 3 of pid 10/);
  });

  it('reports an acknowledged seq that another process wrote as lost', () => {
    const r = checkWrites(clean, acks(99, [3]));
    expect(r.problems.map((p) => p.kind)).toEqual(['lost']);
    expect(r.problems[0]?.detail).toMatch(/from pid 20/);
  });

  it('reports a gap (records missing in the middle)', () => {
    const text = [rec(1, 10, '1'), rec(2, 10, '1'), rec(5, 20, '2')].join('\n') + '\n';
    expect(checkWrites(text, []).problems).toEqual([expect.objectContaining({ kind: 'gap', mono: 50 })]);
  });

  it('reports two writers that continued from the same record (duplicate seq) and their interleaving', () => {
    // 10 and 20 both read seq 2 as the last record and write 3, 4, ... side by side
    const text = [rec(1, 10, '1'), rec(2, 10, '1'), rec(3, 10, '1'), rec(3, 20, '2'), rec(4, 10, '1'), rec(4, 20, '2')].join('\n') + '\n';
    const kinds = checkWrites(text, []).problems.map((p) => p.kind);
    expect(kinds).toContain('duplicate');
    expect(kinds).toContain('interleaved');
    expect(kinds).toContain('epoch-regressed');
  });

  it('reports a process that writes again after another one took over', () => {
    const text = [rec(1, 10, '1'), rec(2, 20, '1'), rec(3, 10, '1')].join('\n') + '\n';
    expect(checkWrites(text, []).problems.map((p) => p.kind)).toEqual(['interleaved']);
  });

  it('tells a reused pid from the process that wrote before (a new start line = a new writer)', () => {
    // pid 10 (epoch 1) writes 1-2, pid 20 (epoch 2) writes 3, then a NEW process that got pid 10
    // again (epoch 3, its own start line) writes 4: no interleaving. Records are at mono seq*10.
    const text = [rec(1, 10, '1'), rec(2, 10, '1'), rec(3, 20, '2'), rec(4, 10, '3')].join('\n') + '\n';
    const journal = [e('start', 10, 5, { epoch: '1' }), e('start', 20, 25, { epoch: '2' }), e('start', 10, 35, { epoch: '3' })];
    expect(checkWrites(text, journal).problems).toEqual([]);
    // Without that start line it is the same process writing again.
    expect(checkWrites(text, journal.slice(0, 2)).problems.map((p) => p.kind)).toEqual(['interleaved']);
  });

  it('reports an epoch that goes back', () => {
    const text = [rec(1, 10, '3'), rec(2, 20, '2')].join('\n') + '\n';
    expect(checkWrites(text, []).problems.map((p) => p.kind)).toEqual(['epoch-regressed']);
  });

  it('reports corrupt and torn lines', () => {
    const corrupt = checkWrites([rec(1, 10, '1'), 'garbage', rec(2, 10, '1')].join('\n') + '\n', []);
    expect(corrupt.problems.map((p) => p.kind)).toEqual(['corrupt']);
    expect(corrupt.records).toBe(2);
    const torn = checkWrites([rec(1, 10, '1'), '{"seq":2,"pi'].join('\n'), [], 999);
    expect(torn.problems).toEqual([expect.objectContaining({ kind: 'corrupt' })]);
    const wrongType = checkWrites(JSON.stringify({ seq: '1', pid: 10, mono: 1 }) + '\n', []);
    expect(wrongType.problems[0]?.detail).toMatch(/seq is not a positive integer/);
  });
});
