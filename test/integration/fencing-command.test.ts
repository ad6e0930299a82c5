/**
 * Fencing layer 3 with a real ZooKeeper, real controllers and a real fencing method
 * (test/fixtures/fence-recorder.sh records the env it got and exits as told): the previous active
 * is fenced before a new leader starts Jenkins after a kill -9, never after a clean handover, and
 * a leader whose methods all fail stays leader without Jenkins, says why, and starts it once a
 * method succeeds. Every test ends with the journal check (haSuite): never two Jenkins alive.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, mono } from '../helpers/ha-node';
import { assertNeverTwoAlive, lives, readJournal, runningStandin } from '../helpers/journal';
import { waitForExit } from '../helpers/procs';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const RECORDER = path.join(REPO, 'test', 'fixtures', 'fence-recorder.sh');
const suite = haSuite();

interface FenceRecord {
  arg: string;
  prevNodeId: string;
  prevHost: string;
  prevPid: string;
  prevEpoch: string;
  epoch: string;
  nodeId: string;
  cluster: string;
  home: string;
  rc: number;
}

/** Env of a node whose fencing methods are the recorder (twice, as method "one" and "two"). */
function fencingEnv(): { env: Record<string, string>; record: string; control: string } {
  // Beside the stand-in's journal: the fixture removes the home after the test.
  const record = path.join(suite.fx.home, 'fence-record.jsonl');
  const control = path.join(suite.fx.home, 'fence-control');
  return {
    record,
    control,
    env: {
      JHA_FENCING_METHODS: JSON.stringify([`bash ${RECORDER} one`, `bash ${RECORDER} two`]),
      JHA_FENCING_TIMEOUT_MS: '5000',
      JHA_FENCING_RETRY_BACKOFF_MS: '300',
      JHA_FENCING_RETRY_BACKOFF_MAX_MS: '600',
      FENCE_RECORD: record,
      FENCE_CONTROL: control,
    },
  };
}

function records(file: string): FenceRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as FenceRecord);
}

test('fences the previous active with its identity in the env after a kill -9, and not after a graceful handover', async () => {
  const f = fencingEnv();
  const a = suite.fx.start('a', { env: f.env });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: f.env });
  await b.waitRole('standby');
  // The first term of the cluster had nobody to fence.
  expect(a.events('fence.skipped')[0]?.why).toBe('clean');
  const standinA = runningStandin(suite.fx.home);

  a.signal('SIGKILL');
  expect(await waitForExit(standinA, 3000)).toBe(true);
  const sb = await b.waitLeaderReady();
  expect(sb.epoch).toBe(2);
  const recs = records(f.record);
  expect(recs).toHaveLength(1);
  expect(recs[0]).toEqual({
    arg: 'one',
    prevNodeId: 'a',
    prevHost: os.hostname(),
    prevPid: String(a.pid),
    prevEpoch: '1',
    epoch: '2',
    nodeId: 'b',
    cluster: a.opts.cluster,
    home: suite.fx.home,
    rc: 0,
    t: expect.any(Number),
  });
  // Fenced before Jenkins started, and said so.
  const succeeded = await b.waitForEvent('fence.succeeded');
  const started = b.events('jenkins.started')[0]!;
  expect(succeeded.seenAt).toBeLessThanOrEqual(started.seenAt);
  expect(b.events('fence.output').map((l) => l.message)).toContain('fence-recorder one: exit 0');

  // A graceful handover: b leaves cleanly (breadcrumb removed), a2 takes over without fencing.
  const a2 = suite.fx.start('a2', { env: f.env });
  await a2.waitRole('standby');
  await b.stop();
  expect((await b.exited).code).toBe(0);
  const s2 = await a2.waitLeaderReady();
  expect(s2.epoch).toBe(3);
  expect(a2.events('fence.skipped')[0]?.why).toBe('clean');
  expect(a2.events('fence.started')).toHaveLength(0);
  expect(records(f.record)).toHaveLength(1);
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2', '3']);
});

test('when every fencing method fails, the new leader starts no Jenkins, says why, retries, and starts it after a method succeeds', async () => {
  const f = fencingEnv();
  fs.writeFileSync(f.control, '1\n');
  const a = suite.fx.start('a', { env: f.env });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: f.env });
  await b.waitRole('standby');
  const standinA = runningStandin(suite.fx.home);
  a.signal('SIGKILL');
  expect(await waitForExit(standinA, 3000)).toBe(true);

  // b leads but holds Jenkins back; both methods ran and failed, and it retries.
  const failed = await b.waitForEvent('fence.failed', { timeoutMs: 20000 });
  expect(failed.level).toBe('error');
  expect(failed.message).toContain('all 2 fencing methods failed (method 1: exit 1; method 2: exit 1)');
  const blocked = await waitFor(
    async () => {
      const s = await b.status();
      return s && s.node.role === 'leader' && s.launchBlocked?.gate === 'fencing' ? s : null;
    },
    { timeoutMs: 10000, what: 'b to report the fencing gate' },
  );
  expect(blocked.jenkins.state).toBe('stopped');
  expect(blocked.epoch).toBe(2);
  expect(blocked.launchBlocked?.reason).toMatch(/fencing (failed|the previous active)/);
  await waitFor(() => b.events('fence.failed').length >= 2, { timeoutMs: 10000, what: 'a second failed fencing round' });
  expect(records(f.record).map((r) => r.arg).slice(0, 4)).toEqual(['one', 'two', 'one', 'two']);
  expect(b.events('jenkins.started')).toHaveLength(0);
  expect(lives(readJournal(suite.fx.home)).filter((l) => l.epoch === '2')).toHaveLength(0);

  // The previous active can be fenced now: the next round succeeds and Jenkins starts.
  const t0 = mono();
  fs.writeFileSync(f.control, '0\n');
  const s = await b.waitLeaderReady();
  expect(s.launchBlocked).toBeNull();
  expect(s.epoch).toBe(2);
  const ok = await b.waitForEvent('fence.succeeded');
  expect(ok.seenAt).toBeGreaterThanOrEqual(t0);
  expect(b.events('jenkins.started')[0]!.seenAt).toBeGreaterThanOrEqual(ok.seenAt);
  const ls = assertNeverTwoAlive(suite.fx.home);
  expect(ls.map((l) => l.epoch)).toEqual(['1', '2']);
});
