/**
 * The fence gate of a term (layer 3): who needs fencing (not a clean exit, not ourselves, only
 * with methods configured), the env the methods get, success, failure with doubling backoff, and
 * results that arrive after the term ended being dropped. The methods' runner is a controllable
 * stand-in here; test/unit/fencing/methods.test.ts and test/integration/fencing-command.test.ts
 * run real commands.
 */
import { FenceGate, type FenceGateOptions } from '../../../src/controller/fence-gate';
import type { Breadcrumb } from '../../../src/fencing/epoch';
import type { FenceRun, RunMethodsOptions } from '../../../src/fencing/methods';
import { MemoryLogger as RecordingLogger } from '../../helpers/memory-logger';


const PREV: Breadcrumb = { epoch: 6, nodeId: 'node-b', host: 'host-b', pid: 4321, since: '2024-01-01T00:00:00Z' };
const failed = (n: number): FenceRun => ({
  fencedBy: null,
  aborted: false,
  results: Array.from({ length: n }, (_, i) => ({ method: `m${i + 1}`, index: i + 1, code: i === 0 ? 1 : null, signal: null, timedOut: i > 0, durationMs: 5, error: null })),
});
const fenced: FenceRun = {
  fencedBy: { method: 'm1', index: 1, code: 0, signal: null, timedOut: false, durationMs: 5, error: null },
  aborted: false,
  results: [],
};

function setup(over: Partial<FenceGateOptions> = {}) {
  let now = 10_000;
  const calls: RunMethodsOptions[] = [];
  const pending: Array<(r: FenceRun) => void> = [];
  const log = new RecordingLogger();
  const history: string[] = [];
  let changes = 0;
  const gate = new FenceGate({
    methods: ['fence-one', 'fence-two'],
    timeoutMs: 3000,
    retryBackoffMs: 1000,
    retryBackoffMaxMs: 3000,
    nodeId: 'node-a',
    cluster: 'ci',
    home: '/srv/jenkins',
    logger: log,
    now: () => now,
    run: (o) => {
      calls.push(o);
      return new Promise((resolve) => pending.push(resolve));
    },
    onChange: () => (changes += 1),
    record: (event) => history.push(event),
    ...over,
  });
  const settle = async (r: FenceRun): Promise<void> => {
    pending.shift()?.(r);
    await new Promise((r2) => setImmediate(r2));
  };
  return { gate, calls, log, history, settle, advance: (ms: number) => (now += ms), now: () => now, changes: () => changes };
}

describe('FenceGate.beginTerm', () => {
  it('needs no fencing after a clean exit (no breadcrumb), and logs that it skipped it', () => {
    const t = setup();
    t.gate.beginTerm(7, null, false);
    expect(t.gate.observed()).toBeNull();
    expect(t.log.event('fence.skipped')?.fields.why).toBe('clean');
  });

  it('needs fencing when the previous active did not exit cleanly, naming it', () => {
    const t = setup();
    t.gate.beginTerm(7, PREV, false);
    expect(t.gate.observed()).toEqual({ state: 'needed', retryAt: 0, reason: 'previous active node-b@host-b (epoch 6, pid 4321) did not exit cleanly' });
    expect(t.log.event('fence.needed')?.level).toBe('warn');
  });

  it('fences an unreadable breadcrumb too (the previous active is unknown, not clean)', () => {
    const t = setup();
    t.gate.beginTerm(7, null, true);
    expect(t.gate.observed()?.state).toBe('needed');
    expect(t.gate.observed()?.reason).toContain('unknown');
  });

  it('does not fence this node itself (its own earlier term)', () => {
    const t = setup();
    t.gate.beginTerm(7, { ...PREV, nodeId: 'node-a' }, false);
    expect(t.gate.observed()).toBeNull();
    expect(t.log.event('fence.skipped')?.fields.why).toBe('self');
  });

  it('warns and goes on when no fencing methods are configured', () => {
    const t = setup({ methods: [] });
    t.gate.beginTerm(7, PREV, false);
    expect(t.gate.observed()).toBeNull();
    expect(t.log.event('fence.skipped')).toMatchObject({ level: 'warn', fields: { why: 'no-methods' } });
  });
});

describe('FenceGate.start', () => {
  it('runs every method with the previous and current identity in the environment', () => {
    const t = setup();
    t.gate.beginTerm(7, PREV, false);
    t.gate.start();
    expect(t.gate.observed()?.state).toBe('running');
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0]).toMatchObject({ methods: ['fence-one', 'fence-two'], timeoutMs: 3000 });
    expect(t.calls[0]!.env).toEqual({
      JHA_PREV_NODE_ID: 'node-b',
      JHA_PREV_HOST: 'host-b',
      JHA_PREV_PID: '4321',
      JHA_PREV_EPOCH: '6',
      JHA_EPOCH: '7',
      JHA_NODE_ID: 'node-a',
      JHA_CLUSTER: 'ci',
      JENKINS_HOME: '/srv/jenkins',
    });
  });

  it('does not run twice while running', () => {
    const t = setup();
    t.gate.beginTerm(7, PREV, false);
    t.gate.start();
    t.gate.start();
    expect(t.calls).toHaveLength(1);
  });

  it('is done after a method succeeded, and wakes the loop', async () => {
    const t = setup();
    t.gate.beginTerm(7, PREV, false);
    t.gate.start();
    await t.settle(fenced);
    expect(t.gate.observed()?.state).toBe('done');
    expect(t.changes()).toBe(1);
    expect(t.log.event('fence.succeeded')).toBeDefined();
    expect(t.history).toEqual(['fence.succeeded']);
    t.gate.start();
    expect(t.calls).toHaveLength(1);
  });

  it('fails with a doubling, capped backoff when every method failed, saying why per method', async () => {
    const t = setup();
    t.gate.beginTerm(7, PREV, false);
    const retries: number[] = [];
    for (let i = 0; i < 4; i++) {
      t.gate.start();
      await t.settle(failed(2));
      const o = t.gate.observed()!;
      expect(o.state).toBe('failed');
      retries.push(o.retryAt - t.now());
      t.advance(o.retryAt - t.now());
    }
    expect(retries).toEqual([1000, 2000, 3000, 3000]);
    expect(t.gate.observed()?.reason).toBe('previous active node-b@host-b (epoch 6, pid 4321): all 2 fencing methods failed (method 1: exit 1; method 2: timed out)');
    expect(t.log.entries.filter((e) => e.fields.event === 'fence.failed').map((e) => e.level)).toEqual(['error', 'error', 'error', 'error']);
    // A later success ends the gate.
    t.gate.start();
    await t.settle(fenced);
    expect(t.gate.observed()?.state).toBe('done');
  });

  it('drops a result that arrives after the term ended, and aborts the running methods', async () => {
    const t = setup();
    t.gate.beginTerm(7, PREV, false);
    t.gate.start();
    const signal = t.calls[0]!.signal!;
    t.gate.endTerm();
    expect(signal.aborted).toBe(true);
    await t.settle(fenced);
    expect(t.gate.observed()).toBeNull();
    expect(t.changes()).toBe(0);
  });

  it('a new term starts over: the old round cannot mark the new term fenced', async () => {
    const t = setup();
    t.gate.beginTerm(7, PREV, false);
    t.gate.start();
    t.gate.beginTerm(8, { ...PREV, epoch: 7, nodeId: 'node-c' }, false);
    await t.settle(fenced);
    expect(t.gate.observed()).toMatchObject({ state: 'needed' });
    expect(t.gate.observed()?.reason).toContain('node-c');
  });
});

describe('FenceGate and a forced failover (a person confirms the previous active is gone)', () => {
  function confirmations(members: string[] = []) {
    const waits: unknown[] = [];
    let current: import('../../../src/controller/fence-confirm').FenceConfirmation | null = null;
    let consumed = 0;
    return {
      port: {
        publishWait: (w: unknown) => waits.push(w),
        current: () => current,
        consume: async () => {
          consumed += 1;
          current = null;
        },
        isMember: (id: string) => members.includes(id),
      },
      waits,
      set: (c: typeof current) => (current = c),
      consumed: () => consumed,
    };
  }
  const CONFIRM = { node: 'node-b', nodeEpoch: 6, waiter: 'node-a', by: 'api@127.0.0.1', reason: 'host-b powered off', at: '2024-01-01T00:00:00.000Z' };

  it('publishes whom it waits on while fencing is needed, and withdraws it when fenced', async () => {
    const c = confirmations();
    const t = setup({ confirmations: c.port, wallNow: () => Date.parse('2024-01-01T00:00:00Z') });
    t.gate.beginTerm(7, PREV, false);
    expect(c.waits).toEqual([{ waiter: 'node-a', epoch: 7, node: 'node-b', host: 'host-b', pid: 4321, nodeEpoch: 6, since: '2024-01-01T00:00:00.000Z' }]);
    t.gate.start();
    await t.settle(fenced);
    expect(c.waits).toEqual([expect.anything(), null]);
  });

  it('shows a confirmation only when it names exactly the previous active and its epoch', () => {
    const c = confirmations();
    const t = setup({ confirmations: c.port });
    t.gate.beginTerm(7, PREV, false);
    c.set({ ...CONFIRM, nodeEpoch: 5 });
    expect(t.gate.observed()?.confirmed).toBeUndefined();
    c.set({ ...CONFIRM, node: 'node-c' });
    expect(t.gate.observed()?.confirmed).toBeUndefined();
    c.set(CONFIRM);
    expect(t.gate.observed()?.confirmed).toEqual({ by: 'api@127.0.0.1', reason: 'host-b powered off', holderIsMember: false });
  });

  it('accept() passes the gate even while a method runs, records who and why, consumes the confirmation', async () => {
    const c = confirmations();
    const t = setup({ confirmations: c.port });
    t.gate.beginTerm(7, PREV, false);
    t.gate.start();
    c.set(CONFIRM);
    expect(t.gate.accept()).toBe(true); // the metric counts it (operator-acts.ts)
    await new Promise((r) => setImmediate(r));
    expect(t.gate.observed()?.state).toBe('done');
    expect(t.calls[0]?.signal?.aborted).toBe(true);
    expect(t.history).toContain('fence.confirmed');
    expect(t.log.event('fence.confirmed')?.fields).toMatchObject({ node: 'node-b', by: 'api@127.0.0.1', reason: 'host-b powered off' });
    expect(c.consumed()).toBe(1);
    expect(c.waits.at(-1)).toBeNull();
  });

  it('refuse() keeps the gate closed, records the refusal once, and consumes the confirmation', async () => {
    const c = confirmations(['node-b']);
    const t = setup({ confirmations: c.port });
    t.gate.beginTerm(7, PREV, false);
    c.set(CONFIRM);
    expect(t.gate.observed()?.confirmed?.holderIsMember).toBe(true);
    expect(t.gate.refuse()).toBe(true);
    expect(t.gate.refuse()).toBe(false); // refused once, counted once
    await new Promise((r) => setImmediate(r));
    expect(t.gate.observed()?.state).toBe('needed');
    expect(t.history.filter((e) => e === 'fence.confirmation_refused')).toHaveLength(1);
    expect(c.consumed()).toBe(1);
  });

  it('without a confirmation, accept() changes nothing', () => {
    const c = confirmations();
    const t = setup({ confirmations: c.port });
    t.gate.beginTerm(7, PREV, false);
    expect(t.gate.accept()).toBe(false);
    expect(t.gate.observed()?.state).toBe('needed');
  });
});
