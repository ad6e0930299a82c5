/**
 * A leader whose JENKINS_HOME hangs says so itself (issue 13, item 1): its home is a bindfs view
 * of a backing directory, hung with kill -STOP of bindfs. Measured before the fix: no log line, no
 * heartbeat, /status healthy, for as long as the mount hung. Now: `home.hung` within the I/O bound,
 * `lock.lease_lost` within lock.heartbeatMs + lock.ioTimeoutMs, the control loop keeps deciding
 * (/status answers with a small loop lag), and `home.recovered` after kill -CONT. The leader's
 * yield (fence + leave the election) comes with the controller's wiring of home-policy.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BindMount } from '../helpers/bindfs';
import { mono } from '../helpers/ha-node';
import { haSuite } from '../helpers/suite';

const suite = haSuite();
let root: string;
let mount: BindMount;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-hung-home-'));
  fs.mkdirSync(path.join(root, 'back'), { mode: 0o700 });
  mount = await BindMount.mount(path.join(root, 'back'), path.join(root, 'mnt'));
});

afterAll(async () => {
  await mount?.unmount();
  fs.rmSync(root, { recursive: true, force: true });
});

test('a leader whose home hangs logs home.hung and lock.lease_lost in time, keeps deciding, and logs home.recovered after the heal', async () => {
  const HB = 200;
  // Generous for a loaded CI host: a helper not scheduled for 500 ms once read as a hung home.
  const IO = 1000;
  // The stand-in journals in the fixture's home (not on the mount), so the never-two-alive check still reads it.
  const a = suite.fx.start('a', {
    home: mount.mountpoint,
    env: { STANDIN_STATE_DIR: suite.fx.home, JHA_LOCK_HEARTBEAT_MS: String(HB), JHA_LOCK_LEASE_MS: '1500', JHA_LOCK_IO_TIMEOUT_MS: String(IO) },
  });
  await a.waitLeaderReady();
  expect(a.events('home.hung')).toHaveLength(0);

  const hungAt = mono();
  mount.hang();
  try {
    const hung = await a.waitForEvent('home.hung', { timeoutMs: 10_000 });
    expect(hung.level).toBe('error');
    expect(String(hung.reason)).toMatch(/no answer within \d+ ms/);
    // The next heartbeat or probe starts within HB and times out IO later (plus log transport).
    expect(hung.seenAt - hungAt).toBeLessThan(HB + IO + 1500);
    const lost = await a.waitForEvent('lock.lease_lost', { timeoutMs: 10_000 });
    expect(lost.seenAt - hungAt).toBeLessThan(HB + IO + HB + 1500);
    // The loop is not stuck on the mount: it keeps completing cycles and the API answers.
    const s = await a.status();
    expect(s).not.toBeNull();
    expect(s?.loopLagMs ?? Infinity).toBeLessThan(1000);
  } finally {
    mount.heal();
  }
  const back = await a.waitForEvent('home.recovered', { timeoutMs: 10_000 });
  expect(back.level).toBe('info');
  expect(back.was).toBe('hung');
  await a.stop();
});
