import type { Life } from '../../helpers/journal';
import { EXPECTATIONS, evaluateWindow, type WindowInput } from '../../chaos/evaluate';
import { FAULT_KINDS } from '../../chaos/schedule';

/** ready: ms after start, or null for a Jenkins that never became ready. */
function life(pid: number, start: number, epoch: string, readyAfter: number | null = 300): Life {
  return { pid, start, end: start + 1000, endedBy: 'running', epoch, ...(readyAfter !== null ? { ready: start + readyAfter } : {}) };
}

const base = { t0: 1000, before: { id: 'a', epoch: '4' } };

describe('evaluateWindow', () => {
  it('has an expectation for every fault kind', () => {
    expect(Object.keys(EXPECTATIONS).sort()).toEqual([...FAULT_KINDS].sort());
  });

  it('accepts a failover to another node under a new epoch, and measures t0 -> ready', () => {
    const v = evaluateWindow({ ...base, kind: 'kill-controller', after: { id: 'b', epoch: '5' }, started: [life(7, 3000, '5')] });
    expect(v).toEqual({ recoveryMs: 2300, needless: 0, needlessWhy: [], selfCheck: [] });
  });

  it('fails the self-check when a kill had no effect (no new Jenkins, same leader)', () => {
    const v = evaluateWindow({ ...base, kind: 'kill-controller', after: { id: 'a', epoch: '4' }, started: [] });
    expect(v.selfCheck).toEqual([expect.stringMatching(/expected 1 new Jenkins, saw 0/), expect.stringMatching(/did not move/), expect.stringMatching(/no new fencing epoch/)]);
    expect(v.recoveryMs).toBeNull();
  });

  it('counts a second failover after a kill as needless', () => {
    const v = evaluateWindow({ ...base, kind: 'kill-controller', after: { id: 'c', epoch: '6' }, started: [life(7, 3000, '5'), life(8, 5000, '6')] });
    expect(v.needless).toBe(1);
    expect(v.needlessWhy.join(' ')).toMatch(/2 Jenkins started where 1 was needed/);
  });

  it('accepts a Jenkins restart in place after a crash, and calls a failover there needless', () => {
    const ok = evaluateWindow({ ...base, kind: 'crash-jenkins', after: { id: 'a', epoch: '4' }, started: [life(7, 1500, '4')] });
    expect(ok).toEqual({ recoveryMs: 800, needless: 0, needlessWhy: [], selfCheck: [] });
    const moved = evaluateWindow({ ...base, kind: 'crash-jenkins', after: { id: 'b', epoch: '5' }, started: [life(7, 1500, '5')] });
    expect(moved.needless).toBe(1);
    expect(moved.needlessWhy.join(' ')).toMatch(/should have stayed/);
  });

  it('demands no Jenkins restart and no leader change when one ZooKeeper server dies', () => {
    const ok = evaluateWindow({ ...base, kind: 'kill-zk-leader', after: { id: 'a', epoch: '4' }, started: [] });
    expect(ok).toEqual({ recoveryMs: 0, needless: 0, needlessWhy: [], selfCheck: [] });
    const fenced = evaluateWindow({ ...base, kind: 'kill-zk-follower', after: { id: 'a', epoch: '4' }, started: [life(7, 2000, '4')] });
    expect(fenced.needless).toBe(1);
    expect(fenced.recoveryMs).toBe(1300);
    const failover = evaluateWindow({ ...base, kind: 'kill-zk-leader', after: { id: 'b', epoch: '5' }, started: [life(7, 4000, '5')] });
    expect(failover.needless).toBe(1);
    expect(failover.needlessWhy).toHaveLength(2);
  });

  it('lets a quorum loss restart Jenkins on either node, once', () => {
    expect(evaluateWindow({ ...base, kind: 'zk-quorum-loss', after: { id: 'a', epoch: '4' }, started: [life(7, 1200, '4')] }).needless).toBe(0);
    expect(evaluateWindow({ ...base, kind: 'zk-quorum-loss', after: { id: 'b', epoch: '5' }, started: [life(7, 1200, '5')] }).needless).toBe(0);
    expect(evaluateWindow({ ...base, kind: 'zk-quorum-loss', after: { id: 'a', epoch: '4' }, started: [] }).selfCheck).toHaveLength(1);
  });

  it('lets a full disk or lost ZooKeeper state cause nothing or one new Jenkins, not two', () => {
    for (const kind of ['disk-full', 'zk-state-loss'] as const) {
      expect(evaluateWindow({ ...base, kind, after: { id: 'a', epoch: '4' }, started: [] })).toEqual({ recoveryMs: 0, needless: 0, needlessWhy: [], selfCheck: [] });
      expect(evaluateWindow({ ...base, kind, after: { id: 'b', epoch: '5' }, started: [life(7, 3000, '5')] })).toMatchObject({ recoveryMs: 2300, needless: 0, selfCheck: [] });
      const two = evaluateWindow({ ...base, kind, after: { id: 'c', epoch: '6' }, started: [life(7, 3000, '5'), life(8, 5000, '6')] });
      expect(two.needless).toBe(1);
      expect(two.needlessWhy[0]).toMatch(/at most 1 was needed/);
    }
  });

  it('demands a move off a hung mount, and nothing at all from a stall or a clock jump', () => {
    expect(evaluateWindow({ ...base, kind: 'storage-hang', after: { id: 'a', epoch: '4' }, started: [] }).selfCheck).not.toEqual([]);
    expect(evaluateWindow({ ...base, kind: 'storage-hang', after: { id: 'b', epoch: '5' }, started: [life(7, 3000, '5')] }).selfCheck).toEqual([]);
    for (const kind of ['storage-stall', 'clock-jump'] as const) {
      expect(evaluateWindow({ ...base, kind, after: { id: 'a', epoch: '4' }, started: [life(7, 3000, '4')] }).needless).toBe(1);
    }
  });

  it('reports a Jenkins that never became ready as no recovery, and never a negative one', () => {
    expect(evaluateWindow({ ...base, kind: 'hang-jenkins', after: { id: 'a', epoch: '4' }, started: [life(7, 1500, '4', null)] }).recoveryMs).toBeNull();
    const early: WindowInput = { ...base, kind: 'zk-quorum-loss', after: { id: 'a', epoch: '4' }, started: [life(7, 500, '4', 400)] };
    expect(evaluateWindow(early).recoveryMs).toBe(0);
  });
});
