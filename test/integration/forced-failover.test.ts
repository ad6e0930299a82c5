/**
 * Forced failover (`jenkins-ha failover --confirm-fenced NODE`, POST /failover) with a real
 * ZooKeeper, real controllers and real fencing methods that always fail (as when the old host's
 * power switch cannot be reached): the new leader holds Jenkins back at the fencing gate; a
 * person's confirmation is refused while the named node holds a live session or when nobody waits
 * on that node, and once accepted the waiting leader passes the gate and starts Jenkins, with who
 * and why in the history. Every test ends with the journal check (haSuite): never two Jenkins alive.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { REPO, mono, type HaNode } from '../helpers/ha-node';
import { assertNeverTwoAlive, lives, readJournal } from '../helpers/journal';
import { waitForExit } from '../helpers/procs';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const RECORDER = path.join(REPO, 'test', 'fixtures', 'fence-recorder.sh');
const TOKEN = 'forced-failover-token';
const suite = haSuite();

/** Fencing methods that exit 1 (FENCE_CONTROL), an API token. */
function env(): Record<string, string> {
  const control = path.join(suite.fx.home, 'fence-control');
  fs.writeFileSync(control, '1\n');
  return {
    JHA_API_TOKEN: TOKEN,
    JHA_FENCING_METHODS: JSON.stringify([`bash ${RECORDER} one`]),
    JHA_FENCING_TIMEOUT_MS: '5000',
    JHA_FENCING_RETRY_BACKOFF_MS: '300',
    JHA_FENCING_RETRY_BACKOFF_MAX_MS: '600',
    FENCE_RECORD: path.join(suite.fx.home, 'fence-record.jsonl'),
    FENCE_CONTROL: control,
  };
}

async function post(n: HaNode, body: unknown): Promise<{ status: number; body: Record<string, unknown> & { error?: { code: string; message: string } } }> {
  const res = await fetch(`http://127.0.0.1:${n.opts.apiPort}/failover`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

/** a led with a ready Jenkins and was killed -9; b leads and every fencing method fails. */
async function heldAtTheGate(e: Record<string, string>): Promise<{ a: HaNode; b: HaNode }> {
  const a = suite.fx.start('a', { env: e });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: e });
  await b.waitRole('standby');
  const running = lives(readJournal(suite.fx.home)).filter((l) => l.endedBy === 'running');
  expect(running).toHaveLength(1);
  a.signal('SIGKILL');
  expect(await waitForExit(running[0]!.pid, 3000)).toBe(true);
  await b.waitForEvent('fence.failed', { timeoutMs: 20000 });
  await waitFor(
    async () => {
      const s = await b.status();
      return s && s.node.role === 'leader' && s.launchBlocked?.gate === 'fencing' ? s : null;
    },
    { timeoutMs: 10000, what: 'b held at the fencing gate' },
  );
  return { a, b };
}

test('refused while the node holds a live session or nobody waits on it; accepted, the waiting leader starts Jenkins and the history says who and why', async () => {
  const e = env();
  const { b } = await heldAtTheGate(e);

  // Nobody waits on x.
  const other = await post(b, { confirmFenced: 'x', reason: 'wrong node' });
  expect(other.status).toBe(409);
  expect(other.body.error?.message).toBe('nothing is waiting on x: leader b (epoch 2) waits at the fencing gate for a (epoch 1)');

  // a's controller comes back (same id): it has a live session, so it is not gone.
  const a2 = suite.fx.start('a', { env: e });
  await a2.waitRole('standby');
  const live = await post(b, { confirmFenced: 'a', reason: 'host a is off' });
  expect(live.status).toBe(409);
  expect(live.body.error?.message).toMatch(/^a still holds a live ZooKeeper session \(election znode \S+\): it is not gone/);
  expect(b.events('jenkins.started')).toHaveLength(0);
  await a2.stop();

  // Now a is gone: the person confirms it (through the CLI), b passes the gate and starts Jenkins.
  const t0 = mono();
  const run = await runCli(['failover', '--confirm-fenced', 'a', '--reason', 'host a powered off at the PDU'], {
    JHA_ZK_CONNECT: suite.zk.connect,
    JHA_CLUSTER: b.opts.cluster,
    JHA_API_HOST: '127.0.0.1',
    JHA_API_PORT: String(b.opts.apiPort),
    JHA_API_TOKEN: TOKEN,
  });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^confirmed a \(epoch 1\) fenced: b passes the fencing gate and starts Jenkins/);
  const s = await b.waitLeaderReady();
  expect(s.epoch).toBe(2);
  expect(s.launchBlocked).toBeNull();
  const confirmed = await b.waitForEvent('fence.confirmed');
  expect(confirmed.seenAt).toBeGreaterThanOrEqual(t0);
  expect(confirmed.by).toMatch(/^api@/);
  expect(b.events('jenkins.started')[0]!.seenAt).toBeGreaterThanOrEqual(confirmed.seenAt);
  expect(b.events('fence.succeeded')).toHaveLength(0);
  // Counted once, on the leader that passed the gate.
  const metrics = await (await fetch(`http://127.0.0.1:${b.opts.apiPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  expect(metrics).toMatch(/^jenkins_ha_forced_failovers_total\{result="accepted"\} 1$/m);
  expect(metrics).toMatch(/^jenkins_ha_forced_failovers_total\{result="refused"\} 0$/m);

  // The history (from any node) says who confirmed it and why; the confirmation was consumed.
  const history = (await (await fetch(`http://127.0.0.1:${b.opts.apiPort}/history?limit=200`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
    event: string;
    node: string;
    reason: string;
  }[];
  const recorded = history.find((h) => h.event === 'fence.confirmation_recorded');
  expect(recorded?.reason).toMatch(/^a@\S+ \(epoch 1\) confirmed fenced by api@\S+: host a powered off at the PDU \(\S+@\S+\); b may pass the fencing gate$/);
  const passed = history.find((h) => h.event === 'fence.confirmed');
  expect(passed?.node).toBe('b');
  expect(passed?.reason).toMatch(/previous active a@\S+ \(epoch 1, pid \d+\) confirmed fenced by api@\S+: host a powered off at the PDU/);
  const again = await post(b, { confirmFenced: 'a', reason: 'twice' });
  expect(again.status).toBe(409);
  expect(again.body.error?.message).toMatch(/^nothing is waiting on a: no leader is held at the fencing gate/);
  expect(assertNeverTwoAlive(suite.fx.home).map((l) => l.epoch)).toEqual(['1', '2']);
});
