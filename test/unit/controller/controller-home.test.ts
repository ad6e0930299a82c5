/**
 * The Controller (./harness.ts) and its JENKINS_HOME: a leader whose home I/O times out kills its
 * Jenkins at once and leaves the election without the clean-exit steps (its breadcrumb and its
 * lock stay, so the successor fences this host), stays out while the home hangs and rejoins once
 * it answers; and the re-check right before the spawn refuses a term whose session is gone.
 *
 * The home I/O is a real HomeIo whose helper can be made to hang: once the flag file exists, a
 * new helper announces itself and never answers (a call on a hung mount, seen from here), and
 * the running one is stopped with SIGSTOP.
 */
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HomeIo } from '../../../src/fencing/home-io';
import { HELPER_SOURCE } from '../../../src/fencing/home-io-helper';
import { readLock } from '../../../src/fencing/home-lock';
import { waitFor } from '../../helpers/wait';
import { BASE, controllerHarness, FakeClock, type Harness } from './harness';

const WAIT = { timeoutMs: 5000 };

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function harness(...args: Parameters<typeof controllerHarness>): Harness {
  const h = controllerHarness(...args);
  cleanups.push(() => h.close());
  return h;
}

/** A HomeIo (deadline `timeoutMs`) whose helper hangs on demand. */
function hangableIo(timeoutMs: number, now: () => number): { io: HomeIo; hang(): void; heal(): Promise<void> } {
  const dir = mkdtempSync(path.join(tmpdir(), 'jha-hang-flag-'));
  const flag = path.join(dir, 'hang');
  const src =
    `if (require('fs').existsSync(${JSON.stringify(flag)})) {` +
    ` process.stdout.write('{"id":0,"ok":true}\\n'); process.stdin.resume(); setInterval(() => {}, 1e9);` +
    ` } else { eval(${JSON.stringify(HELPER_SOURCE)}); }`;
  const io = new HomeIo({ timeoutMs, now, command: [process.execPath, '-e', src] });
  cleanups.push(() => {
    io.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    io,
    hang() {
      writeFileSync(flag, '');
      const pid = io.pids().helper;
      if (pid !== null) process.kill(pid, 'SIGSTOP');
    },
    async heal() {
      unlinkSync(flag);
      // The hung helper is killed at the next deadline; a fresh one answers.
      await waitFor(async () => (await io.read(path.join(dir, 'probe'))).kind === 'ok', { ...WAIT, what: 'the home I/O to answer again' });
    },
  };
}

async function lockState(home: string): Promise<string> {
  const r = await readLock(home);
  return r.kind === 'ok' ? `${r.record.state} by ${r.record.nodeId} (epoch ${r.record.epoch})` : r.kind;
}

test('a leader whose home I/O times out kills Jenkins at once and leaves the election keeping its breadcrumb and its lock; it rejoins once the home answers', async () => {
  const clock = new FakeClock();
  const hio = hangableIo(300, clock.now);
  const h = harness({ clock, deps: { homeIo: hio.io } });
  h.start();
  await waitFor(() => h.jenkins.launches.length === 1 && h.jenkins.status().state === 'running', { ...WAIT, what: 'the launch' });
  expect(await lockState(h.home)).toBe('held by node-a (epoch 1)');
  expect(h.controller.status().home).toMatchObject({ state: 'ok', leaseLost: false, jenkinsStuck: false });

  hio.hang();
  // The next heartbeat (lock.heartbeatMs 1000) misses its 300 ms deadline.
  const yielded = await waitFor(() => h.log.events('home.yielded')[0], { ...WAIT, what: 'home.yielded' });
  expect(yielded.level).toBe('warn');
  const fenced = h.log.events('fenced');
  expect(fenced).toHaveLength(1);
  expect(fenced[0]!.fields.graceMs).toBe(0); // SIGKILL at once: no SIGTERM grace on a hung home
  expect(h.log.entries.indexOf(fenced[0]!)).toBeLessThan(h.log.entries.indexOf(yielded));
  expect(h.jenkins.status().state).toBe('stopped');
  expect(h.steps.filter((s) => s === 'supervisor.stop')).toHaveLength(1);
  await waitFor(() => h.election.status().role === 'idle', { ...WAIT, what: 'out of the election' });
  // No clean exit: the breadcrumb stays (the successor runs the fencing methods) and the lock is
  // not marked released (that write would wait on the hung home).
  expect(h.zk.stat(`${BASE}/active`)).not.toBeNull();
  expect(await lockState(h.home)).toBe('held by node-a (epoch 1)');
  expect(h.log.events('home.left_election')).toHaveLength(0);
  const s = h.controller.status();
  expect(s.home).toMatchObject({ state: 'hung', jenkinsStuck: false });
  expect(s.history.map((e) => e.event)).toEqual(expect.arrayContaining(['fenced', 'home.yielded']));
  expect(s.notes?.join('\n')).toMatch(/JENKINS_HOME does not answer .*check this host's mount of JENKINS_HOME/);

  // Past the resign cool-down it stays out while the home hangs.
  h.clock.advance(6000);
  await waitFor(() => /staying out of the election until it answers again$/.test(h.controller.status().decision), { ...WAIT, what: 'staying out' });
  expect(h.election.status().role).toBe('idle');

  await hio.heal();
  await waitFor(() => h.election.status().role !== 'idle', { ...WAIT, what: 'the rejoin after the heal' });
  expect(h.controller.status().home?.state).toBe('ok');
});

test('the re-check before the spawn refuses a term whose session is gone, though the new session leads again', async () => {
  const clock = new FakeClock();
  let h: Harness | null = null;
  let expireOnce = true;
  class ExpiringIo extends HomeIo {
    override async writeAtomic(...args: Parameters<HomeIo['writeAtomic']>): ReturnType<HomeIo['writeAtomic']> {
      const r = await super.writeAtomic(...args);
      if (expireOnce && h) {
        expireOnce = false;
        // The lock is written; meanwhile the session expired and the node leads again in the new one.
        const { coord, election } = h;
        const gen = coord.generation;
        coord.expireSession();
        await waitFor(
          () => {
            const es = election.status();
            return coord.generation > gen && es.role === 'leader' && es.generation === coord.generation && coord.state === 'connected';
          },
          { ...WAIT, what: 'leading in the new session' },
        );
      }
      return r;
    }
  }
  const io = new ExpiringIo({ timeoutMs: 2000, now: clock.now });
  cleanups.push(() => io.close());
  h = harness({ clock, deps: { homeIo: io } });
  h.start();
  await waitFor(() => h?.jenkins.launches.length === 1, { ...WAIT, what: 'the launch in the new session' });
  const discarded = h.log.events('launch.discarded');
  expect(discarded.map((e) => e.fields.epoch)).toEqual([1]);
  // No Jenkins ever ran with the epoch of the dead session.
  expect(h.jenkins.launches.map((l) => l.epoch)).toEqual([2]);
});
