/**
 * decide() and the fencing layers on the launch path: fencing the previous active (layer 3), the
 * storage lease (layer 4), the flock/foreign-listener blocks and the split-brain alarm (layer 6).
 * Each gate must hold Jenkins back, say why (the gate shows in /status), and never stop fencing
 * of our own Jenkins.
 */
import { decide, type Observed } from '../../../src/controller/decide';
import { EPOCH, FENCE, NOW, leaderObserved, type Overrides } from './observed';


/** The provable leader of session 3 holding epoch 12, Jenkins stopped: ready to launch. */
function leader(o: Overrides = {}): Observed {
  return leaderObserved({ ...o, jenkins: { state: 'stopped', epoch: null, ...o.jenkins } });
}

const running = (o: Overrides = {}): Observed => leader({ ...o, jenkins: { state: 'running', epoch: EPOCH, ...o.jenkins } });
const FENCE_ACTION = { kind: 'stop-jenkins', mode: 'fence', countAsFailure: false };

describe('layer 3: fencing the previous active', () => {
  const prev = 'previous active node-b@host-b (epoch 11) did not exit cleanly';

  it('launches at once when there is nothing to fence (clean exit, or no gate at all)', () => {
    expect(decide(leader({ fence: null })).action.kind).toBe('launch');
    expect(decide(leader({ fence: undefined })).action.kind).toBe('launch');
    const d = decide(leader({ fence: { state: 'done', retryAt: 0, reason: prev } }));
    expect(d.action.kind).toBe('launch');
    expect(d.gate).toBeUndefined();
  });

  it('runs the fencing methods before the first launch of the term when the previous active did not exit cleanly', () => {
    const d = decide(leader({ fence: { state: 'needed', retryAt: 0, reason: prev } }));
    expect(d.action).toEqual({ kind: 'fence-previous' });
    expect(d.reason).toContain('running the fencing methods');
    expect(d.reason).toContain('node-b@host-b');
  });

  it('does not start Jenkins while the fencing methods run, and says so', () => {
    const d = decide(leader({ fence: { state: 'running', retryAt: 0, reason: prev } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.gate).toBe('fencing');
    expect(d.reason).toContain('fencing the previous active');
  });

  it('does not start Jenkins after every method failed, until the retry time', () => {
    const d = decide(leader({ fence: { state: 'failed', retryAt: NOW + 4000, reason: 'all 2 fencing methods failed' } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.gate).toBe('fencing');
    expect(d.reason).toContain('fencing failed (all 2 fencing methods failed)');
    expect(d.reason).toContain('retrying in 4000 ms');
  });

  it('retries the fencing methods once the backoff is over (not launching)', () => {
    const d = decide(leader({ fence: { state: 'failed', retryAt: NOW, reason: 'all 2 fencing methods failed' } }));
    expect(d.action).toEqual({ kind: 'fence-previous' });
    expect(d.reason).toContain('retrying the fencing methods');
  });

  it('takes the epoch before fencing (the fence gate belongs to a term)', () => {
    expect(decide(leader({ term: null, fence: { state: 'needed', retryAt: 0, reason: prev } })).action.kind).toBe('acquire');
  });

  it('never fences the previous active while it cannot prove its own leadership', () => {
    for (const zk of [{ msSinceHeard: FENCE }, { msSinceHeard: null }, { state: 'expired' as const }]) {
      expect(decide(leader({ zk, fence: { state: 'needed', retryAt: 0, reason: prev } })).action.kind).not.toBe('fence-previous');
    }
    expect(decide(leader({ election: { role: 'candidate' }, fence: { state: 'needed', retryAt: 0, reason: prev } })).action.kind).not.toBe('fence-previous');
  });

  it('does not run fencing methods while paused or shutting down', () => {
    expect(decide(leader({ paused: true, fence: { state: 'needed', retryAt: 0, reason: prev } })).action.kind).toBe('none');
    expect(decide(leader({ shuttingDown: true, fence: { state: 'needed', retryAt: 0, reason: prev } })).action.kind).toBe('finish-shutdown');
  });

  it('fences first, then keeps the crash backoff of a restart', () => {
    const d = decide(leader({ fence: { state: 'done', retryAt: 0, reason: prev }, restarts: { recentFailures: 1, nextAttemptAt: NOW + 500 } }));
    expect(d.action.kind).toBe('none');
    expect(d.reason).toContain('restarting Jenkins in 500 ms');
  });
});

describe('layer 4: the storage lease', () => {
  const lease = { until: NOW + 3000, reason: 'the JENKINS_HOME lock of epoch 11 (node-b) has a heartbeat 2000 ms old (lease 5000 ms)' };

  it('does not start Jenkins while another epoch holds a live heartbeat in the lock, and says so', () => {
    const d = decide(leader({ storageLease: lease }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.gate).toBe('storage-lease');
    expect(d.reason).toContain('heartbeat 2000 ms old');
  });

  it('launches once the wait is over (the launch reads the lock again)', () => {
    expect(decide(leader({ storageLease: { ...lease, until: NOW } })).action.kind).toBe('launch');
  });

  it('fences the previous active before it waits for the lease', () => {
    expect(decide(leader({ storageLease: lease, fence: { state: 'needed', retryAt: 0, reason: 'x' } })).action.kind).toBe('fence-previous');
  });
});

describe('blocked launches carry their gate', () => {
  it.each(['flock', 'split-brain', 'lock'] as const)('reports a %s block as the reason Jenkins is not started', (gate) => {
    const d = decide(leader({ blocked: { until: NOW + 1, reason: `blocked by ${gate}`, gate } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.gate).toBe(gate);
    expect(d.reason).toContain(`blocked by ${gate}`);
  });

  it('a foreign Jenkins answering on our port blocks the launch until the block expires', () => {
    const blocked = { until: NOW + 5000, reason: 'something already answers on http://127.0.0.1:8080', gate: 'split-brain' as const };
    expect(decide(leader({ blocked })).action.kind).toBe('none');
    expect(decide(leader({ blocked, now: NOW + 5000 })).action.kind).toBe('launch');
  });
});

describe('layer 6: the split-brain alarm', () => {
  const evidence = 'the JENKINS_HOME lock names epoch 13 (node-c), newer than ours (12)';

  it('fences a running Jenkins at once when the lock names a newer epoch', () => {
    const d = decide(running({ splitBrain: evidence }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain('split brain');
    expect(d.reason).toContain('epoch 13');
  });

  it('fences a starting Jenkins, and escalates a graceful stop, too', () => {
    expect(decide(running({ splitBrain: evidence, jenkins: { state: 'starting' } })).action).toEqual(FENCE_ACTION);
    expect(decide(running({ splitBrain: evidence, jenkins: { state: 'stopping' } })).action).toEqual(FENCE_ACTION);
  });

  it('does not fence twice', () => {
    const d = decide(running({ splitBrain: evidence, jenkins: { state: 'stopping', fencing: true } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.reason).toContain('split brain');
  });

  it('has no effect without evidence', () => {
    expect(decide(running({ splitBrain: null })).action.kind).toBe('none');
    expect(decide(running({ splitBrain: undefined })).reason).toContain('Jenkins running');
  });

  it('still fences for lost leadership first (that reason wins)', () => {
    const d = decide(running({ splitBrain: evidence, zk: { msSinceHeard: FENCE } }));
    expect(d.action).toEqual(FENCE_ACTION);
    expect(d.reason).toContain('no reply from ZooKeeper');
  });
});

describe('layer 3 and a forced failover (a person confirmed the previous active gone)', () => {
  const failed = 'previous active node-b@host-b (epoch 11): all 2 fencing methods failed (method 1: exit 1; method 2: timed out)';
  const confirmed = { by: 'api@10.0.0.9', reason: 'host-b powered off', holderIsMember: false };

  it('passes the fencing gate on a confirmation, even while a retry is waiting or a method runs, saying who and why', () => {
    for (const state of ['failed', 'running', 'needed'] as const) {
      const d = decide(leader({ fence: { state, retryAt: NOW + 5000, reason: failed, confirmed } }));
      expect(d.action).toEqual({ kind: 'accept-fence-confirmation' });
      expect(d.reason).toBe(`leader with epoch ${EPOCH}; the previous active was confirmed fenced by api@10.0.0.9 (host-b powered off): passing the fencing gate (${failed})`);
    }
  });

  it('refuses a confirmation while the confirmed node still holds a live session (its election znode exists)', () => {
    const d = decide(leader({ fence: { state: 'failed', retryAt: NOW + 5000, reason: failed, confirmed: { ...confirmed, holderIsMember: true } } }));
    expect(d.action).toEqual({ kind: 'refuse-fence-confirmation' });
    expect(d.reason).toMatch(/refusing the confirmation by api@10\.0\.0\.9 that the previous active is fenced: it still holds a live ZooKeeper session/);
  });

  it('a confirmation never lets a leader without provable leadership or without a term start Jenkins', () => {
    const fence = { state: 'failed' as const, retryAt: NOW + 5000, reason: failed, confirmed };
    expect(decide(leader({ fence, zk: { msSinceHeard: FENCE } })).action.kind).toBe('none');
    expect(decide(leader({ fence, term: null })).action.kind).toBe('acquire');
  });

  it('after the pass (state done) the term launches Jenkins as after a successful fence', () => {
    expect(decide(leader({ fence: { state: 'done', retryAt: 0, reason: failed } })).action.kind).toBe('launch');
  });
});
