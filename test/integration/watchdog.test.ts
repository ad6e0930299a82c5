/**
 * The host watchdog (fencing.watchdog) with a real ZooKeeper, real controllers, the real shim and
 * the stand-in. The "device" is a regular file or a FIFO the test reads, with a fake sysfs
 * directory beside it (timeout, nowayout): it must receive keepalives only while its node leads
 * and can prove it, the magic 'V' when that node stops its Jenkins (switchover, SIGTERM, fence),
 * and nothing while it stands by. Every test ends with the journal check (haSuite).
 *
 * T = 6 s: fence after 3 s, a liveness request every 750 ms (ha-node: T/8), follower refresh lag
 * max(750, tickTime 200 / 2) = 750 ms, safety margin 250 ms, so a 2 s timeout is the one that fits
 * (3 + 2 + 0.25 + 0.75 <= 6, and 2 >= 2 x 0.75). The default margin (1 s) no longer fits here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { StatusSnapshot } from '../../src/controller/status';
import { mono, type HaNode } from '../helpers/ha-node';
import { assertNeverTwoAlive } from '../helpers/journal';
import { OpenApiChecker } from '../helpers/openapi';
import { haSuite } from '../helpers/suite';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { waitFor } from '../helpers/wait';

const T = 6000;
const TIMEOUT_S = 2;
const MARGIN_MS = 250;
const TOKEN = 'watchdog-it-token';
let dir = '';
let cleanups: Array<() => Promise<void> | void> = [];
const suite = haSuite({
  afterEach: async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
    dir = '';
  },
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-wd-it-'));
});

interface FakeDevice {
  device: string;
  sysfs: string;
  env(mode: 'automatic' | 'required'): Record<string, string>;
}

/** A fake watchdog for node `id`: a regular file (or a FIFO) and a sysfs dir with timeout and nowayout. */
function fakeDevice(id: string, opts: { fifo?: boolean; nowayout?: number } = {}): FakeDevice {
  const base = path.join(dir, id);
  fs.mkdirSync(path.join(base, 'sys'), { recursive: true });
  const device = path.join(base, 'watchdog');
  if (opts.fifo) expect(spawnSync('mkfifo', [device]).status).toBe(0);
  else fs.writeFileSync(device, '');
  const sysfs = path.join(base, 'sys');
  fs.writeFileSync(path.join(sysfs, 'timeout'), `${TIMEOUT_S}\n`);
  fs.writeFileSync(path.join(sysfs, 'nowayout'), `${opts.nowayout ?? 0}\n`);
  return {
    device,
    sysfs,
    env: (mode) => ({ JHA_FENCING_WATCHDOG_MODE: mode, JHA_FENCING_WATCHDOG_DEVICE: device, JHA_FENCING_WATCHDOG_SYSFS_DIR: sysfs, JHA_FENCING_WATCHDOG_SAFETY_MARGIN_MS: String(MARGIN_MS), JHA_API_TOKEN: TOKEN }),
  };
}

const bytes = (d: FakeDevice): string => fs.readFileSync(d.device).toString('latin1');
const keepalives = (s: string): number => [...s].filter((c) => c === '\0').length;

/** Reads a FIFO device without blocking, stamping every byte with the time the test saw it. */
function fifoReader(d: FakeDevice): { seen: Array<{ at: number; byte: string }> } {
  const fd = fs.openSync(d.device, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const seen: Array<{ at: number; byte: string }> = [];
  const buf = Buffer.alloc(256);
  const poll = (): void => {
    for (;;) {
      let n = 0;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch {
        return; // EAGAIN: nothing more now
      }
      if (n === 0) return; // no writer (yet, or any more)
      const at = mono();
      for (const b of buf.subarray(0, n).toString('latin1')) seen.push({ at, byte: b });
    }
  };
  const timer = setInterval(poll, 10);
  cleanups.push(() => {
    clearInterval(timer);
    poll();
    fs.closeSync(fd);
  });
  return { seen };
}

const checker = new OpenApiChecker();

/** GET /status, checked against docs/openapi.yaml (the watchdog block and the watchdog gate are documented). */
async function checkedStatus(n: HaNode): Promise<StatusSnapshot> {
  const res = await fetch(`http://127.0.0.1:${n.opts.apiPort}/status`);
  const body = (await res.json()) as StatusSnapshot;
  checker.check('GET', '/status', res.status, res.headers.get('content-type') ?? undefined, body);
  return body;
}

async function metric(n: HaNode, series: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${n.opts.apiPort}/metrics`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

function indexOfEvent(n: HaNode, event: string, from = 0): number {
  return n.logs.findIndex((l, i) => i >= from && l.event === event);
}

test('required: the leader keeps its watchdog alive while it leads and writes the magic V when it hands over (switchover, then SIGTERM)', async () => {
  const wa = fakeDevice('a');
  const wb = fakeDevice('b');
  const a = suite.fx.start('a', { sessionTimeoutMs: T, env: wa.env('required') });
  await a.waitLeaderReady();
  const s = await checkedStatus(a);
  expect(s.watchdog).toEqual({ mode: 'required', device: wa.device, armed: true, timeoutMs: TIMEOUT_S * 1000, errors: 0, lastError: null });
  expect(s.launchBlocked).toBeNull();
  // Armed before the spawn.
  expect(indexOfEvent(a, 'watchdog.armed')).toBeGreaterThanOrEqual(0);
  expect(indexOfEvent(a, 'watchdog.armed')).toBeLessThan(indexOfEvent(a, 'jenkins.started'));
  expect(await metric(a, 'jenkins_ha_watchdog_armed')).toBe(1);
  // Keepalives come with ZooKeeper's answers (one liveness request a second here).
  await waitFor(() => keepalives(bytes(wa)) >= 3, { timeoutMs: 10000, what: "keepalives on a's device" });
  expect(bytes(wa)).not.toContain('V');

  const b = suite.fx.start('b', { sessionTimeoutMs: T, env: wb.env('required') });
  await b.waitRole('standby');
  expect(bytes(wb)).toBe(''); // a standby never arms
  expect((await checkedStatus(b)).watchdog).toMatchObject({ mode: 'required', armed: false, timeoutMs: TIMEOUT_S * 1000 });

  const t0 = mono();
  const res = await fetch(`http://127.0.0.1:${a.opts.apiPort}/switchover`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: '{}',
  });
  expect(res.status).toBe(202);
  const disarmed = await a.waitForEvent('watchdog.disarmed', { after: t0 });
  expect(String(disarmed.reason)).toMatch(/^Jenkins stopped \(switchover/);
  // Disarmed once Jenkins had stopped, with one V as the last byte.
  expect(indexOfEvent(a, 'jenkins.stopped')).toBeLessThan(indexOfEvent(a, 'watchdog.disarmed'));
  const handedOver = bytes(wa);
  expect(handedOver.endsWith('V')).toBe(true);
  expect(handedOver.indexOf('V')).toBe(handedOver.length - 1);
  await b.waitLeaderReady();
  expect((await a.status())?.watchdog).toMatchObject({ armed: false, errors: 0 });
  expect(await metric(a, 'jenkins_ha_watchdog_armed')).toBe(0);
  await waitFor(() => keepalives(bytes(wb)) >= 2, { timeoutMs: 10000, what: "keepalives on b's device" });

  // a stands by: nothing more on its device. Stop it, then SIGTERM the leader b.
  await a.stop();
  expect(bytes(wa)).toBe(handedOver);
  await b.stop();
  expect(await b.exited).toEqual({ code: 0, signal: null });
  const last = bytes(wb);
  expect(last.endsWith('V')).toBe(true);
  expect(last.indexOf('V')).toBe(last.length - 1);
  expect(String(b.events('watchdog.disarmed')[0]?.reason)).toMatch(/^Jenkins stopped \(shutting down/);
  expect(b.events('watchdog.error')).toHaveLength(0);
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
});

test('automatic: a node whose watchdog cannot be validated (nowayout=1) warns once and still leads, without opening it', async () => {
  const wa = fakeDevice('a', { nowayout: 1 });
  const a = suite.fx.start('a', { sessionTimeoutMs: T, env: wa.env('automatic') });
  await a.waitLeaderReady();
  const s = await checkedStatus(a);
  const warned = a.events('watchdog.unavailable');
  expect(warned).toHaveLength(1);
  expect(warned[0]).toMatchObject({ level: 'warn', key: 'fencing.watchdog.device', mode: 'automatic' });
  expect(warned[0]?.message).toContain('nowayout=1');
  expect(s.watchdog).toMatchObject({ mode: 'automatic', armed: false });
  expect(s.watchdog?.lastError).toContain('nowayout=1');
  expect(s.launchBlocked).toBeNull();
  expect(a.events('watchdog.armed')).toHaveLength(0);
  expect(bytes(wa)).toBe('');
});

test('required: a watchdog that cannot be validated at start-up is a configuration error naming fencing.watchdog.device (exit 2)', async () => {
  const wa = fakeDevice('a', { nowayout: 1 });
  const a = suite.fx.start('a', { sessionTimeoutMs: T, env: wa.env('required') });
  expect(await a.exited).toEqual({ code: 2, signal: null });
  const line = a.logs.find((l) => l.message.includes('configuration error'));
  expect(line?.message).toMatch(/^jenkins-ha: configuration error: fencing\.watchdog\.device: .*nowayout=1.*\(fencing\.watchdog\.mode is required\)$/);
  expect(bytes(wa)).toBe('');
});

test('required: a leader that cannot arm its watchdog holds Jenkins back (gate watchdog) and launches once it can', async () => {
  // A FIFO passes the start-up check but cannot be opened for writing without a reader.
  const wa = fakeDevice('a', { fifo: true });
  const a = suite.fx.start('a', { sessionTimeoutMs: T, env: wa.env('required') });
  const held = await waitFor(
    async () => {
      const s = await a.status();
      return s && s.node.role === 'leader' && s.launchBlocked?.gate === 'watchdog' ? s : null;
    },
    { timeoutMs: 20000, what: 'a to lead with the launch held back by the watchdog' },
  );
  expect(held.jenkins.state).toBe('stopped');
  await checkedStatus(a);
  expect(held.launchBlocked?.reason).toMatch(/host watchdog is required but cannot be armed \(cannot open .*ENXIO/);
  expect(held.watchdog).toMatchObject({ mode: 'required', armed: false });
  expect(held.history.some((h) => h.event === 'watchdog.unavailable')).toBe(true);
  // Tried again every second (each try is a launch decision), while Jenkins stays stopped.
  await waitFor(() => a.events('decision').filter((l) => l.action === 'launch').length >= 3, { timeoutMs: 10000, what: 'three launch attempts' });
  expect(a.events('jenkins.started')).toHaveLength(0);

  const reader = fifoReader(wa);
  const ready = await a.waitLeaderReady();
  expect(ready.launchBlocked).toBeNull();
  expect(ready.watchdog).toMatchObject({ armed: true, errors: 0, lastError: null });
  expect(a.events('watchdog.unavailable')).toHaveLength(1);
  expect(a.events('watchdog.unavailable')[0]?.level).toBe('error');
  expect(a.events('watchdog.gate_cleared')).toHaveLength(1);
  await waitFor(() => reader.seen.filter((s) => s.byte === '\0').length >= 2, { timeoutMs: 10000, what: 'keepalives through the FIFO' });
  await a.stop();
  await waitFor(() => reader.seen.at(-1)?.byte === 'V', { timeoutMs: 5000, what: 'the magic V through the FIFO' });
});

describe('behind a silent partition', () => {
  let proxy: TcpProxy | null = null;
  afterEach(async () => {
    await proxy?.close();
    proxy = null;
  });

  test('keepalives stop with ZooKeeper\'s answers, so the host would reset before the standby can start Jenkins', async () => {
    const [host, port] = suite.zk.connect.split(':');
    proxy = await startProxy({ host: host!, port: Number(port) });
    const wa = fakeDevice('a', { fifo: true });
    const reader = fifoReader(wa);
    const a = suite.fx.start('a', { zk: `127.0.0.1:${proxy.port}`, sessionTimeoutMs: T, env: wa.env('required') });
    await a.waitLeaderReady();
    // The timeout (2 s) is shorter than the fence deadline + kill grace (3.5 s): it says so.
    expect(a.events('watchdog.early_reset')).toHaveLength(1);
    const b = suite.fx.start('b', { sessionTimeoutMs: T });
    await b.waitRole('standby');
    await waitFor(() => reader.seen.filter((s) => s.byte === '\0').length >= 2, { timeoutMs: 10000, what: 'keepalives before the partition' });

    const t0 = mono();
    proxy.blackhole();
    await a.waitForEvent('fenced', { after: t0 });
    await waitFor(() => reader.seen.at(-1)?.byte === 'V', { timeoutMs: 10000, what: 'the magic V after the fence' });
    const lastKeepalive = reader.seen.filter((s) => s.byte === '\0').at(-1)!.at;
    // No keepalive after ZooKeeper went silent (the 10 ms poll and a reply in flight aside).
    expect(lastKeepalive - t0).toBeLessThan(500);
    await b.waitLeaderReady(30000);
    const [, second] = assertNeverTwoAlive(suite.fx.home);
    // With a real device the host would have reset at lastKeepalive + 2 s; b's Jenkins starts later.
    expect(second!.start).toBeGreaterThan(lastKeepalive + TIMEOUT_S * 1000);
  });
});
