/**
 * The Jenkins stand-in (test/fixtures/jenkins-standin.js), the journal/proc helpers and the
 * partition proxy, with real processes and sockets.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { JournalEntry, assertNeverTwoAlive, lives, monoNow, readJournal, startsAfter } from '../helpers/journal';
import { groupMembers, isAlive, waitForExit } from '../helpers/procs';
import { TcpProxy, startProxy } from '../helpers/tcp-proxy';
import { waitFor } from '../helpers/wait';
import { freePortBlock } from '../helpers/zk';

const STANDIN = path.resolve(__dirname, '../fixtures/jenkins-standin.js');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Standin {
  child: ChildProcess;
  pid: number;
  port: number;
  home: string;
  output: string[];
  exit: Exit | undefined;
  exited: Promise<Exit>;
}

const running: Standin[] = [];
const homes: string[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

function newHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-standin-'));
  homes.push(home);
  return home;
}

function freePort(): Promise<number> {
  return freePortBlock(1);
}

function start(
  home: string | undefined,
  port: number,
  env: Record<string, string> = {},
  how: 'node' | 'exec' = 'node',
): Standin {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.JENKINS_HOME;
  delete childEnv.JHA_EPOCH;
  if (home !== undefined) childEnv.JENKINS_HOME = home;
  Object.assign(childEnv, env);
  const argv = [`--httpPort=${port}`, '--httpListenAddress=127.0.0.1'];
  const child =
    how === 'node'
      ? spawn(process.execPath, [STANDIN, ...argv], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(STANDIN, argv, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('spawn failed');
  const s: Standin = {
    child,
    pid: child.pid,
    port,
    home: home ?? '',
    output: [],
    exit: undefined,
    exited: new Promise<Exit>((resolve) => {
      child.on('exit', (code, signal) => {
        s.exit = { code, signal };
        resolve(s.exit);
      });
    }),
  };
  const collect = (d: Buffer): void => {
    s.output.push(...d.toString().split('\n').filter((l) => l !== ''));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  running.push(s);
  return s;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, urlPath: string, method = 'GET', timeoutMs = 2000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method, agent: false, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`HTTP ${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function entriesOf(home: string, pid: number, ev?: string): JournalEntry[] {
  return readJournal(home).filter((e) => e.pid === pid && (ev === undefined || e.ev === ev));
}

function waitEntry(s: Standin, ev: string, timeoutMs = 5000): Promise<JournalEntry> {
  return waitFor(() => entriesOf(s.home, s.pid, ev)[0], { timeoutMs, what: `'${ev}' from pid ${s.pid}` });
}

async function waitReady(s: Standin): Promise<void> {
  await waitFor(
    async () => {
      const r = await request(s.port, '/login', 'GET', 500);
      return r.status === 200 && r.headers['x-jenkins'] === '2.999-standin';
    },
    { timeoutMs: 5000, what: `stand-in ${s.pid} ready on ${s.port}` },
  );
}

/**
 * Proving that something does NOT happen needs a window of time; this is that window, the only
 * place the tests wait for a fixed time.
 */
function quietPeriod(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

afterEach(async () => {
  for (const fn of cleanups.splice(0)) await fn();
  for (const s of running.splice(0)) {
    if (s.exit === undefined) {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  }
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

describe('jenkins-standin', () => {
  it('answers 503 without X-Jenkins until the start delay, then 200 with X-Jenkins; SIGTERM journals stop', async () => {
    const home = newHome();
    const port = await freePort();
    const before = monoNow();
    const s = start(home, port, { STANDIN_START_DELAY_MS: '700', JHA_EPOCH: '42', STANDIN_HEARTBEAT_MS: '50' });

    const early = await waitFor(() => request(port, '/login', 'GET', 500).catch(() => undefined), {
      timeoutMs: 5000,
      what: 'HTTP listening',
    });
    expect(early.status).toBe(503);
    expect(early.headers['x-jenkins']).toBeUndefined();
    expect(entriesOf(home, s.pid, 'ready')).toEqual([]);

    await waitReady(s);
    const head = await request(port, '/login', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['x-jenkins']).toBe('2.999-standin');
    const info = JSON.parse((await request(port, '/standin/info')).body) as Record<string, unknown>;
    expect(info).toMatchObject({ pid: s.pid, epoch: '42', home });
    expect(typeof info.startedAt).toBe('number');

    await waitFor(() => entriesOf(home, s.pid, 'hb').length >= 3, { timeoutMs: 5000, what: '3 heartbeats' });
    const journal = entriesOf(home, s.pid);
    expect(journal[0]).toMatchObject({ ev: 'start', pid: s.pid, epoch: '42', port });
    const startE = journal[0] as JournalEntry;
    const ready = journal.find((e) => e.ev === 'ready') as JournalEntry;
    expect(startE.mono).toBeGreaterThan(before);
    expect(startE.mono).toBeLessThanOrEqual(monoNow());
    expect(Math.abs(startE.t - Date.now())).toBeLessThan(10_000);
    expect(ready.mono - startE.mono).toBeGreaterThanOrEqual(690);
    expect(fs.existsSync(path.join(home, '.standin.sock'))).toBe(true);
    expect(s.output.some((l) => l.includes('starting'))).toBe(true);
    expect(s.output.some((l) => l.includes('fully up and running'))).toBe(true);

    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 143, signal: null });
    const all = entriesOf(home, s.pid);
    expect(all[all.length - 1]).toMatchObject({ ev: 'stop', signal: 'SIGTERM', code: 143 });
    expect(fs.existsSync(path.join(home, '.standin.sock'))).toBe(false);
    const ls = assertNeverTwoAlive(home);
    expect(ls).toHaveLength(1);
    expect(ls[0]).toMatchObject({ pid: s.pid, epoch: '42', endedBy: 'stop', code: 143 });
  });

  it('runs as an executable and exits 2 without JENKINS_HOME', async () => {
    const s = start(undefined, await freePort(), {}, 'exec');
    expect(await s.exited).toEqual({ code: 2, signal: null });
    expect(s.output.join('\n')).toMatch(/JENKINS_HOME/);
  });

  it('a second stand-in on the same home records an overlap naming the first', async () => {
    const home = newHome();
    const a = start(home, await freePort());
    await waitReady(a);
    const b = start(home, await freePort());
    const overlap = await waitEntry(b, 'overlap');
    expect(overlap.otherPid).toBe(a.pid);
    await waitReady(b); // it goes on running
    expect(() => assertNeverTwoAlive(home)).toThrow(new RegExp(`pid ${b.pid} started .* while pid ${a.pid} was alive`));
    // the first keeps its socket file: the second did not steal it
    b.child.kill('SIGTERM');
    await b.exited;
    expect(fs.existsSync(path.join(home, '.standin.sock'))).toBe(true);
    const probe = net.connect(path.join(home, '.standin.sock'));
    let answer = '';
    probe.on('data', (d) => (answer += d.toString()));
    await new Promise((r) => probe.on('close', r));
    expect(answer.trim()).toBe(String(a.pid));
  });

  it('a SIGKILLed stand-in leaves a stale socket but the next one records no overlap', async () => {
    const home = newHome();
    const port = await freePort();
    const a = start(home, port);
    await waitReady(a);
    await waitEntry(a, 'hb');
    a.child.kill('SIGKILL');
    expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isAlive(a.pid)).toBe(false);
    expect(fs.existsSync(path.join(home, '.standin.sock'))).toBe(true); // stale

    const killedAt = monoNow();
    const b = start(home, port);
    await waitReady(b);
    await waitEntry(b, 'hb');
    expect(readJournal(home).filter((e) => e.ev === 'overlap')).toEqual([]);
    const ls = assertNeverTwoAlive(home);
    expect(ls.map((l) => [l.pid, l.endedBy])).toEqual([
      [a.pid, 'last-heartbeat'],
      [b.pid, 'running'],
    ]);
    expect(startsAfter(home, killedAt).map((l) => l.pid)).toEqual([b.pid]);
    b.child.kill('SIGTERM');
    await b.exited;
    expect(lives(readJournal(home)).map((l) => l.endedBy)).toEqual(['last-heartbeat', 'stop']);
  });

  it('two stand-ins started together on a home with a stale socket: an overlap is still recorded', async () => {
    const home = newHome();
    const first = start(home, await freePort());
    await waitEntry(first, 'ready');
    first.child.kill('SIGKILL');
    await first.exited;
    for (let round = 0; round < 3; round++) {
      expect(fs.existsSync(path.join(home, '.standin.sock'))).toBe(true); // stale
      const b = start(home, await freePort());
      const c = start(home, await freePort());
      await Promise.all([waitEntry(b, 'ready'), waitEntry(c, 'ready')]);
      const overlaps = readJournal(home).filter((e) => e.ev === 'overlap' && (e.pid === b.pid || e.pid === c.pid));
      expect(overlaps.length).toBeGreaterThanOrEqual(1);
      for (const o of overlaps) expect([b.pid, c.pid]).toContain(o.otherPid);
      b.child.kill('SIGKILL');
      c.child.kill('SIGKILL');
      await Promise.all([b.exited, c.exited]);
    }
  });

  it('STANDIN_STOP_DELAY_MS: exits that long after SIGTERM, journaling stop at the end', async () => {
    const home = newHome();
    const s = start(home, await freePort(), { STANDIN_STOP_DELAY_MS: '500', STANDIN_HEARTBEAT_MS: '50' });
    await waitReady(s);
    const sent = monoNow();
    s.child.kill('SIGTERM');
    const term = await waitEntry(s, 'term');
    expect(term.signal).toBe('SIGTERM');
    expect(isAlive(s.pid)).toBe(true);
    expect(await s.exited).toEqual({ code: 143, signal: null });
    const exitedAt = monoNow();
    expect(exitedAt - sent).toBeGreaterThanOrEqual(490);
    const stop = entriesOf(home, s.pid, 'stop')[0] as JournalEntry;
    expect(stop.mono - term.mono).toBeGreaterThanOrEqual(490);
    // heartbeats went on while stopping
    expect(entriesOf(home, s.pid, 'hb').some((e) => e.mono > term.mono)).toBe(true);
    expect(lives(readJournal(home))[0]).toMatchObject({ endedBy: 'stop', end: stop.mono });
  });

  it('STANDIN_IGNORE_TERM=1: SIGTERM is ignored, SIGKILL ends it', async () => {
    const home = newHome();
    const s = start(home, await freePort(), { STANDIN_IGNORE_TERM: '1', STANDIN_HEARTBEAT_MS: '30' });
    await waitReady(s);
    s.child.kill('SIGTERM');
    const term = await waitEntry(s, 'term');
    expect(term.ignored).toBe(true);
    await waitFor(() => entriesOf(home, s.pid, 'hb').filter((e) => e.mono > term.mono).length >= 3, {
      timeoutMs: 5000,
      what: 'heartbeats after the ignored SIGTERM',
    });
    expect(isAlive(s.pid)).toBe(true);
    expect((await request(s.port, '/login')).status).toBe(200);
    s.child.kill('SIGKILL');
    expect(await s.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(entriesOf(home, s.pid, 'stop')).toEqual([]);
  });

  it('STANDIN_CRASH_AFTER_MS: exits with code 3 after journaling exit', async () => {
    const home = newHome();
    const s = start(home, await freePort(), { STANDIN_CRASH_AFTER_MS: '300' });
    expect(await s.exited).toEqual({ code: 3, signal: null });
    const exit = entriesOf(home, s.pid, 'exit')[0] as JournalEntry;
    const startE = entriesOf(home, s.pid, 'start')[0] as JournalEntry;
    expect(exit).toMatchObject({ code: 3, reason: 'crash_after' });
    expect(exit.mono - startE.mono).toBeGreaterThanOrEqual(290);
    expect(lives(readJournal(home))[0]).toMatchObject({ endedBy: 'exit', code: 3 });
    // a crash leaves the socket file behind (stale), like a SIGKILL
    expect(fs.existsSync(path.join(home, '.standin.sock'))).toBe(true);
  });

  it('POST /standin/exit?code=N exits with N at once', async () => {
    const home = newHome();
    const s = start(home, await freePort());
    await waitReady(s);
    await request(s.port, '/standin/exit?code=7', 'POST').catch(() => undefined);
    expect(await s.exited).toEqual({ code: 7, signal: null });
    expect(entriesOf(home, s.pid, 'exit')[0]).toMatchObject({ code: 7, reason: 'request' });
  });

  it('STANDIN_HANG_AFTER_MS: accepts connections but never answers, while the process lives on', async () => {
    const home = newHome();
    const s = start(home, await freePort(), { STANDIN_HANG_AFTER_MS: '300', STANDIN_HEARTBEAT_MS: '50' });
    await waitReady(s);
    const hang = await waitEntry(s, 'hang');
    // the TCP connection is accepted...
    const sock = net.connect(s.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    sock.destroy();
    // ...but HTTP never answers
    await expect(request(s.port, '/login', 'GET', 400)).rejects.toThrow(/timed out/);
    expect(isAlive(s.pid)).toBe(true);
    await waitFor(() => entriesOf(home, s.pid, 'hb').some((e) => e.mono > hang.mono + 200), {
      timeoutMs: 5000,
      what: 'heartbeats after the hang',
    });
    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 143, signal: null });
  });

  it('journals port_in_use and exits 1 when the HTTP port is taken', async () => {
    const home = newHome();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const port = (blocker.address() as net.AddressInfo).port;
    const s = start(home, port);
    expect(await s.exited).toEqual({ code: 1, signal: null });
    expect(entriesOf(home, s.pid, 'port_in_use')).toHaveLength(1);
    expect(lives(readJournal(home))[0]).toMatchObject({ endedBy: 'exit', code: 1 });
  });
});

describe('procs helpers', () => {
  it('isAlive, groupMembers and waitForExit follow a detached process group', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    const pid = child.pid as number;
    const exited = new Promise((r) => child.on('exit', r));
    cleanups.push(async () => {
      if (isAlive(pid)) {
        child.kill('SIGKILL');
        await exited;
      }
    });
    expect(isAlive(pid)).toBe(true);
    expect(groupMembers(pid)).toEqual([pid]);
    expect(await waitForExit(pid, 100)).toBe(false);
    process.kill(-pid, 'SIGTERM');
    expect(await waitForExit(pid, 5000)).toBe(true);
    expect(groupMembers(pid)).toEqual([]);
    expect(isAlive(999_999_999)).toBe(false);
  });

  it('treats an unreaped zombie as dead', async () => {
    // A child that exits 100 ms later, when its parent (sh exec'ed into `sleep 5`) never waits for it:
    // a zombie until the parent is killed.
    const sh = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise((r) => sh.on('exit', r));
    cleanups.push(async () => {
      sh.kill('SIGKILL');
      await exited;
    });
    const zpid = await new Promise<number>((resolve) => sh.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    await waitFor(
      () => {
        try {
          return fs.readFileSync(`/proc/${zpid}/stat`, 'utf8').includes(') Z');
        } catch {
          return false;
        }
      },
      { timeoutMs: 2000, what: 'a zombie' },
    );
    expect(isAlive(zpid)).toBe(false);
    expect(await waitForExit(zpid, 10)).toBe(true);
  });
});

describe('tcp-proxy', () => {
  interface Echo {
    port: number;
    received: string[];
    conns: net.Socket[];
    close(): Promise<void>;
  }

  async function startEcho(): Promise<Echo> {
    const received: string[] = [];
    const conns: net.Socket[] = [];
    const srv = net.createServer((c) => {
      conns.push(c);
      c.on('data', (d) => {
        received.push(d.toString());
        c.write(d);
      });
      c.on('error', () => undefined);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    return {
      port: (srv.address() as net.AddressInfo).port,
      received,
      conns,
      close: () =>
        new Promise<void>((r) => {
          for (const c of conns) c.destroy();
          srv.close(() => r());
        }),
    };
  }

  interface Client {
    sock: net.Socket;
    data: string[];
    events: string[];
  }

  async function connect(port: number): Promise<Client> {
    const sock = net.connect(port, '127.0.0.1');
    const c: Client = { sock, data: [], events: [] };
    sock.on('data', (d) => c.data.push(d.toString()));
    sock.on('end', () => c.events.push('end'));
    sock.on('close', () => c.events.push('close'));
    sock.on('error', (e) => c.events.push(`error:${(e as NodeJS.ErrnoException).code ?? e.message}`));
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    cleanups.push(() => void sock.destroy());
    return c;
  }

  let echo: Echo;
  let proxy: TcpProxy;
  beforeEach(async () => {
    echo = await startEcho();
    proxy = await startProxy({ host: '127.0.0.1', port: echo.port });
    cleanups.push(() => proxy.close(), () => echo.close());
  });

  it('forwards bytes both ways', async () => {
    const c = await connect(proxy.port);
    c.sock.write('hello');
    await waitFor(() => c.data.join('') === 'hello', { timeoutMs: 2000, what: 'echo through the proxy' });
    expect(echo.received.join('')).toBe('hello');
    expect(proxy.connections()).toBe(1);
  });

  it('blackhole(): nothing flows, no socket is closed or reset, even when the server closes', async () => {
    const c = await connect(proxy.port);
    c.sock.write('before');
    await waitFor(() => c.data.join('') === 'before', { timeoutMs: 2000, what: 'echo before the blackhole' });
    await waitFor(() => echo.conns.length === 1 && echo.conns[0], { timeoutMs: 2000, what: 'server side' });

    proxy.blackhole();
    c.sock.write('lost in the void');
    echo.conns[0]?.write('from the server'); // the server talks too: must not arrive
    // a new connection is accepted, but nothing reaches the server
    const c2 = await connect(proxy.port);
    c2.sock.write('also lost');
    await quietPeriod(300);
    expect(echo.received.join('')).toBe('before');
    expect(echo.conns).toHaveLength(1);
    expect(c.data.join('')).toBe('before');
    expect(c2.data).toEqual([]);
    expect(proxy.connections()).toBe(2);

    // The server gives up on the session and closes: the client must not learn of it.
    echo.conns[0]?.destroy();
    await quietPeriod(200);
    for (const cl of [c, c2]) {
      expect(cl.events).toEqual([]);
      expect(cl.sock.destroyed).toBe(false);
      expect(cl.sock.readyState).toBe('open');
    }
    // A lot of data is still read and discarded (no back-pressure: the kernel keeps acking).
    const big = Buffer.alloc(4 * 1024 * 1024, 'x');
    await new Promise<void>((resolve) => {
      if (c.sock.write(big)) resolve();
      else c.sock.once('drain', resolve);
    });
    expect(c.events).toEqual([]);

    // heal(): new connections forward again; the blackholed ones stay dead
    proxy.heal();
    const c3 = await connect(proxy.port);
    c3.sock.write('healed');
    await waitFor(() => c3.data.join('') === 'healed', { timeoutMs: 2000, what: 'echo after heal' });
    c.sock.write('still dead');
    await quietPeriod(100);
    expect(c.data.join('')).toBe('before');
    expect(echo.received.join('')).toBe('beforehealed');

    // close(): everything is destroyed
    await proxy.close();
    await waitFor(() => c.events.includes('close') && c3.events.includes('close'), {
      timeoutMs: 2000,
      what: 'clients closed by proxy.close()',
    });
  });

  it('propagates a server close while healthy', async () => {
    const c = await connect(proxy.port);
    await waitFor(() => echo.conns[0], { timeoutMs: 2000, what: 'server side' });
    echo.conns[0]?.end();
    await waitFor(() => c.events.includes('end'), { timeoutMs: 2000, what: 'FIN through the proxy' });
    await waitFor(() => proxy.connections() === 0, { timeoutMs: 2000, what: 'proxy connection gone' });
  });
});
