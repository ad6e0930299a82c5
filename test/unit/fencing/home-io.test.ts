/**
 * HomeIo against a real temp dir and real helper processes: typed answers (ok, refused, io-error,
 * timeout), FIFOs and symlinks never opened, a helper that does not answer killed at the deadline
 * with at most one hung helper at a time, and the health (home.hung / home.recovered) it keeps.
 * The real hung mount (bindfs, kill -STOP) is test/integration/home-io.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HomeIo } from '../../../src/fencing/home-io';
import { MemoryLogger } from '../../helpers/memory-logger';
import { waitFor } from '../../helpers/wait';

let home: string;
const ios: HomeIo[] = [];
/** HomeIo's lines (its health changes: home.hung, home.recovered, ...). */
const log = new MemoryLogger();
/** A helper that reads its requests and never answers: a call on a hung mount, as seen from here. */
const NEVER = [process.execPath, '-e', `process.stdout.write('{"id":0,"ok":true}\\n'); process.stdin.resume(); setInterval(() => {}, 1e9)`];

function make(timeoutMs: number, command?: readonly string[]): HomeIo {
  const io = new HomeIo({ timeoutMs, logger: log, ...(command ? { command } : {}) });
  ios.push(io);
  return io;
}

const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(tmpdir(), 'jenkins-ha-home-io-'));
  log.entries.length = 0;
});

afterEach(async () => {
  for (const io of ios.splice(0)) io.close();
  await fs.rm(home, { recursive: true, force: true });
});

describe('answers', () => {
  it('reads, writes atomically with the mode asked, stats and unlinks regular files', async () => {
    const io = make(5000);
    const f = path.join(home, 'lock');
    expect(await io.read(f)).toMatchObject({ kind: 'ok', value: null });
    expect(await io.writeAtomic(f, `${f}.tmp`, 'hello\n', { mode: 0o600, durable: true })).toMatchObject({ kind: 'ok', value: true });
    expect(await io.read(f)).toMatchObject({ kind: 'ok', value: 'hello\n' });
    expect(await io.lstat(f)).toMatchObject({ kind: 'ok', value: { type: 'file', mode: 0o600, size: 6 } });
    expect(await io.stat(home)).toMatchObject({ kind: 'ok', value: { type: 'a directory' } });
    expect(await fs.readdir(home)).toEqual(['lock']);
    expect(await io.unlink(f)).toMatchObject({ kind: 'ok', value: true });
    expect(await io.unlink(f)).toMatchObject({ kind: 'ok', value: false });
    expect(io.health().state).toBe('ok');
  });

  it('refuses a FIFO for every op that would open it, at once and with a code', async () => {
    const io = make(5000);
    const fifo = path.join(home, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    for (const r of [await io.read(fifo), await io.ensureFile(fifo, 0o600), await io.chmod(fifo, 0o600)]) {
      expect(r).toMatchObject({ kind: 'refused', code: 'HOME_NOT_REGULAR', message: expect.stringContaining('is a FIFO, not a regular file') });
    }
    expect(Date.now() - t0).toBeLessThan(2000);
    // The storage answered: a refusal is no sign of a hung home.
    expect(io.health().state).toBe('ok');
  });

  it('never follows a symlink, for reading or for chmod', async () => {
    const io = make(5000);
    const target = path.join(home, 'target');
    await fs.writeFile(target, 'secret', { mode: 0o644 });
    await fs.symlink(target, path.join(home, 'link'));
    expect(await io.read(path.join(home, 'link'))).toMatchObject({ kind: 'refused', message: expect.stringContaining('is a symlink') });
    expect(await io.chmod(path.join(home, 'link'), 0o600)).toMatchObject({ kind: 'refused' });
    expect((await fs.stat(target)).mode & 0o777).toBe(0o644);
  });

  it('reports errno failures as io-error with the code, and leaves no temp file behind', async () => {
    const io = make(5000);
    const dir = path.join(home, 'dir');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'x'), '');
    expect(await io.writeAtomic(dir, `${dir}.tmp`, 'x', { mode: 0o600, durable: false })).toMatchObject({ kind: 'io-error', code: expect.stringMatching(/^E/) });
    expect((await fs.readdir(home)).sort()).toEqual(['dir']);
    expect(await io.stat(path.join(home, 'missing'))).toMatchObject({ kind: 'io-error', code: 'ENOENT' });
    expect(io.health().state).toBe('ok');
  });

  it('gives the helper an empty environment (no secret of the controller reaches it)', async () => {
    process.env.JHA_HOME_IO_TEST_SECRET = 'x';
    try {
      const io = make(5000, [process.execPath, '-e', `process.stdout.write('{"id":0,"ok":true}\\n'); process.stdin.once('data', (l) => process.stdout.write(JSON.stringify({ id: JSON.parse(l).id, ok: true, value: Object.keys(process.env).join(',') }) + '\\n'))`]);
      expect(await io.read(path.join(home, 'x'))).toMatchObject({ kind: 'ok', value: '' });
    } finally {
      delete process.env.JHA_HOME_IO_TEST_SECRET;
    }
  });
});

describe('deadlines', () => {
  it('answers timeout at the deadline, kills the helper and says the home is hung', async () => {
    const io = make(300, NEVER);
    io.warm();
    await waitFor(() => io.pids().ready, { timeoutMs: 10_000, what: 'the helper to start' });
    const t0 = Date.now();
    const r = await io.read(path.join(home, 'lock'));
    const ms = Date.now() - t0;
    expect(r).toMatchObject({ kind: 'timeout', op: 'read', message: expect.stringContaining('no answer within 300 ms') });
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1500);
    expect(io.health()).toMatchObject({ state: 'hung', reason: expect.stringContaining('no answer within 300 ms') });
    expect(log.eventNames()).toEqual(['home.hung']);
  });

  it('a deadline that passes while this process itself is frozen does not beat an answer already in the pipe', async () => {
    const io = make(200);
    const f = path.join(home, 'lock');
    await fs.writeFile(f, 'x\n');
    expect(await io.read(f)).toMatchObject({ kind: 'ok' }); // the helper is up
    const pending = io.read(f);
    // Freeze this process's event loop past the deadline (a SIGSTOP, a long GC pause): the helper
    // answers meanwhile, and both the deadline timer and the answer are due when the loop resumes.
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      /* frozen */
    }
    expect(await pending).toMatchObject({ kind: 'ok', value: 'x\n' });
    expect(io.health().state).toBe('ok');
    expect(log.eventNames()).toEqual([]);
  });

  it('keeps at most one helper: calls queued behind a hung one answer timeout with it, no process per call', async () => {
    const io = make(300, NEVER);
    const rs = await Promise.all([1, 2, 3, 4, 5].map((i) => io.read(path.join(home, `f${i}`))));
    expect(rs.map((r) => r.kind)).toEqual(['timeout', 'timeout', 'timeout', 'timeout', 'timeout']);
    const { stuck } = io.pids();
    // Never a live helper next to a killed one that has not exited.
    for (let i = 0; i < 50 && io.pids().stuck !== null; i++) {
      expect(io.pids().helper).toBeNull();
      await new Promise((r) => setTimeout(r, 5));
    }
    if (stuck !== null) await waitFor(() => !alive(stuck), { timeoutMs: 5000, what: 'the killed helper exits' });
    await waitFor(() => io.pids().stuck === null, { timeoutMs: 5000, what: 'the stuck slot clears' });
  });

  it('serves the next call with a fresh helper once the hung one is gone, and reports recovery', async () => {
    const io = make(300, NEVER);
    expect((await io.read(path.join(home, 'a'))).kind).toBe('timeout');
    // The mount "heals": the helper started once the killed one has exited is the real one.
    (io as unknown as { o: { command?: readonly string[] } }).o.command = undefined;
    await waitFor(() => io.pids().stuck === null, { timeoutMs: 5000, what: 'the killed helper exits' });
    expect(await io.read(path.join(home, 'a'))).toMatchObject({ kind: 'ok', value: null });
    expect(io.health().state).toBe('ok');
    expect(log.eventNames()).toEqual(['home.hung', 'home.recovered']);
  });
});
