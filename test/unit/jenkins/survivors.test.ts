/**
 * SurvivorWatch: what is left of the last Jenkins group after its SIGKILL is re-checked on each
 * look (kill(-pgid, 0), then /proc at most every RECHECK_MS) and forgotten once gone; the time of
 * the first SIGKILL is what the stuck bound counts from (reliability.md finding 6).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { RECHECK_MS, SurvivorWatch } from '../../../src/jenkins/survivors';
import { MemoryLogger } from '../../helpers/memory-logger';
import { waitFor } from '../../helpers/wait';

describe('SurvivorWatch (injected process facts)', () => {
  let t = 1000;
  let exists = true;
  let members = [11, 12];
  let scans = 0;
  let log = new MemoryLogger();
  const watch = (): SurvivorWatch =>
    new SurvivorWatch({ logger: log, now: () => t, groupExists: () => exists, liveMembers: () => (scans++, members) });

  beforeEach(() => {
    t = 1000;
    exists = true;
    members = [11, 12];
    scans = 0;
    log = new MemoryLogger();
  });

  it('reports nothing before any group exited', () => {
    expect(watch().current()).toBeNull();
  });

  it('reports the live members with the time of the first SIGKILL, and forgets the group once it is gone', () => {
    const w = watch();
    w.killed(10);
    t = 1500;
    w.killed(10);
    w.exited(10);
    expect(w.current()).toEqual({ pgid: 10, pids: [11, 12], killedAt: 1000 });
    exists = false;
    expect(w.current()).toBeNull();
    exists = true;
    expect(w.current()).toBeNull();
  });

  it('scans /proc at most every RECHECK_MS while the group exists, and forgets it when only zombies are left', () => {
    const w = watch();
    w.exited(10);
    w.current();
    t += RECHECK_MS - 1;
    w.current();
    expect(scans).toBe(1);
    t += 1;
    members = [];
    expect(w.current()).toBeNull();
    expect(scans).toBe(2);
    expect(log.entries.filter((e) => e.fields.event === 'jenkins.group_survivors_gone')).toHaveLength(1);
  });
});

describe('SurvivorWatch (a real process group)', () => {
  it('sees a live member of the group and lets go of it once it died', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const pgid = child.pid as number;
    const log = new MemoryLogger();
    const w = new SurvivorWatch({ logger: log, now: () => performance.now() });
    w.exited(pgid);
    expect(w.current()?.pids).toEqual([pgid]);
    await waitFor(() => log.entries.some((e) => e.fields.event === 'jenkins.group_survivors'), { timeoutMs: 5000, what: 'the survivors logged' });
    process.kill(-pgid, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await waitFor(() => w.current() === null, { timeoutMs: 5000, what: 'the group forgotten' });
    expect(log.entries.some((e) => e.fields.event === 'jenkins.group_survivors_gone')).toBe(true);
  });
});
