/**
 * Service mode (jenkins.mode = service) with real commands: test/fixtures/fake-service.sh plays the
 * service manager (starts the Jenkins stand-in detached, in a session of its own like systemd,
 * records its pid, stops it with SIGTERM). Each node has its own "service manager" state; the
 * JENKINS_HOME is shared. Failover after a controller SIGKILL, a graceful switchover, fencing of
 * a frozen controller, and a stray service on a standby: the journal never shows two alive.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertNeverTwoAlive, runningStandin } from '../helpers/journal';
import { mono, REPO, STANDIN, type HaNode } from '../helpers/ha-node';
import { api } from '../helpers/jenkins-api';
import { isAlive, waitForExit } from '../helpers/procs';
import { expectFrozenLeaderLosesJenkins } from '../helpers/frozen-leader';
import { haSuite } from '../helpers/suite';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy';

const T = 2000;
const FAKE = path.join(REPO, 'test', 'fixtures', 'fake-service.sh');
const TOKEN = 'integration-token';
let proxy: TcpProxy | null = null;
const suite = haSuite({
  afterEach: async () => {
    await proxy?.close();
    proxy = null;
  },
});

function serviceDir(id: string): string {
  return `${suite.fx.home}-svc-${id}`;
}

function serviceEnv(id: string): Record<string, string> {
  const dir = serviceDir(id);
  return {
    JHA_API_TOKEN: TOKEN,
    JHA_JENKINS_MODE: 'service',
    JHA_JENKINS_START_COMMAND: `bash ${FAKE} start`,
    JHA_JENKINS_STOP_COMMAND: `bash ${FAKE} stop`,
    JHA_JENKINS_STATUS_COMMAND: `bash ${FAKE} status`,
    JHA_JENKINS_SERVICE_PID_COMMAND: `bash ${FAKE} pid`,
    JHA_ELIGIBILITY_INTERVAL_MS: '300',
    FAKE_SERVICE_DIR: dir,
    FAKE_SERVICE_CMD: `exec node ${STANDIN} --httpPort=${suite.fx.jenkinsPort}`,
  };
}

function start(id: string): HaNode {
  return suite.fx.start(id, { env: serviceEnv(id) });
}

async function pair(): Promise<{ a: HaNode; b: HaNode; standinPid: number }> {
  const a = start('a');
  await a.waitLeaderReady();
  const b = start('b');
  await b.waitRole('standby');
  return { a, b, standinPid: runningStandin(suite.fx.home) };
}

afterEach(() => {
  for (const id of ['a', 'b', 'x']) fs.rmSync(`${suite.fx.home}-svc-${id}`, { recursive: true, force: true });
});

test('service mode: the leader starts the service, not as its child, and knows its main pid', async () => {
  const { a, standinPid } = await pair();
  const ev = a.events('jenkins.service_pid')[0]!;
  expect(ev.pid).toBe(standinPid);
  const stat = fs.readFileSync(`/proc/${standinPid}/stat`, 'utf8');
  const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Its own session, like a systemd service: the controller's group signals cannot reach it.
  expect(Number(session)).toBe(standinPid);
  expect(Number(pgrp)).toBe(standinPid);
  expect(fs.readFileSync(path.join(serviceDir('a'), 'events.log'), 'utf8')).toMatch(new RegExp(`^start ${standinPid}$`, 'm'));
});

test('service mode: a SIGKILLed controller loses its service to the shim, and the standby takes over', async () => {
  const { a, b, standinPid } = await pair();
  const t0 = mono();
  a.signal('SIGKILL');
  expect(await waitForExit(standinPid, 3000)).toBe(true);
  expect(mono() - t0).toBeLessThan(T);
  const s = await b.waitLeaderReady(30000);
  expect(s.epoch).toBe(2);
  expect(fs.readFileSync(path.join(serviceDir('a'), 'events.log'), 'utf8')).toMatch(new RegExp(`^stop ${standinPid}$`, 'm'));
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
});

test('service mode: a switchover stops the service with its stop command and hands over with zero overlap', async () => {
  const { a, b, standinPid } = await pair();
  expect((await api(a, 'POST', '/switchover', { token: TOKEN })).status).toBe(202);
  const s = await b.waitLeaderReady(30000);
  expect(s.epoch).toBe(2);
  await a.waitRole('standby');
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls.map((l) => l.epoch)).toEqual(['1', '2']);
  expect(ls[0]).toMatchObject({ pid: standinPid, endedBy: 'stop' });
  expect(ls[1]!.start).toBeGreaterThan(ls[0]!.end);
  expect(fs.readFileSync(path.join(serviceDir('a'), 'events.log'), 'utf8')).toMatch(new RegExp(`^stop ${standinPid}$`, 'm'));
  expect(b.events('epoch.taken')[0]!.previousExitedCleanly).toBe(true);
});

test('service mode: a graceful stop whose SIGTERM lands while the shim runs a command still stops the service with its stop command', async () => {
  // The controller's graceful stop is a SIGTERM to the shim's process group, which also reaches
  // whatever the shim is running at that moment. A `cat` that is slow (here: a wrapper first on
  // PATH) keeps the shim inside such a command most of the time: the shim once read the killed
  // command as "the service's main pid is gone", exited without the stop command, and the
  // controller then SIGKILLed the service as a survivor (seen once in CI).
  const bin = `${suite.fx.home}-slowbin`;
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'cat'), '#!/bin/sh\nsleep 0.3\nexec /bin/cat "$@"\n', { mode: 0o755 });
  try {
    const a = suite.fx.start('a', { env: { ...serviceEnv('a'), PATH: `${bin}:${process.env.PATH ?? ''}` } });
    await a.waitLeaderReady();
    // The shim knows the main pid (it watches it in a loop of `cat`s).
    await a.waitForEvent('jenkins.service_pid', { timeoutMs: 20000 });
    const standinPid = runningStandin(suite.fx.home);
    await a.stop();
    const log = fs.readFileSync(path.join(serviceDir('a'), 'events.log'), 'utf8');
    expect({ stopCommand: new RegExp(`^stop ${standinPid}$`, 'm').test(log), survivors: a.events('jenkins.service_survivor').length, kills: a.events('jenkins.kill').length }).toEqual({
      stopCommand: true,
      survivors: 0,
      kills: 0,
    });
    expect(assertNeverTwoAlive(suite.fx.home)[0]).toMatchObject({ pid: standinPid, endedBy: 'stop' });
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test('service mode: a frozen controller (SIGSTOP) loses its service to the watchdog before the standby starts one', async () => {
  const { a, b, standinPid } = await pair();
  const ls = await expectFrozenLeaderLosesJenkins(suite.fx.home, a, b, standinPid, T);
  expect(ls[1]!.start).toBeGreaterThan(ls[0]!.end);
});

test('service mode: a standby finds its Jenkins service running outside jenkins-ha and stops it', async () => {
  const { b } = await pair();
  // Someone starts b's service by hand (or the unit is enabled at boot) - on a scratch home and
  // port here, so the shared journal stays the leader's.
  const scratch = fs.mkdtempSync(`${suite.fx.home}-stray-`);
  const r = await import('node:child_process').then((cp) =>
    cp.spawnSync('bash', [FAKE, 'start'], {
      env: { ...process.env, FAKE_SERVICE_DIR: serviceDir('b'), FAKE_SERVICE_CMD: `exec node ${STANDIN} --httpPort=${suite.fx.jenkinsPort + 7}`, JENKINS_HOME: scratch },
    }),
  );
  expect(r.status).toBe(0);
  const strayPid = Number(fs.readFileSync(path.join(serviceDir('b'), 'main.pid'), 'utf8'));
  try {
    await b.waitForEvent('jenkins.stray_service_stopped', { timeoutMs: 20000 });
    expect(await waitForExit(strayPid, 5000)).toBe(true);
    expect(b.events('eligibility.ineligible')[0]!.reasons).toEqual([expect.stringMatching(/runs although this node does not run Jenkins/)]);
    await b.waitRole('standby');
    expect((await api(b, 'GET', '/standby')).status).toBe(200);
  } finally {
    try {
      process.kill(strayPid, 'SIGKILL');
    } catch {
      /* stopped */
    }
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});

test('service mode: a fence before the shim knows the service pid still ends with the service stopped, before Jenkins counts as stopped', async () => {
  const [host, port] = suite.zk.connect.split(':');
  proxy = await startProxy({ host: host!, port: Number(port) });
  // a's service manager learns the main pid 8 s after the start: the fence comes before that.
  const a = suite.fx.start('a', { zk: `127.0.0.1:${proxy.port}`, env: { ...serviceEnv('a'), FAKE_SERVICE_PID_DELAY_MS: '8000' } });
  await a.waitForEvent('jenkins.started', { timeoutMs: 20000 });
  const unitFile = path.join(serviceDir('a'), 'unit.pid');
  let servicePid = 0;
  try {
    const b = start('b');
    await b.waitRole('standby');
    servicePid = Number(fs.readFileSync(unitFile, 'utf8'));
    expect(isAlive(servicePid)).toBe(true);
    const t0 = mono();
    proxy.blackhole();
    await a.waitForEvent('fenced', { after: t0 });
    // The precondition: the shim had not reported the service's pid when the fence began.
    expect(a.events('jenkins.service_pid')).toHaveLength(0);
    const stopped = await a.waitForEvent('jenkins.stopped', { after: t0, timeoutMs: 20000 });
    // Jenkins counts as stopped only once the service is: it was dead when a said so.
    expect(isAlive(servicePid)).toBe(false);
    expect(stopped.reason).toMatch(/no reply from ZooKeeper/);
    // Found through the pid command once the manager knew it, and killed.
    expect(a.events('jenkins.service_late_pid_killed').map((e) => e.pid)).toEqual([servicePid]);
    const s = await b.waitLeaderReady(30000);
    expect(s.epoch).toBe(2);
    // Meanwhile a's lock heartbeat went on: b waited for the storage lease, not for luck.
    expect(b.events('lock.waiting')[0]!.seenAt).toBeLessThan(stopped.seenAt);
    expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
  } finally {
    if (servicePid > 0 && isAlive(servicePid)) process.kill(servicePid, 'SIGKILL');
  }
});

test('service mode: a controller killed before its shim knows the service pid still loses its service', async () => {
  const a = suite.fx.start('a', { env: { ...serviceEnv('a'), FAKE_SERVICE_PID_DELAY_MS: '6000' } });
  await a.waitForEvent('jenkins.started', { timeoutMs: 20000 });
  let servicePid = 0;
  try {
    const b = start('b');
    await b.waitRole('standby');
    servicePid = Number(fs.readFileSync(path.join(serviceDir('a'), 'unit.pid'), 'utf8'));
    expect(a.events('jenkins.service_pid')).toHaveLength(0);
    a.signal('SIGKILL');
    // The shim's fence watches the pid command until the manager reports the pid, then kills it.
    expect(await waitForExit(servicePid, 15000)).toBe(true);
    const s = await b.waitLeaderReady(30000);
    expect(s.epoch).toBe(2);
    expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
  } finally {
    if (servicePid > 0 && isAlive(servicePid)) process.kill(servicePid, 'SIGKILL');
  }
});
