/**
 * The frozen-controller scenario, run by zk-faults (Jenkins as a child process) and service-mode
 * (Jenkins as a service): the same property whatever runs Jenkins.
 */
import { mono, type HaNode } from './ha-node';
import { assertNeverTwoAlive, type Life } from './journal';
import { waitForExit } from './procs';

/**
 * The leader `a`, its stand-in `pid`, is frozen with SIGSTOP: nobody renews its shim's lease, so
 * that Jenkins is gone within `T` and b leads; thawed, a finds its session expired, stands by and
 * never starts Jenkins again. Returns the journal's lives: epochs 1 and 2, never two alive.
 */
export async function expectFrozenLeaderLosesJenkins(home: string, a: HaNode, b: HaNode, pid: number, T: number): Promise<Life[]> {
  const t0 = mono();
  a.signal('SIGSTOP');
  try {
    expect(await waitForExit(pid, 3000)).toBe(true);
    expect(mono() - t0).toBeLessThan(T);
    await b.waitLeaderReady(30000);
  } finally {
    a.signal('SIGCONT');
  }
  await a.waitRole('standby', 30000);
  expect(a.events('jenkins.started')).toHaveLength(1);
  const ls = assertNeverTwoAlive(home);
  expect(ls.map((l) => l.epoch)).toEqual(['1', '2']);
  return ls;
}
