/**
 * decide() and the host watchdog gate (fencing.watchdog.mode required): a leader whose watchdog
 * could not be armed does not start Jenkins, says why (gate `watchdog` in /status), tries again at
 * retryAt, and the gate never keeps it from fencing or stopping its own Jenkins.
 */
import { decide, type Observed } from '../../../src/controller/decide';
import { EPOCH, FENCE, NOW, leaderObserved, type Overrides } from './observed';

/** The provable leader of session 3 holding epoch 12, Jenkins stopped: ready to launch. */
function leader(o: Overrides = {}): Observed {
  return leaderObserved({ ...o, jenkins: { state: 'stopped', epoch: null, ...o.jenkins } });
}

const REASON = 'fencing.watchdog.device: cannot open /dev/watchdog: EBUSY';

describe('the host watchdog gate', () => {
  it('launches when nothing holds the watchdog back (off, automatic, or armed fine)', () => {
    expect(decide(leader({ watchdog: null })).action.kind).toBe('launch');
    expect(decide(leader({ watchdog: undefined })).action.kind).toBe('launch');
  });

  it('does not start Jenkins while the required watchdog cannot be armed, and says why', () => {
    const d = decide(leader({ watchdog: { reason: REASON, retryAt: NOW + 1000 } }));
    expect(d.action).toEqual({ kind: 'none' });
    expect(d.gate).toBe('watchdog');
    expect(d.reason).toBe(`leader with epoch ${EPOCH}; not starting Jenkins: the host watchdog is required but cannot be armed (${REASON}); retrying in 1000 ms`);
  });

  it('tries the launch (and so arming) again once retryAt has come', () => {
    expect(decide(leader({ watchdog: { reason: REASON, retryAt: NOW } })).action.kind).toBe('launch');
    expect(decide(leader({ watchdog: { reason: REASON, retryAt: NOW - 1 } })).action.kind).toBe('launch');
  });

  it('takes the epoch and fences the previous active before the watchdog matters', () => {
    const wd = { reason: REASON, retryAt: NOW + 1000 };
    expect(decide(leader({ term: null, watchdog: wd })).action.kind).toBe('acquire');
    const d = decide(leader({ watchdog: wd, fence: { state: 'needed', retryAt: 0, reason: 'previous active did not exit cleanly' } }));
    expect(d.action.kind).toBe('fence-previous');
  });

  it('reports the storage lease first when both hold the launch back', () => {
    const d = decide(leader({ watchdog: { reason: REASON, retryAt: NOW + 1000 }, storageLease: { until: NOW + 500, reason: 'live heartbeat' } }));
    expect(d.gate).toBe('storage-lease');
  });

  it('never keeps a leader from stopping its Jenkins when leadership cannot be proven', () => {
    const d = decide(leaderObserved({ zk: { msSinceHeard: FENCE }, watchdog: { reason: REASON, retryAt: NOW + 1000 } }));
    expect(d.action).toEqual({ kind: 'stop-jenkins', mode: 'fence', countAsFailure: false });
  });

  it('does not hold a running Jenkins (the gate is about launches only)', () => {
    const d = decide(leaderObserved({ watchdog: { reason: REASON, retryAt: NOW + 1000 } }));
    expect(d.action.kind).toBe('none');
    expect(d.gate).toBeUndefined();
  });

  it('is no gate for a standby or a paused leader', () => {
    const wd = { reason: REASON, retryAt: NOW + 1000 };
    expect(decide(leader({ election: { role: 'candidate' }, term: null, watchdog: wd })).gate).toBeUndefined();
    const paused = decide(leader({ paused: true, watchdog: wd }));
    expect(paused.gate).toBeUndefined();
    expect(paused.reason).toContain('paused');
  });
});
