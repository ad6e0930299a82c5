/**
 * The JENKINS_HOME lock file against a real temp dir: written atomically with mode 0600, refused
 * when it names a newer epoch, released only by its owner, and never left half-written or with
 * temp files behind.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LockError, errorCode } from '../../../src/errors';
import { HomeIo } from '../../../src/fencing/home-io';
import { waitFor } from '../../helpers/wait';
import {
  LOCK_FILE,
  acquireHomeLock,
  lockPath,
  parseLock,
  readLock,
  releaseHomeLock,
  writeLockAtomic,
  type LockRecord,
} from '../../../src/fencing/home-lock';

let home: string;

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(tmpdir(), 'jenkins-ha-home-lock-'));
});

afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

function record(epoch: number, nodeId = 'node-a', extra: Partial<LockRecord> = {}): LockRecord {
  return { epoch, nodeId, host: 'host-1', pid: 4242, cluster: 'ci', state: 'held', time: '2024-01-01T00:00:00.000Z', ...extra };
}

async function writeRaw(text: string, mode = 0o644): Promise<void> {
  await fs.writeFile(lockPath(home), text, { mode });
}

async function onDisk(): Promise<unknown> {
  return JSON.parse(await fs.readFile(lockPath(home), 'utf8'));
}

async function tempFiles(): Promise<string[]> {
  return (await fs.readdir(home)).filter((f) => f !== LOCK_FILE);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('lockPath / parseLock', () => {
  it('puts the lock file in JENKINS_HOME', () => {
    expect(lockPath('/var/lib/jenkins')).toBe(`/var/lib/jenkins/${LOCK_FILE}`);
  });

  it('defaults missing optional fields and treats an unknown state as held', () => {
    expect(parseLock('{"epoch":4,"nodeId":"n","state":"weird"}')).toEqual({ epoch: 4, nodeId: 'n', host: '', pid: 0, cluster: '', state: 'held', time: '' });
  });

  it.each(['', 'garbage', 'null', '[]', '4', '{"nodeId":"n"}', '{"epoch":"4","nodeId":"n"}', '{"epoch":4}'])('returns null for malformed text %j', (text) => {
    expect(parseLock(text)).toBeNull();
  });
});

describe('readLock', () => {
  it('reports none when there is no lock file', async () => {
    expect(await readLock(home)).toEqual({ kind: 'none' });
  });

  it('reports a malformed lock with its text instead of throwing', async () => {
    await writeRaw('{"epoch":');
    expect(await readLock(home)).toEqual({ kind: 'malformed', text: '{"epoch":' });
  });

  it('reports a lock whose epoch is not a number as malformed', async () => {
    await writeRaw('{"epoch":"7","nodeId":"n"}');
    expect((await readLock(home)).kind).toBe('malformed');
  });

  it('refuses a directory at the lock path without opening it', async () => {
    await fs.mkdir(lockPath(home));
    expect(await readLock(home)).toEqual({ kind: 'refused', what: expect.stringContaining('is a directory, not a regular file') });
  });

  it('refuses a FIFO at the lock path at once instead of blocking on its open (any build can mkfifo there)', async () => {
    execFileSync('mkfifo', [lockPath(home)]);
    const t0 = Date.now();
    expect(await readLock(home)).toEqual({ kind: 'refused', what: expect.stringContaining('is a FIFO') });
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('refuses a symlink at the lock path instead of following it', async () => {
    await fs.writeFile(path.join(home, 'elsewhere'), JSON.stringify(record(99)));
    await fs.symlink(path.join(home, 'elsewhere'), lockPath(home));
    expect(await readLock(home)).toEqual({ kind: 'refused', what: expect.stringContaining('is a symlink') });
  });

  it('fails with LOCK_IO, not a crash, when the lock cannot be read', async () => {
    // JENKINS_HOME is a regular file: every path under it fails with ENOTDIR (root included).
    await fs.writeFile(path.join(home, 'plain'), '');
    const err = await rejection(readLock(path.join(home, 'plain')));
    expect(err).toBeInstanceOf(LockError);
    expect(errorCode(err)).toBe('LOCK_IO');
  });

  it('fails with LOCK_TIMEOUT when the home does not answer within the budget', async () => {
    // A helper that starts and then never answers: a call on a hung mount, as seen from here.
    const io = new HomeIo({ timeoutMs: 200, command: [process.execPath, '-e', `process.stdout.write('{"id":0,"ok":true}\\n'); process.stdin.resume(); setInterval(() => {}, 1e9)`] });
    try {
      io.warm();
      await waitFor(() => io.pids().ready, { timeoutMs: 10_000, what: 'the helper to start' });
      const t0 = Date.now();
      const err = await rejection(readLock(home, { io }));
      expect(errorCode(err)).toBe('LOCK_TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(1500);
    } finally {
      io.close();
    }
  });
});

describe('writeLockAtomic', () => {
  it('writes the record as one JSON line with mode 0600', async () => {
    await writeLockAtomic(home, record(3));
    expect(await fs.readFile(lockPath(home), 'utf8')).toBe(`${JSON.stringify(record(3))}\n`);
    expect((await fs.stat(lockPath(home))).mode & 0o777).toBe(0o600);
    expect(await tempFiles()).toEqual([]);
  });

  it('replaces a world-readable lock by a 0600 one (a new file, renamed over the old)', async () => {
    await writeRaw('{"epoch":1,"nodeId":"old"}', 0o666);
    const before = await fs.stat(lockPath(home));
    await writeLockAtomic(home, record(2));
    const after = await fs.stat(lockPath(home));
    expect(after.mode & 0o777).toBe(0o600);
    expect(after.ino).not.toBe(before.ino);
  });

  it('leaves no temp files after many writes', async () => {
    for (let i = 0; i < 20; i++) await writeLockAtomic(home, record(i));
    expect(await tempFiles()).toEqual([]);
    expect(await onDisk()).toMatchObject({ epoch: 19 });
  });

  it('removes its temp file and fails with LOCK_IO when the rename fails', async () => {
    // A non-empty directory where the lock should be: the rename over it fails.
    await fs.mkdir(lockPath(home));
    await fs.writeFile(path.join(lockPath(home), 'x'), '');
    const err = await rejection(writeLockAtomic(home, record(1)));
    expect(err).toBeInstanceOf(LockError);
    expect(errorCode(err)).toBe('LOCK_IO');
    expect(await tempFiles()).toEqual([]);
  });

  it('fails with LOCK_IO when JENKINS_HOME does not exist', async () => {
    expect(errorCode(await rejection(writeLockAtomic(path.join(home, 'missing'), record(1))))).toBe('LOCK_IO');
  });
});

describe('acquireHomeLock', () => {
  it('takes a free home and reports that nothing was there', async () => {
    expect(await acquireHomeLock(home, record(5))).toEqual({ kind: 'none' });
    expect(await onDisk()).toEqual(record(5));
  });

  it('marks the lock held even when asked to write another state', async () => {
    await acquireHomeLock(home, record(5, 'node-a', { state: 'released' }));
    expect(await onDisk()).toMatchObject({ state: 'held' });
  });

  it('refuses to launch when the lock names a higher epoch, and writes nothing', async () => {
    await writeLockAtomic(home, record(9, 'node-b'));
    const before = await fs.readFile(lockPath(home));
    const beforeStat = await fs.stat(lockPath(home));

    const err = await rejection(acquireHomeLock(home, record(8, 'node-a')));

    expect(err).toBeInstanceOf(LockError);
    expect(errorCode(err)).toBe('LOCK_HIGHER_EPOCH');
    expect(String((err as Error).message)).toContain('epoch 9');
    expect(String((err as Error).message)).toContain('node-b');
    expect(await fs.readFile(lockPath(home))).toEqual(before);
    expect((await fs.stat(lockPath(home))).ino).toBe(beforeStat.ino);
    expect(await tempFiles()).toEqual([]);
  });

  it("checks the caller's read instead of reading again (the launch's gate read it just before)", async () => {
    // The file has no lock; the read handed in names a higher epoch: that read is the one checked.
    const read = { kind: 'ok' as const, record: record(9, 'node-b') };
    expect(errorCode(await rejection(acquireHomeLock(home, record(8), undefined, read)))).toBe('LOCK_HIGHER_EPOCH');
    expect(await acquireHomeLock(home, record(10), undefined, read)).toEqual(read);
    expect(await onDisk()).toEqual(record(10));
  });

  it('refuses a higher epoch even when that lock was released', async () => {
    await writeLockAtomic(home, record(9, 'node-b', { state: 'released' }));
    expect(errorCode(await rejection(acquireHomeLock(home, record(8))))).toBe('LOCK_HIGHER_EPOCH');
  });

  it.each([
    ['an equal epoch (our own lock after a restart)', 7, 'node-a'],
    ['an equal epoch of another node', 7, 'node-b'],
    ['a lower epoch', 6, 'node-b'],
  ])('replaces a lock with %s and returns it', async (_what, epoch, nodeId) => {
    await writeLockAtomic(home, record(epoch, nodeId));
    const before = await acquireHomeLock(home, record(7, 'node-a'));
    expect(before).toEqual({ kind: 'ok', record: record(epoch, nodeId) });
    expect(await onDisk()).toEqual(record(7, 'node-a'));
    expect((await fs.stat(lockPath(home))).mode & 0o777).toBe(0o600);
  });

  it('replaces a malformed lock and reports it as malformed', async () => {
    await writeRaw('not json at all');
    expect(await acquireHomeLock(home, record(2))).toEqual({ kind: 'malformed', text: 'not json at all' });
    expect(await onDisk()).toEqual(record(2));
    expect(await tempFiles()).toEqual([]);
  });
});

describe('acquireHomeLock over something that is not a regular file', () => {
  it('renames a regular lock over a FIFO planted at the lock path, never opening the FIFO', async () => {
    execFileSync('mkfifo', [lockPath(home)]);
    expect(await acquireHomeLock(home, record(3))).toEqual({ kind: 'refused', what: expect.stringContaining('FIFO') });
    expect((await fs.lstat(lockPath(home))).isFile()).toBe(true);
    expect(await onDisk()).toEqual(record(3));
  });

  it('replaces a symlink by a file and leaves its target alone', async () => {
    const target = path.join(home, 'target');
    await fs.writeFile(target, 'untouched');
    await fs.symlink(target, lockPath(home));
    await acquireHomeLock(home, record(3));
    expect((await fs.lstat(lockPath(home))).isFile()).toBe(true);
    expect(await fs.readFile(target, 'utf8')).toBe('untouched');
  });
});

describe('releaseHomeLock', () => {
  it('marks our own lock released and keeps its epoch and owner', async () => {
    await acquireHomeLock(home, record(4));
    expect(await releaseHomeLock(home, 4, 'node-a')).toBe(true);
    const rec = (await readLock(home)) as { kind: 'ok'; record: LockRecord };
    expect(rec.kind).toBe('ok');
    expect(rec.record).toMatchObject({ epoch: 4, nodeId: 'node-a', state: 'released' });
    expect(rec.record.time).not.toBe(record(4).time);
    expect((await fs.stat(lockPath(home))).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['a newer epoch took the home', 5, 'node-b'],
    ['another node holds our epoch number', 4, 'node-b'],
    ['an older epoch of ours', 3, 'node-a'],
  ])('does not release a lock that is not ours: %s', async (_what, epoch, nodeId) => {
    await writeLockAtomic(home, record(epoch, nodeId));
    const before = await fs.readFile(lockPath(home));
    expect(await releaseHomeLock(home, 4, 'node-a')).toBe(false);
    expect(await fs.readFile(lockPath(home))).toEqual(before);
  });

  it('does not create a lock when there is none', async () => {
    expect(await releaseHomeLock(home, 4, 'node-a')).toBe(false);
    expect(await fs.readdir(home)).toEqual([]);
  });

  it('does not touch a malformed lock', async () => {
    await writeRaw('{{{');
    expect(await releaseHomeLock(home, 4, 'node-a')).toBe(false);
    expect(await fs.readFile(lockPath(home), 'utf8')).toBe('{{{');
  });
});
