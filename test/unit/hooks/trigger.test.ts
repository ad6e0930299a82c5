/** Which hook each role transition runs, and what it is told (pure bookkeeping). */
import type { ControllerEvent, NodeRole } from '../../../src/controller/status';
import type { HookContext, HookName } from '../../../src/hooks/runner';
import { HookTrigger, type TriggerView } from '../../../src/hooks/trigger';

interface Call {
  hook: HookName | null;
  ctx: HookContext;
}

function setup(): { t: HookTrigger; calls: Call[] } {
  const calls: Call[] = [];
  const t = new HookTrigger('a', (hook, ctx) => calls.push({ hook, ctx }));
  return { t, calls };
}

const role = (r: NodeRole): ControllerEvent => ({ type: 'role', role: r });
const view = (epoch: number | null, leaderId: string | null): TriggerView => ({ epoch, leaderId });

const ROLES: NodeRole[] = ['leader', 'standby', 'neutral', 'joining', 'stopped'];
const HOOK: Record<NodeRole, HookName | null> = { leader: 'onLeader', standby: 'onStandby', stopped: 'onStopped', neutral: null, joining: null };

describe('every transition between two roles', () => {
  for (const from of ROLES) {
    for (const to of ROLES) {
      if (from === to) continue;
      // A standby in doubt (neutral, joining) is still a standby for the hooks: nothing runs.
      const standbyInDoubt = from === 'standby' && (to === 'neutral' || to === 'joining');
      it(`${from} -> ${to} requests ${standbyInDoubt ? 'nothing' : (HOOK[to] ?? 'no hook')} with the previous role`, () => {
        const { t, calls } = setup();
        if (from !== 'joining') t.handle(role(from), view(from === 'leader' ? 3 : null, 'b'));
        calls.length = 0;
        // An epoch is held when entering leader here, so onLeader is not deferred.
        t.handle(role(to), view(to === 'leader' ? 4 : null, to === 'leader' ? 'a' : 'b'));
        if (standbyInDoubt) {
          expect(calls).toEqual([]);
          return;
        }
        expect(calls).toHaveLength(1);
        expect(calls[0]!.hook).toBe(HOOK[to]);
        expect(calls[0]!.ctx.role).toBe(to);
        expect(calls[0]!.ctx.previousRole).toBe(from);
      });
    }
  }
});

test('a repeated role event is no transition', () => {
  const { t, calls } = setup();
  t.handle(role('standby'), view(null, 'b'));
  t.handle(role('standby'), view(null, 'b'));
  expect(calls.map((c) => c.hook)).toEqual(['onStandby']);
});

test('onLeader waits for the fencing epoch (leader_change) and carries it', () => {
  const { t, calls } = setup();
  t.handle(role('standby'), view(null, 'b'));
  t.handle(role('leader'), view(null, 'b'));
  // Only the "drop what waits" signal so far: no onLeader without an epoch.
  expect(calls.map((c) => c.hook)).toEqual(['onStandby', null]);
  t.handle({ type: 'leader_change' }, view(7, 'a'));
  expect(calls.map((c) => c.hook)).toEqual(['onStandby', null, 'onLeader']);
  expect(calls[2]!.ctx).toEqual({ role: 'leader', previousRole: 'standby', epoch: 7, leader: 'a', previousLeader: 'b' });
});

test('no onLeader when leadership ends before the epoch is taken', () => {
  const { t, calls } = setup();
  t.handle(role('leader'), view(null, null));
  t.handle(role('neutral'), view(null, null));
  t.handle({ type: 'leader_change' }, view(2, 'a'));
  expect(calls.map((c) => c.hook)).toEqual([null, null]);
});

test('leader_change without a pending leader role runs nothing', () => {
  const { t, calls } = setup();
  t.handle(role('standby'), view(null, 'b'));
  t.handle({ type: 'leader_change' }, view(2, 'b'));
  expect(calls.map((c) => c.hook)).toEqual(['onStandby']);
});

test('a leader that regains provability with its epoch runs onLeader at once', () => {
  const { t, calls } = setup();
  t.handle(role('leader'), view(null, null));
  t.handle({ type: 'leader_change' }, view(5, 'a'));
  t.handle(role('neutral'), view(5, 'a'));
  t.handle(role('leader'), view(5, 'a'));
  expect(calls.map((c) => [c.hook, c.ctx.previousRole, c.ctx.epoch])).toEqual([
    [null, 'joining', null],
    ['onLeader', 'joining', 5],
    [null, 'leader', 5],
    ['onLeader', 'neutral', 5],
  ]);
});

test('a standby whose connection is briefly in doubt runs onStandby once, and then onLeader when it leads', () => {
  const { t, calls } = setup();
  t.handle(role('standby'), view(null, 'b'));
  t.handle(role('neutral'), view(null, null));
  t.handle(role('standby'), view(null, 'b'));
  t.handle(role('joining'), view(null, 'b'));
  t.handle(role('standby'), view(null, 'b'));
  expect(calls.map((c) => c.hook)).toEqual(['onStandby']);
  t.handle(role('neutral'), view(null, null));
  t.handle(role('leader'), view(4, 'b'));
  expect(calls.map((c) => [c.hook, c.ctx.previousRole])).toEqual([
    ['onStandby', 'joining'],
    ['onLeader', 'neutral'],
  ]);
  // Back to standby after leading: onStandby runs again.
  t.handle(role('standby'), view(null, 'c'));
  expect(calls.map((c) => c.hook)).toEqual(['onStandby', 'onLeader', 'onStandby']);
});

test('leader ids: the leader now, and the one known at the previous transition', () => {
  const { t, calls } = setup();
  t.handle(role('standby'), view(null, 'b'));
  expect(calls[0]!.ctx).toMatchObject({ leader: 'b', previousLeader: null });
  t.handle(role('stopped'), view(null, null)); // unknown now: keep what we knew
  expect(calls[1]!.ctx).toMatchObject({ leader: 'b', previousLeader: 'b' });
  t.handle(role('leader'), view(9, 'b')); // the cluster view may lag: a leader is itself
  expect(calls[2]!.ctx).toMatchObject({ leader: 'a', previousLeader: 'b', epoch: 9 });
  t.handle(role('stopped'), view(9, 'a'));
  expect(calls[3]!).toEqual({ hook: 'onStopped', ctx: { role: 'stopped', previousRole: 'leader', epoch: 9, leader: 'a', previousLeader: 'a' } });
});
