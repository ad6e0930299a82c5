/**
 * The forced-failover records (fence-confirm.ts) as another member or a person wrote them:
 * malformed data yields null (never a gate opened by a half-read record), and the switchover
 * command's rule that some standby may lead (commands.ts mayTakeOver).
 */
import { mayTakeOver } from '../../../src/controller/commands';
import { decodeFenceConfirmation, decodeFenceWait } from '../../../src/controller/fence-confirm';
import type { MemberView } from '../../../src/controller/status';

const buf = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('decodeFenceConfirmation', () => {
  it('reads a confirmation that names a node and the epoch of its term', () => {
    const c = { node: 'a', nodeEpoch: 4, waiter: 'b', by: 'api@10.0.0.1', reason: 'off', at: '2024-01-01T00:00:00.000Z' };
    expect(decodeFenceConfirmation(buf(c))).toEqual(c);
  });

  it.each([
    ['not JSON', 'nope'],
    ['no node', { nodeEpoch: 4 }],
    ['no epoch', { node: 'a' }],
    ['epoch as a string', { node: 'a', nodeEpoch: '4' }],
    ['fractional epoch', { node: 'a', nodeEpoch: 4.5 }],
    ['an array', [{ node: 'a', nodeEpoch: 4 }]],
  ])('yields null for %s', (_what, v) => {
    expect(decodeFenceConfirmation(buf(v))).toBeNull();
  });
});

describe('decodeFenceWait', () => {
  it('reads the wait and refuses one without the waiter, the node or either epoch', () => {
    const w = { waiter: 'b', epoch: 5, node: 'a', host: 'h', pid: 7, nodeEpoch: 4, since: '2024-01-01T00:00:00.000Z' };
    expect(decodeFenceWait(buf(w))).toEqual(w);
    for (const k of ['waiter', 'epoch', 'node', 'nodeEpoch']) {
      const bad: Record<string, unknown> = { ...w };
      delete bad[k];
      expect(decodeFenceWait(buf(bad))).toBeNull();
    }
  });
});

describe('mayTakeOver (switchover without a candidate)', () => {
  const m = (id: string, noFailover: boolean): MemberView => ({
    id, znode: `n_${id}`, sequence: 1, host: 'h', apiUrl: '', jenkinsUrl: '', version: '', priority: 0, noFailover, role: 'standby',
  });
  it('passes when one standby is not noFailover', () => {
    expect(() => mayTakeOver([m('dr', true), m('b', false)], 'prod')).not.toThrow();
  });
  it('refuses no standby, and standbys that are all noFailover, naming them', () => {
    expect(() => mayTakeOver([], 'prod')).toThrow('there is no standby to take over');
    expect(() => mayTakeOver([m('dr', true)], 'prod')).toThrow('no standby of cluster prod may take over: dr is noFailover');
    expect(() => mayTakeOver([m('dr', true), m('rep', true)], 'prod')).toThrow('no standby of cluster prod may take over: dr, rep are noFailover');
  });
});
