import { parseChaosArgs } from '../../chaos/args';
import { boundInputs, maxStallMs, recoveryBounds, DEFAULT_ALLOWANCES, STALL_SLACK_MS } from '../../chaos/bounds';
import { isOverBound, kindRows, percentile, renderTable, summarize, type FaultResult } from '../../chaos/report';
import { FAULT_KINDS, STORAGE_KINDS } from '../../chaos/schedule';

function result(n: number, kind: FaultResult['kind'], recoveryMs: number | null, extra: Partial<FaultResult> = {}): FaultResult {
  return { n, kind, recoveryMs, boundMs: 5000, settleMs: 100, overlaps: 0, needless: 0, lostWrites: 0, failures: [], ...extra };
}

describe('report', () => {
  it('computes nearest-rank percentiles', () => {
    const v = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(10);
    expect(percentile(v, 95)).toBe(19);
    expect(percentile(v, 100)).toBe(20);
    expect(percentile([7], 95)).toBe(7);
    expect(() => percentile([], 50)).toThrow();
  });

  it('aggregates per kind; a recovery that never came makes the max "never" and counts as over the bound', () => {
    const rs = [result(1, 'crash-jenkins', 400), result(2, 'crash-jenkins', 600), result(3, 'kill-controller', null), result(4, 'kill-controller', 6000)];
    const rows = kindRows(rs);
    expect(rows.find((r) => r.kind === 'crash-jenkins')).toMatchObject({ count: 2, p50: 400, p95: 600, max: 600, overRecovery: 0 });
    expect(rows.find((r) => r.kind === 'kill-controller')).toMatchObject({ count: 2, max: null, overRecovery: 2 });
    expect(isOverBound(result(5, 'switchover', 5000))).toBe(false);
    expect(isOverBound(result(5, 'switchover', 5001))).toBe(true);
    const table = renderTable(rs);
    expect(table).toMatch(/\| kill-controller \| 2 \| 6000 \| 6000 \| never \| 5000 \| 2 \|/);
    expect(table.split('\n')).toHaveLength(5);
  });

  it('is not ok when any window or the run itself failed', () => {
    expect(summarize(1, [result(1, 'crash-jenkins', 400)], 1000, [], { records: 1, acked: 1 }).ok).toBe(true);
    const bad = summarize(1, [result(1, 'crash-jenkins', 400, { overlaps: 1, failures: ['OVERLAP: x'] })], 1000, [], { records: 1, acked: 1 });
    expect(bad).toMatchObject({ ok: false, overlaps: 1, failures: ['fault 1 (crash-jenkins): OVERLAP: x'] });
    expect(summarize(1, [], 1000, ['harness error: boom'], { records: 0, acked: 0 }).ok).toBe(false);
  });
});

describe('bounds', () => {
  const cfg = {
    zk: { sessionTimeoutMs: 2000 },
    jenkins: { healthIntervalMs: 300, healthTimeoutMs: 1000, livenessFailures: 3, stopTimeoutMs: 2000, restartBackoffMaxMs: 400, fenceKillAfterMs: 500 },
  };

  it('derives every kind from the config and the allowances', () => {
    const b = recoveryBounds(boundInputs(cfg), DEFAULT_ALLOWANCES);
    expect(Object.keys(b).sort()).toEqual([...FAULT_KINDS].sort());
    // The controller alone: its shim closes the dead session, no T (issue 15).
    expect(b['kill-controller'].ms).toBe(500 + 1500 + 1000 + 3000);
    expect(b['kill-controller-and-jenkins'].ms).toBe(2000 + 200 + 1000 + 3000);
    expect(b['crash-jenkins'].ms).toBe(400 + 1000 + 3000);
    expect(b['hang-jenkins'].ms).toBe(3 * 1300 + 2000 + 400 + 1000 + 3000);
    expect(b.switchover.ms).toBe(2000 + 1000 + 3000);
    expect(b['kill-zk-leader'].ms).toBe(0);
  });

  it('adds the storage lease when the config has one', () => {
    const b = recoveryBounds(boundInputs({ ...cfg, lock: { leaseMs: 1500 } }));
    expect(b['blackhole-leader'].ms).toBe(2000 + 200 + 1500 + 1000 + 3000);
    expect(b['blackhole-leader'].formula).toMatch(/lock.leaseMs/);
  });

  it('derives the storage kinds from the effective lock timings (0 = derived from T, as the controller does)', () => {
    const i = boundInputs({ ...cfg, fencing: { marginMs: 200 }, election: { resignCooldownMs: 2000 } });
    // leaseMs T/2 = 1000, heartbeatMs lease/4 = 250, ioTimeoutMs min(2000, 1000 - 250 - 200) = 550
    expect(i.lock).toEqual({ heartbeatMs: 250, leaseMs: 1000, ioTimeoutMs: 550 });
    const b = recoveryBounds(i, DEFAULT_ALLOWANCES);
    expect(b['storage-hang'].ms).toBe(250 + 550 + 1000 + 1000 + 3000);
    expect(b['storage-hang-all'].ms).toBe(2000 + 250 + 550 + 1000 + 1000 + 3000);
    expect(b['storage-stall'].ms).toBe(0);
    expect(maxStallMs(i)).toBe(550 - STALL_SLACK_MS);
    expect(b['zk-state-loss'].ms).toBe(2000 + 1000 + 1000 + 3000);
    expect(b['clock-jump'].ms).toBe(0);
  });

  it('takes explicit lock timings as they are', () => {
    const i = boundInputs({ ...cfg, lock: { leaseMs: 3000, heartbeatMs: 500, ioTimeoutMs: 2000 } });
    expect(i.lock).toEqual({ heartbeatMs: 500, leaseMs: 3000, ioTimeoutMs: 2000 });
    expect(maxStallMs(i)).toBe(1700);
  });

  it('refuses a config without a key it needs', () => {
    expect(() => boundInputs({ zk: {}, jenkins: cfg.jenkins })).toThrow(/zk.sessionTimeoutMs/);
  });
});

describe('parseChaosArgs', () => {
  it('has defaults, and draws a seed when none is given', () => {
    const a = parseChaosArgs([], () => 1234);
    expect(a).toMatchObject({ faults: 25, seed: 1234, sessionTimeoutMs: 4000, failFast: false });
    expect(a.kinds).toEqual([...FAULT_KINDS]);
  });

  it('reads every flag, with a space or an =', () => {
    const a = parseChaosArgs(['--faults', '200', '--seed=7', '--kinds', 'crash-jenkins,switchover', '--fail-fast', '--out', '/tmp/x', '--quiet-ms=0']);
    expect(a).toMatchObject({ faults: 200, seed: 7, kinds: ['crash-jenkins', 'switchover'], failFast: true, out: '/tmp/x', quietMs: 0 });
  });

  it('refuses bad input instead of running something else', () => {
    expect(() => parseChaosArgs(['--faults', '0'])).toThrow(/--faults/);
    expect(() => parseChaosArgs(['--faults', 'many'])).toThrow(/--faults/);
    expect(() => parseChaosArgs(['--faults'])).toThrow(/--faults/);
    expect(() => parseChaosArgs(['--seed', '-3'])).toThrow(/--seed/);
    expect(() => parseChaosArgs(['--kinds', 'kill-controller,nuke'])).toThrow(/nuke/);
    expect(() => parseChaosArgs(['--frobnicate'])).toThrow(/unknown argument/);
    expect(() => parseChaosArgs(['--session-timeout-ms', '100'])).toThrow(/>= 400/);
  });
});

describe('parseChaosArgs --tls', () => {
  it('is off by default and turned on by --tls', () => {
    expect(parseChaosArgs([], () => 1).tls).toBe(false);
    expect(parseChaosArgs(['--tls'], () => 1).tls).toBe(true);
  });
});

describe('parseChaosArgs --sync', () => {
  it('defaults to one shared home and takes git with its interval', () => {
    expect(parseChaosArgs([], () => 1)).toMatchObject({ sync: 'shared', syncIntervalMs: 1000 });
    expect(parseChaosArgs(['--sync', 'git', '--sync-interval-ms=500'], () => 1)).toMatchObject({ sync: 'git', syncIntervalMs: 500 });
  });

  it('leaves out the kinds that need one shared home, and refuses them when asked for', () => {
    const a = parseChaosArgs(['--sync', 'git'], () => 1);
    expect(a.kinds).toEqual(FAULT_KINDS.filter((k) => !STORAGE_KINDS.includes(k)));
    expect(a.kinds).toContain('clock-jump');
    expect(() => parseChaosArgs(['--sync', 'git', '--kinds', 'switchover,storage-hang'])).toThrow(/storage-hang need one shared home/);
    expect(parseChaosArgs(['--kinds', 'storage-hang'], () => 1).kinds).toEqual(['storage-hang']);
  });

  it('refuses another mode or a too short interval', () => {
    expect(() => parseChaosArgs(['--sync', 'nfs'])).toThrow(/--sync must be shared or git/);
    expect(() => parseChaosArgs(['--sync-interval-ms', '10'])).toThrow(/>= 100/);
  });
});
