/**
 * src/util/proc.ts against this machine's real /proc: a thread id answers under /proc/<id> like a
 * process (hidden from the listing), and must not count as one.
 */
import * as fs from 'node:fs';
import { isProcessAlive, leadsThreadGroup, readProcStat } from '../../../src/util/proc';

/** Thread ids of this process other than its own pid (node runs V8's and libuv's threads). */
function otherThreads(): number[] {
  return fs
    .readdirSync('/proc/self/task')
    .map(Number)
    .filter((tid) => tid !== process.pid);
}

test('this process is alive and leads its thread group', () => {
  expect(isProcessAlive(process.pid)).toBe(true);
  expect(leadsThreadGroup(process.pid)).toBe(true);
});

test("a thread id is not a process, though /proc answers for it (a dead pid reused as another process's thread)", () => {
  const tids = otherThreads();
  expect(tids.length).toBeGreaterThan(0);
  for (const tid of tids) {
    expect(readProcStat(tid)).not.toBeNull(); // what fooled the old check
    expect(leadsThreadGroup(tid)).toBe(false);
    expect(isProcessAlive(tid)).toBe(false);
  }
});

test('no such pid, or not a pid at all: not alive', () => {
  const max = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  expect(isProcessAlive(max + 1)).toBe(false);
  expect(isProcessAlive(0)).toBe(false);
  expect(isProcessAlive(-1)).toBe(false);
  expect(isProcessAlive(1.5)).toBe(false);
});
