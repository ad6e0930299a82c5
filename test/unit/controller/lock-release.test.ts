/**
 * The lock's "released" mark at the end of a run of our Jenkins (docs/safety.md, "The graceful
 * handover path"): written once, after the heartbeat in flight, and reused by the leave. Real
 * helper process and lock file.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LockKeeper } from '../../../src/controller/lock-keeper';
import { LockRelease } from '../../../src/controller/lock-release';
import { HomeIo } from '../../../src/fencing/home-io';
import { readLock, writeLockAtomic, type LockRecord } from '../../../src/fencing/home-lock';
import { beatHomeLock } from '../../../src/fencing/storage-lease';
import { silentLogger, type LogFields, type Logger } from '../../../src/logging/logger';
import { waitFor } from '../../helpers/wait';

let home: string;
let io: HomeIo;
const events: string[] = [];
const log: Logger = { ...silentLogger, warn: (_m: string, f?: LogFields) => void events.push(String(f?.event)), child: () => log };
const held: LockRecord = { epoch: 7, nodeId: 'a', host: 'h', pid: 1, cluster: 'c', state: 'held', time: '', heartbeatAt: 1 };

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(tmpdir(), 'jenkins-ha-release-'));
  events.length = 0;
  io = new HomeIo({ timeoutMs: 2000, logger: log });
  io.warm();
  await waitFor(() => io.pids().ready, { timeoutMs: 10_000, what: 'the helper to start' });
  await writeLockAtomic(home, held, false, { io });
});

afterEach(async () => {
  io.close();
  await fs.rm(home, { recursive: true, force: true });
});

async function state(): Promise<string> {
  const r = await readLock(home, { io });
  return r.kind === 'ok' ? `${r.record.state} ${r.record.epoch}` : r.kind;
}

function release(settled: () => Promise<void> | null = () => null): LockRelease {
  return new LockRelease({ home, nodeId: 'a', io, logger: log, settled });
}

it('marks the lock released only after the heartbeat in flight has landed', async () => {
  // A mark that did not wait would be read and written first, and the beat's `held` would land
  // after it: the lock would say held with nobody's Jenkins running.
  let landed!: () => void;
  const r = release(() => new Promise<void>((resolve) => (landed = resolve)));
  r.markStopped(7);
  await beatHomeLock(home, { epoch: 7, nodeId: 'a', host: 'h', pid: 1, cluster: 'c', time: '' }, Date.now, io); // the beat in flight (read, then write)
  landed();
  await r.pending();
  expect(await state()).toBe('released 7');
});

it('with no beat in flight the mark reads the lock at once, within the exit\'s turn', async () => {
  // Awaiting a resolved promise put the read behind the microtasks queued before it: the loop's
  // whole shutdown turn, which the same exit had woken (~1.2-1.5 ms on the handover path).
  const reads = jest.spyOn(io, 'read');
  const r = release();
  r.markStopped(7);
  expect(reads).toHaveBeenCalledTimes(1);
  await r.pending();
  expect(await state()).toBe('released 7');
});

it('the leave reuses the mark made at the exit: one write of the lock', async () => {
  const r = release();
  const writes = jest.spyOn(io, 'writeAtomic');
  r.markStopped(7);
  await r.ensureReleased(7);
  expect(writes).toHaveBeenCalledTimes(1);
  expect(await state()).toBe('released 7');
});

it('the leave writes the mark again after a launch held the lock again', async () => {
  const r = release();
  r.markStopped(7);
  await r.pending();
  await writeLockAtomic(home, held, false, { io }); // the launch's lock write
  r.heldAgain();
  await r.ensureReleased(7);
  expect(await state()).toBe('released 7');
});

it('the leave writes the mark itself when the one made at the exit failed', async () => {
  let fail = true;
  const r = release(() => (fail ? ((fail = false), Promise.reject(new Error('boom'))) : Promise.resolve()));
  r.markStopped(7);
  await r.pending();
  expect(events).toEqual(['lock.release_failed']);
  expect(await state()).toBe('held 7');
  await r.ensureReleased(7);
  expect(await state()).toBe('released 7');
});

it('the leave writes the mark when none was made for its epoch', async () => {
  const r = release();
  r.markStopped(6); // an earlier term's
  await r.ensureReleased(7);
  expect(await state()).toBe('released 7');
});

it('LockKeeper.settled() resolves once the beat in flight has landed', async () => {
  const keeper = new LockKeeper({
    home,
    heartbeatMs: 60_000,
    holder: () => ({ epoch: 8, nodeId: 'a', host: 'h', pid: 1, cluster: 'c', time: '' }),
    wallNow: Date.now,
    logger: log,
    onNewer: () => undefined,
    io,
  });
  void keeper.beat();
  await keeper.settled();
  expect(await state()).toBe('held 8');
  keeper.stop();
});
