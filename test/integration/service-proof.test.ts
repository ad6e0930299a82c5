/**
 * Service mode, the supervisor alone with real processes (the service shim, test/fixtures/
 * fake-service.sh, the Jenkins stand-in; no ZooKeeper): after a stop that came before the shim
 * knew the service's main pid, Jenkins is "stopped" only once the service is proven stopped. A
 * pid command that fails keeps it "stopping" (and says so); once the manager reports the main pid,
 * the supervisor kills it and only then reports the exit.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JenkinsSupervisor } from '../../src/jenkins/supervisor';
import { silentLogger, type LogFields, type Logger } from '../../src/logging/logger';
import { assertNeverTwoAlive } from '../helpers/journal';
import { mono, REPO, STANDIN } from '../helpers/ha-node';
import { isAlive } from '../helpers/procs';
import { waitFor } from '../helpers/wait';
import { freePortBlock } from '../helpers/zk';

const FAKE = path.join(REPO, 'test', 'fixtures', 'fake-service.sh');

let home = '';
let servicePid = 0;
afterEach(() => {
  if (servicePid > 0 && isAlive(servicePid)) process.kill(servicePid, 'SIGKILL');
  servicePid = 0;
  fs.rmSync(home, { recursive: true, force: true });
});

test('a stop before the service pid is known: "stopping" while the pid command fails, "stopped" only after the late main pid is killed', async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-proof-'));
  const dir = path.join(home, 'svc');
  const broken = path.join(home, 'pid-broken');
  fs.writeFileSync(broken, '');
  const port = await freePortBlock(1);
  // The manager reports the main pid only when this test copies its record (unit.pid -> main.pid).
  const fake = `FAKE_SERVICE_DIR='${dir}' FAKE_SERVICE_PID_DELAY_MS=3600000 FAKE_SERVICE_CMD='exec node ${STANDIN} --httpPort=${port}' bash ${FAKE}`;
  const events: Array<{ event: string; at: number; fields: LogFields }> = [];
  const log: Logger = {
    ...silentLogger,
    error: (_m, f) => void events.push({ event: String(f?.event), at: mono(), fields: f ?? {} }),
    warn: (_m, f) => void events.push({ event: String(f?.event), at: mono(), fields: f ?? {} }),
    info: (_m, f) => void events.push({ event: String(f?.event), at: mono(), fields: f ?? {} }),
    child: () => log,
  };
  const sup = new JenkinsSupervisor({
    command: '',
    home,
    url: `http://127.0.0.1:${port}`,
    startupGraceMs: 60000,
    healthIntervalMs: 300,
    healthTimeoutMs: 1000,
    livenessFailures: 3,
    fenceGraceMs: 500,
    logger: log,
    now: mono,
    service: { start: `${fake} start`, stop: `${fake} stop`, pid: `[ -e '${broken}' ] && exit 1; ${fake} pid`, status: '' },
    secrets: { envNames: [], values: [] },
  });
  sup.launch({ epoch: 1, leaseMs: 60000 });
  const unitFile = path.join(dir, 'unit.pid');
  servicePid = await waitFor(() => fs.existsSync(unitFile) && Number(fs.readFileSync(unitFile, 'utf8')), { timeoutMs: 10000, what: 'the service to start' });
  expect(isAlive(servicePid)).toBe(true);

  const exited = sup.stop(500, 'fenced by the test');
  const unproven = await waitFor(() => events.find((e) => e.event === 'jenkins.service_unproven'), { timeoutMs: 20000, what: 'jenkins.service_unproven' });
  expect(unproven.fields.reason).toMatch(/pid command failed/);
  expect(events.map((e) => e.event)).toContain('jenkins.service_unknown');
  expect(sup.status().state).toBe('stopping');
  // The node says so itself (GET /status jenkins.serviceProof, its note and jenkins_ha_service_unproven read this).
  expect(sup.status().serviceProof).toMatch(/pid command failed/);
  expect(() => sup.launch({ epoch: 2, leaseMs: 60000 })).toThrow(/while it is stopping/);
  expect(isAlive(servicePid)).toBe(true);

  // The pid command works again and the manager knows the main pid: the next look kills it.
  fs.rmSync(broken);
  fs.copyFileSync(unitFile, path.join(dir, 'main.pid'));
  const exit = await exited;
  expect(isAlive(servicePid)).toBe(false);
  expect(exit).toMatchObject({ expected: true, reason: 'fenced by the test' });
  expect(sup.status().state).toBe('stopped');
  expect(sup.status().serviceProof).toBeNull();
  expect(events.filter((e) => e.event === 'jenkins.service_late_pid_killed').map((e) => e.fields.pid)).toEqual([servicePid]);
  const order = events.map((e) => e.event).filter((e) => /service_(late_pid_killed|proven_stopped)|jenkins\.stopped/.test(e));
  expect(order).toEqual(['jenkins.service_late_pid_killed', 'jenkins.service_proven_stopped', 'jenkins.stopped']);
  sup.disarm();
  expect(assertNeverTwoAlive(home).length).toBe(1);
}, 60000);
