/**
 * EligibilityMonitor's calls on JENKINS_HOME go through the injected bounded home I/O (HomeCalls),
 * never Node's fs: a call that gets no answer makes the node ineligible with a reason naming the
 * home, and is not mistaken for a missing file. The home here is a path that does not exist, so
 * any fs call on it would fail with ENOENT instead of what the fake answers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EligibilityMonitor, HomeAnswer, HomeCalls } from '../../../src/jenkins/eligibility';
import { eligibilityMonitor } from '../../helpers/eligibility';
import { waitFor } from '../../helpers/wait';

const HOME = '/nonexistent/jenkins-ha-eligibility-home';
const MIB = 1024 * 1024;
const TIMEOUT = (op: string, p: string): HomeAnswer<never> => ({ kind: 'timeout', message: `${op} ${p}: no answer within 2000 ms (JENKINS_HOME hung?); helper pid 4242 killed` });

/** A home I/O that answers like a healthy home unless an op is told to time out; it records every call. */
function fakeIo(hang: { stat?: string; probeWrite?: boolean; statfs?: boolean } = {}, modes: Record<string, number> = {}): HomeCalls & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    stat: (p) => {
      calls.push(`stat ${p}`);
      if (hang.stat === p) return Promise.resolve(TIMEOUT('stat', p));
      return Promise.resolve({ kind: 'ok', value: { type: p === HOME ? 'a directory' : 'file', mode: modes[p] ?? 0o755 } });
    },
    probeWrite: (p, _t, durable) => {
      calls.push(`probeWrite ${p} durable=${durable}`);
      return Promise.resolve(hang.probeWrite ? TIMEOUT('probeWrite', p) : { kind: 'ok', value: true });
    },
    statfs: (p) => {
      calls.push(`statfs ${p}`);
      return Promise.resolve(hang.statfs ? TIMEOUT('statfs', p) : { kind: 'ok', value: { freeBytes: 10 * MIB } });
    },
  };
}

function monitor(io: HomeCalls, over: { command?: string; minFreeDiskMb?: number } = {}): EligibilityMonitor {
  return eligibilityMonitor(HOME, io, over);
}

test('a healthy home: stat, a durable probe write and statfs, all through the home I/O; free disk from its statfs', async () => {
  const io = fakeIo();
  const r = await monitor(io, { minFreeDiskMb: 20 }).check();
  expect(io.calls).toEqual([`stat ${HOME}`, `statfs ${HOME}`, `probeWrite ${path.join(HOME, '.jenkins-ha-probe-a')} durable=true`]);
  // 10 MiB from the fake statfs (Node's statfs of this path would have failed: no free-disk verdict).
  expect(r?.reasons).toEqual(['free disk 10 MiB below 20 MiB']);
  expect((await monitor(fakeIo()).check())?.eligible).toBe(true);
});

test.each([
  ['the stat of the home', { stat: HOME }, `stat ${HOME}`],
  ['the probe write', { probeWrite: true }, `probeWrite ${path.join(HOME, '.jenkins-ha-probe-a')}`],
  ['the free-disk statfs alone', { statfs: true }, `statfs ${HOME}`],
])('no answer to %s: ineligible, the reason names the home and the call', async (_what, hang, call) => {
  const r = await monitor(fakeIo(hang)).check();
  expect(r?.eligible).toBe(false);
  expect(r?.reasons).toEqual([`JENKINS_HOME: ${HOME} does not answer: ${call}: no answer within 2000 ms (JENKINS_HOME hung?); helper pid 4242 killed`]);
});

test('a war inside the home is looked at through the home I/O: no answer is a hung home, not a missing war', async () => {
  const war = path.join(HOME, 'jenkins.war');
  const io = fakeIo({ stat: war });
  const r = await monitor(io, { command: `sh -jar ${war}` }).check();
  expect(io.calls).toContain(`stat ${war}`);
  expect(r?.reasons).toEqual([`JENKINS_HOME: ${HOME} does not answer: stat ${war}: no answer within 2000 ms (JENKINS_HOME hung?); helper pid 4242 killed`]);
});

test('a war outside the home is not the home I/O\'s business (Node fs, as before)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-elig-war-'));
  try {
    const war = path.join(dir, 'missing.war');
    const io = fakeIo();
    const r = await monitor(io, { command: `sh -jar ${war}` }).check();
    expect(io.calls.some((c) => c.includes(war))).toBe(false);
    expect(r?.reasons).toEqual([`war file not found: ${war}`]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a command relative to the home is looked at through the home I/O: its x bits, and no answer is a hung home, not a missing command', async () => {
  const bin = path.join(HOME, 'bin', 'jenkins.sh');
  const hung = fakeIo({ stat: bin });
  const r = await monitor(hung, { command: 'bin/jenkins.sh --httpPort=8080' }).check();
  expect(hung.calls).toContain(`stat ${bin}`);
  expect(r?.reasons).toEqual([`JENKINS_HOME: ${HOME} does not answer: stat ${bin}: no answer within 2000 ms (JENKINS_HOME hung?); helper pid 4242 killed`]);
  // Answered: executable (the fake's 0755) is eligible; without an x bit it is not found.
  expect((await monitor(fakeIo(), { command: 'bin/jenkins.sh' }).check())?.eligible).toBe(true);
  const plain = await monitor(fakeIo({}, { [bin]: 0o644 }), { command: './bin/jenkins.sh' }).check();
  expect(plain?.eligible).toBe(false);
  expect(plain?.reasons.join('\n')).toContain('bin/jenkins.sh');
});

test('a home that answers again is checked at once, not an interval later', async () => {
  let hung = true;
  const listeners: ((h: { state: string }) => void)[] = [];
  const io: HomeCalls = {
    ...fakeIo(),
    probeWrite: () => Promise.resolve(hung ? TIMEOUT('probeWrite', HOME) : { kind: 'ok', value: true }),
    onChange: (l) => void listeners.push(l),
  };
  const m = monitor(io); // intervalMs 60 s: without the recovery hook the second check would be a minute away
  const results: boolean[] = [];
  m.on('change', (r: { eligible: boolean }) => results.push(r.eligible));
  m.start();
  try {
    await waitFor(() => results.length === 1, { timeoutMs: 5000, what: 'the first check' });
    expect(results).toEqual([false]);
    hung = false;
    for (const l of listeners) l({ state: 'ok' });
    await waitFor(() => results.length === 2, { timeoutMs: 5000, what: 'a check right after the home answered again' });
    expect(results).toEqual([false, true]);
  } finally {
    m.stop();
  }
});

test('a home that answers again while a check waits on it: one more check right after that one', async () => {
  let release: (() => void) | null = null;
  let hung = true;
  const listeners: ((h: { state: string }) => void)[] = [];
  const io: HomeCalls = {
    ...fakeIo(),
    probeWrite: () =>
      hung
        ? new Promise((resolve) => (release = () => resolve(TIMEOUT('probeWrite', HOME))))
        : Promise.resolve({ kind: 'ok', value: true }),
    onChange: (l) => void listeners.push(l),
  };
  const m = monitor(io);
  const results: boolean[] = [];
  m.on('change', (r: { eligible: boolean }) => results.push(r.eligible));
  m.start();
  try {
    await waitFor(() => release !== null, { timeoutMs: 5000, what: 'the first check to wait on the probe' });
    hung = false;
    for (const l of listeners) l({ state: 'ok' }); // the home answered, but this check's probe had timed out
    (release as unknown as () => void)();
    await waitFor(() => results.length === 2, { timeoutMs: 5000, what: 'the check after the one that timed out' });
    expect(results).toEqual([false, true]);
  } finally {
    m.stop();
  }
});
