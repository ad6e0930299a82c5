/**
 * Issue 15 item 2: when only the leader's controller dies (SIGKILL, host alive), its shim's closer
 * closes the dead session once Jenkins' group is gone, and the standby takes over without waiting
 * for the session to expire (docs/safety.md, "A crashed controller's session, closed by its
 * shim"). Real ZooKeeper, real controllers and stand-ins; the closer itself is also run alone
 * against a real session, to show that it leaves a session alone while Jenkins or the controller
 * lives. Every test ends with the journal check (never two Jenkins alive).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zk from 'node-zookeeper-client';
import { encodeHandoff, type SessionHandoff } from '../../src/coordination/session-close';
import { readLock, writeLockAtomic } from '../../src/fencing/home-lock';
import { mono, REPO } from '../helpers/ha-node';
import { assertNeverTwoAlive, lives, readJournal } from '../helpers/journal';
import { groupMembers, waitForExit } from '../helpers/procs';
import { haSuite } from '../helpers/suite';

const T = 10000;
const CLOSER = path.join(REPO, 'dist', 'session-closer.js');
const suite = haSuite();

/**
 * ZooKeeper's session password is `new java.util.Random(sessionId ^ 0xB3415C00L).nextBytes(16)`
 * (ZooKeeperServer.generatePasswd): the test can know it without asking anybody, and so look for
 * it everywhere. Checked against the library's own copy below.
 */
function zkPassword(sessionIdHex: string): Buffer {
  const mask = (1n << 48n) - 1n;
  let seed = (BigInt.asUintN(64, BigInt(`0x${sessionIdHex}`) ^ 0xb3415c00n) ^ 0x5deece66dn) & mask;
  const nextInt = (): number => {
    seed = (seed * 0x5deece66dn + 0xbn) & mask;
    return Number(BigInt.asIntN(32, seed >> 16n));
  };
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; ) {
    let rnd = nextInt();
    for (let n = Math.min(16 - i, 4); n-- > 0; rnd >>= 8) out[i++] = rnd & 0xff;
  }
  return out;
}

function forms(pw: Buffer): string[] {
  return [pw.toString('hex'), pw.toString('base64'), pw.toString('base64url'), pw.toString('latin1')];
}

/** Every live process whose command line mentions `needle`, with its environ and cmdline. */
function procsWith(needle: string): Array<{ pid: number; environ: string; cmdline: string }> {
  const out: Array<{ pid: number; environ: string; cmdline: string }> = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${e}/cmdline`, 'latin1');
      if (!cmdline.includes(needle)) continue;
      out.push({ pid: Number(e), cmdline, environ: fs.readFileSync(`/proc/${e}/environ`, 'latin1') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function session(connect: string): Promise<zk.Client> {
  const c = zk.createClient(connect, { sessionTimeout: T, spinDelay: 100, retries: 0 });
  await new Promise<void>((resolve) => {
    c.once('connected', () => resolve());
    c.connect();
  });
  return c;
}

test('the session password the test derives is ZooKeeper\'s', async () => {
  const c = await session(suite.zk.connect);
  try {
    expect(zkPassword(c.getSessionId().toString('hex')).equals(c.getSessionPassword())).toBe(true);
  } finally {
    c.close();
  }
});

test('SIGKILL of the leader\'s controller alone at T = 10 s: the standby spawns Jenkins well under T, the password shows nowhere', async () => {
  const a = suite.fx.start('a', { sessionTimeoutMs: T });
  const sa = await a.waitLeaderReady();
  const b = suite.fx.start('b', { sessionTimeoutMs: T });
  await b.waitRole('standby');
  const sessionId = String(a.events('zk.session')[0]!.sessionId);
  const secrets = forms(zkPassword(sessionId));
  const pgid = sa.jenkins.pid!;
  const standin = lives(readJournal(suite.fx.home)).find((l) => l.endedBy === 'running')!.pid;
  // The shim got the hand-off (after the go line) on its stdin: not in its environment or argv.
  const shim = fs.readFileSync(`/proc/${pgid}/environ`, 'latin1') + fs.readFileSync(`/proc/${pgid}/cmdline`, 'latin1');
  for (const s of secrets) expect(shim).not.toContain(s);
  expect(shim).toContain('JHA_SHIM_CLOSER=');

  // Watch for the closer while it lives (it is short-lived): its environment and argv.
  const seen: Array<{ pid: number; environ: string; cmdline: string }> = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      for (const p of procsWith('session-closer.js')) if (!seen.some((s) => s.pid === p.pid)) seen.push(p);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  const t0 = mono();
  a.signal('SIGKILL');
  expect(await waitForExit(standin, 3000)).toBe(true);
  const started = await b.waitForEvent('jenkins.started', { timeoutMs: T + 5000 });
  const takeoverMs = started.seenAt - t0;
  watching = false;
  await watcher;
  await b.waitLeaderReady();

  // Well under T: the session was closed, not expired (the bench measures the real number).
  expect(takeoverMs).toBeLessThan(5000);
  expect(b.events('epoch.taken')[0]!.previousExitedCleanly).toBe(false);
  // Jenkins' whole group was gone before the standby was even elected.
  expect(groupMembers(pgid)).toEqual([]);
  // The closer ran, in a session of its own (outside Jenkins' group), and held no secret.
  expect(seen.length).toBeGreaterThan(0);
  for (const p of seen) {
    for (const s of secrets) {
      expect(p.environ).not.toContain(s);
      expect(p.cmdline).not.toContain(s);
    }
    expect(p.environ).not.toContain('eyJ2IjoxLC'); // the base64 hand-off itself
  }
  // No log line of either node carries it.
  const logs = [...a.logs, ...b.logs].map((l) => JSON.stringify(l)).join('\n');
  for (const s of secrets) expect(logs).not.toContain(s);
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls.map((l) => l.epoch)).toEqual(['1', '2']);
}, 60000);

describe('the closer alone, against a real session', () => {
  // The session belongs to a controller stand-in process that the test SIGKILLs (a live owner
  // would take its session back from the closer); `c` is the test's own, to look.
  let c: zk.Client;
  let owner: { sessionId: string; password: string; znode: string };
  let seq = 0;
  beforeEach(async () => {
    c = await session(suite.zk.connect);
    const znode = `/closer-test-${process.pid}-${++seq}`;
    const script = `const zk = require('node-zookeeper-client');
      const c = zk.createClient(${JSON.stringify(suite.zk.connect)}, { sessionTimeout: ${T}, retries: 0 });
      c.once('connected', () => c.create(${JSON.stringify(znode)}, Buffer.from('x'), zk.CreateMode.EPHEMERAL, (e) => {
        if (e) throw e;
        process.stdout.write(c.getSessionId().toString('hex') + ' ' + c.getSessionPassword().toString('base64') + '\\n');
      }));
      c.connect();`;
    const p = spawn(process.execPath, ['-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => p.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
    p.kill('SIGKILL');
    await new Promise((r) => p.on('exit', r));
    const [sessionId, password] = line.split(' ') as [string, string];
    owner = { sessionId, password, znode };
  });
  afterEach(() => c.close());

  function handoff(over: Partial<SessionHandoff>): SessionHandoff {
    return {
      v: 1,
      connect: suite.zk.connect,
      sessionId: owner.sessionId,
      password: owner.password,
      sessionTimeoutMs: T,
      tls: null,
      auth: '',
      home: suite.fx.home,
      epoch: 3,
      nodeId: 'a',
      controllerPid: 999999999,
      controllerStart: '1',
      waitMs: 600,
      ioTimeoutMs: 2000,
      ...over,
    };
  }

  /** Run the closer for `pgid` with the hand-off on its stdin; resolves with its lines. */
  function runCloser(pgid: number, h: SessionHandoff): Promise<Array<{ event: string; message: string }>> {
    const p = spawn(process.execPath, [CLOSER, String(pgid)], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdin.end(`${encodeHandoff(h)}\n`);
    return new Promise((resolve) => p.on('exit', () => resolve(err.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: string; message: string }))));
  }

  /** The pgid of a process group that existed and is gone now (its leader exited and was reaped). */
  async function deadGroup(): Promise<number> {
    const p = spawn('true', [], { detached: true, stdio: 'ignore' });
    await new Promise((r) => p.on('exit', r));
    return p.pid!;
  }

  function exists(p: string): Promise<boolean> {
    return new Promise((resolve, reject) => c.exists(p, (e, st) => (e ? reject(e) : resolve(st !== null))));
  }

  test('leaves the session alone while Jenkins\' group lives, even with the controller dead', async () => {
    const jenkins = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    try {
      const lines = await runCloser(jenkins.pid!, handoff({}));
      expect(lines.map((l) => l.event)).toEqual(['closer.skipped']);
      expect(await exists(owner.znode)).toBe(true);
    } finally {
      jenkins.kill('SIGKILL');
    }
  });

  test('leaves the session alone while the controller lives, even with Jenkins gone', async () => {
    const start = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19]!;
    const lines = await runCloser(await deadGroup(), handoff({ controllerPid: process.pid, controllerStart: start }));
    expect(lines.map((l) => l.event)).toEqual(['closer.skipped']);
    expect(await exists(owner.znode)).toBe(true);
  });

  test('with both gone: marks our lock released and closes the session (its ephemeral znode goes at once)', async () => {
    await writeLockAtomic(suite.fx.home, { epoch: 3, nodeId: 'a', host: 'h', pid: 1, cluster: 'c', state: 'held', time: new Date().toISOString(), heartbeatAt: Date.now() });
    const lines = await runCloser(await deadGroup(), handoff({}));
    expect(lines.map((l) => l.event)).toEqual(['closer.lock', 'closer.closed']);
    expect(await exists(owner.znode)).toBe(false);
    const lock = await readLock(suite.fx.home);
    expect(lock.kind === 'ok' && lock.record.state).toBe('released');
    // A second closer finds the session gone and does nothing.
    const again = await runCloser(await deadGroup(), handoff({}));
    expect(again.map((l) => l.event)).toEqual(['closer.gone']);
  });

  test('a lock of another epoch is left as it is; the session is closed all the same', async () => {
    await writeLockAtomic(suite.fx.home, { epoch: 4, nodeId: 'b', host: 'h', pid: 1, cluster: 'c', state: 'held', time: new Date().toISOString(), heartbeatAt: Date.now() });
    const lines = await runCloser(await deadGroup(), handoff({}));
    expect(lines.map((l) => l.event)).toEqual(['closer.lock', 'closer.closed']);
    const lock = await readLock(suite.fx.home);
    expect(lock.kind === 'ok' && lock.record.epoch === 4 && lock.record.state).toBe('held');
    expect(await exists(owner.znode)).toBe(false);
  });

  test('ZooKeeper unreachable: gives up, closes nothing', async () => {
    const lines = await runCloser(await deadGroup(), handoff({ connect: '127.0.0.1:1' }));
    expect(lines.map((l) => l.event)).toEqual(['closer.unreachable']);
    expect(await exists(owner.znode)).toBe(true);
  });
});

