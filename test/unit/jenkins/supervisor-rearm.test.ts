/**
 * The next armed shim is spawned a moment after Jenkins exited, never inside the exit handler: a
 * spawn forks the controller with its event loop stopped, and right after an exit the loop
 * releases the lock and leaves the election (docs/safety.md, "The graceful handover path"). Real
 * shim (scripts/jenkins-ha-shim) and a tiny Jenkins command.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { REARM_DELAY_MS } from '../../../src/jenkins/armed-shim';
import { JenkinsSupervisor } from '../../../src/jenkins/supervisor';
import { ShimSpawner } from '../../../src/jenkins/shim';
import { silentLogger } from '../../../src/logging/logger';
import { waitFor } from '../../helpers/wait';

let home: string;
let sup: JenkinsSupervisor;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(tmpdir(), 'jenkins-ha-rearm-'));
  sup = new JenkinsSupervisor({
    command: 'exec sleep 30',
    home,
    url: 'http://127.0.0.1:9', // nothing listens: the readiness probe only fails
    startupGraceMs: 60_000,
    healthIntervalMs: 60_000,
    healthTimeoutMs: 1000,
    livenessFailures: 3,
    fenceGraceMs: 500,
    logger: silentLogger,
    now: () => performance.now(),
    secrets: { envNames: [], values: [] },
  });
});

afterEach(() => {
  sup.disarm();
  jest.restoreAllMocks();
  fs.rmSync(home, { recursive: true, force: true });
});

it('spawns no shim while the exit is reported, and an armed one REARM_DELAY_MS later', async () => {
  sup.launch({ epoch: 1, leaseMs: 60_000 });
  await waitFor(() => sup.status().pid !== null, { timeoutMs: 5000, what: 'Jenkins running' });
  const spawns = jest.spyOn(ShimSpawner.prototype, 'spawn');
  let spawnsAtExit = -1;
  let exitAt = 0;
  sup.on('exit', () => {
    // Whatever runs synchronously after the listeners (the old code re-armed right here) has
    // run by the next macrotask; the handover's lock release and leave start in this window.
    exitAt = performance.now();
    setImmediate(() => (spawnsAtExit = spawns.mock.calls.length));
  });
  await sup.stop(2000, 'test');
  await waitFor(() => spawnsAtExit >= 0, { timeoutMs: 2000, what: 'the exit reported' });
  expect(spawnsAtExit).toBe(0);
  await waitFor(() => spawns.mock.calls.length === 1, { timeoutMs: 5000, what: 'the next armed shim' });
  expect(performance.now() - exitAt).toBeGreaterThanOrEqual(REARM_DELAY_MS - 5);
});

it('does not re-arm once disarmed (a shutdown) between the exit and the delay', async () => {
  sup.launch({ epoch: 1, leaseMs: 60_000 });
  await waitFor(() => sup.status().pid !== null, { timeoutMs: 5000, what: 'Jenkins running' });
  const spawns = jest.spyOn(ShimSpawner.prototype, 'spawn');
  sup.on('exit', () => sup.disarm());
  await sup.stop(2000, 'test');
  // A check that something does not happen: wait past the delay (no event to await).
  await new Promise<void>((resolve) => setTimeout(resolve, REARM_DELAY_MS * 2));
  expect(spawns).not.toHaveBeenCalled();
});
