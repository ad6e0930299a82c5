import type { JournalEntry } from '../../helpers/journal';
import { checkReplication, checkWrites, findOverlaps, type BranchHistory, type PushedCommit } from '../../chaos/checks';
import { lastSeqOf } from '../../chaos/branch';

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
    expect(found[0]?.detail).toMatch(/pid 2 started at mono 451\.000 while pid 1 was alive .*abstract/);
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

describe('checkReplication (sync.mode git)', () => {
  const c = (n: number, epoch: number, lastSeq: number): PushedCommit => ({ commit: `${n}`.repeat(40).slice(0, 40), epoch, lastSeq });
  /** A Jenkins life: start, writes_open at `opened`, acks up to `acked`. */
  function writer(pid: number, start: number, epoch: string, opened: number, acked: number): JournalEntry[] {
    const out = [e('start', pid, start, { epoch }), e('ready', pid, start + 1, { epoch }), e('writes_open', pid, start + 2, { epoch, seq: opened })];
    for (let s = opened + 1; s <= acked; s++) out.push(e('ack', pid, start + 2 + s - opened, { epoch, seq: s }));
    return out;
  }
  const tipOf = (...runs: [number, string, number, number][]): string =>
    runs.flatMap(([pid, epoch, from, to]) => Array.from({ length: to - from + 1 }, (_v, i) => rec(from + i, pid, epoch, pid * 1000 + from + i))).join('\n') + '\n';

  /** Every commit of the chain pushed and recorded (no record failed): the common case. */
  const allRecorded = (chain: PushedCommit[]): BranchHistory => ({ pushed: chain, recorded: chain });

  it('passes takeovers that open exactly what older epochs pushed, and restarts in place that continue', () => {
    // epoch 1 writes 1..8, pushes up to 5 (commits 1, 2) and dies: 6..8 were never pushed, lost by design
    // epoch 2 restores 5, crashes after 9 acked, restarts in place at 9 and pushes up to 12
    const journal = [...writer(10, 0, '1', 0, 8), ...writer(20, 100, '2', 5, 9), ...writer(21, 200, '2', 9, 12)];
    const chain = [c(1, 1, 3), c(2, 1, 5), c(3, 2, 9), c(4, 2, 12)];
    const tip = tipOf([10, '1', 1, 5], [20, '2', 6, 9], [21, '2', 10, 12]);
    expect(checkReplication(chain, tip, journal, allRecorded(chain))).toEqual({ takeovers: 2, restarts: 1, problems: [] });
  });

  it('reports a takeover that opened less than the newest recorded commit of an older epoch as lost', () => {
    const journal = [...writer(10, 0, '1', 0, 8), ...writer(20, 100, '2', 3, 4)];
    const chain = [c(1, 1, 3), c(2, 1, 5)];
    const r = checkReplication(chain, tipOf([10, '1', 1, 5]), journal, allRecorded(chain));
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'lost', mono: 102 })]);
    expect(r.problems[0]?.detail).toMatch(/epoch-2 Jenkins \(pid 20\) opened the writes file at seq 3, but commit 2{12} of epoch 1, pushed and recorded, holds seq 5/);
  });

  it('passes a takeover that restored the record while the branch tip holds a later push of the old leader that was never recorded (fault 12)', () => {
    // The 2026-12-06 git-mode run, fault 12 (zk-quorum-loss): c (epoch 8) pushed and recorded 663,
    // pushed 679 while the quorum was going away and could not record it; b (epoch 9) restored
    // the record (663), as docs/sync.md rule 4 says, and the check ran before b's first push
    // replaced the unrecorded tip. The old rule (the newest commit of an older epoch on the chain)
    // called this `lost`.
    const journal = [...writer(10, 0, '8', 600, 690), ...writer(20, 100, '9', 663, 670)];
    const recorded = c(1, 8, 663);
    const unrecorded = c(2, 8, 679);
    const chain = [c(3, 7, 600), recorded, unrecorded];
    const tip = tipOf([10, '8', 1, 679]);
    const r = checkReplication(chain, tip, journal, { pushed: chain, recorded: [c(3, 7, 600), recorded] });
    expect(r).toMatchObject({ takeovers: 2, problems: [] });
    // The end of the run: b's first push replaced the unrecorded tip (sync.overwrote_stale) and was recorded.
    const bPush = c(4, 9, 670);
    const after = [c(3, 7, 600), recorded, bPush];
    const end = checkReplication(after, tipOf([10, '8', 1, 663], [20, '9', 664, 670]), journal, { pushed: [...chain, bPush], recorded: [c(3, 7, 600), recorded, bPush] });
    expect(end).toMatchObject({ takeovers: 2, problems: [] });
    // Had the quorum allowed c to record 679, b opening 663 would be a lost acknowledged push.
    const lost = checkReplication(chain, tip, journal, { pushed: chain, recorded: [recorded, unrecorded] });
    expect(lost.problems).toEqual([expect.objectContaining({ kind: 'lost', mono: 102 })]);
    expect(lost.problems[0]?.detail).toMatch(/seq 663, but commit 2{12} of epoch 8, pushed and recorded, holds seq 679/);
  });

  it('passes a takeover that opened an unrecorded tip (no record after a loss of ZooKeeper state)', () => {
    // After a state loss the gate restores the branch tip: a push nobody recorded, still a push.
    const journal = [...writer(10, 0, '1', 0, 9), ...writer(20, 100, '2', 7, 8)];
    const chain = [c(1, 1, 5), c(2, 1, 7)];
    expect(checkReplication(chain, tipOf([10, '1', 1, 7]), journal, { pushed: chain, recorded: [c(1, 1, 5)] }).problems).toEqual([]);
  });

  it("reports a takeover that started from state nobody pushed (its own unpushed leftovers) as not-restored", () => {
    // node of pid 10 leads epoch 1 (8 written, 5 pushed), loses quorum, wins epoch 2 and keeps its own 6..8
    const journal = [...writer(10, 0, '1', 0, 8), ...writer(11, 100, '2', 8, 9)];
    const r = checkReplication([c(1, 1, 5)], tipOf([10, '1', 1, 5]), journal, allRecorded([c(1, 1, 5)]));
    expect(r.problems.map((p) => p.kind)).toEqual(['not-restored']);
    // between the record and an unrecorded push, but no commit holds it: not-restored either
    const between = checkReplication([c(1, 1, 5), c(2, 1, 9)], tipOf([10, '1', 1, 9]), [...writer(10, 0, '1', 0, 9), ...writer(11, 100, '2', 7, 8)], { pushed: [c(1, 1, 5), c(2, 1, 9)], recorded: [c(1, 1, 5)] });
    expect(between.problems.map((p) => p.kind)).toEqual(['not-restored']);
    expect(between.problems[0]?.detail).toMatch(/seq 7, which no pushed commit of an older epoch holds \(recorded: seq 5, .*; newest pushed: seq 9, /);
  });

  it('takes the commits of OLDER epochs, not the branch tip, as what a takeover may open', () => {
    // epoch 2 took over at 5; its own later commits (epoch 2, recorded) must not be expected at its start
    const journal = [...writer(10, 0, '1', 0, 5), ...writer(20, 100, '2', 5, 7)];
    const chain = [c(1, 1, 5), c(2, 2, 7)];
    const r = checkReplication(chain, tipOf([10, '1', 1, 5], [20, '2', 6, 7]), journal, allRecorded(chain));
    expect(r).toMatchObject({ takeovers: 2, problems: [] });
  });

  it('the first leader opens an empty file; a restart in place that went back is lost', () => {
    const none: BranchHistory = { pushed: [], recorded: [] };
    expect(checkReplication([], '', writer(10, 0, '1', 2, 3), none).problems.map((p) => p.kind)).toEqual(['not-restored']);
    expect(checkReplication([], '', writer(10, 0, '1', 0, 3), none).problems).toEqual([]);
    const journal = [...writer(10, 0, '1', 0, 6), ...writer(11, 100, '1', 4, 5)];
    const r = checkReplication([], '', journal, none);
    expect(r.restarts).toBe(1);
    expect(r.problems.map((p) => p.kind)).toEqual(['lost']);
    // one past the last ack is fine: killed between the fsync and its journal line
    expect(checkReplication([], '', [...writer(10, 0, '1', 0, 6), ...writer(11, 100, '1', 7, 8)], none).problems).toEqual([]);
  });

  it('skips a life that never opened the writes file, and checks the branch tip as a sequence', () => {
    const journal = [...writer(10, 0, '1', 0, 5), e('start', 30, 50, { epoch: '2' }), ...writer(20, 100, '2', 5, 6)];
    const bad = [rec(1, 10, '1'), rec(2, 10, '1'), rec(4, 20, '2')].join('\n') + '\n';
    const r = checkReplication([c(1, 1, 5)], bad, journal, allRecorded([c(1, 1, 5)]));
    expect(r.takeovers).toBe(2);
    expect(r.problems.map((p) => p.kind)).toEqual(['gap']);
    expect(r.problems[0]?.detail).toMatch(/^branch tip: /);
  });
});

describe('lastSeqOf (the branch reader)', () => {
  it('reads the last complete record, skipping a torn or empty tail', () => {
    expect(lastSeqOf('')).toBe(0);
    expect(lastSeqOf(`${rec(1, 10, '1')}\n${rec(2, 10, '1')}\n`)).toBe(2);
    expect(lastSeqOf(`${rec(1, 10, '1')}\n{"seq":2,"pi`)).toBe(1);
  });
});
