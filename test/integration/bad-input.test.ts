/**
 * Bad input against real processes. A rogue member writes malformed and hostile data straight
 * into ZooKeeper (a cluster without zk.auth, so it can): election znodes with bad names, a
 * persistent one named like the lowest contender, huge and non-JSON data, JSON of the wrong
 * types; garbage in the pause, switchover, history, breadcrumb and epoch znodes. Each is warned
 * about (a bounded number of lines) and ignored or treated safely: the controllers keep running,
 * exactly one Jenkins runs, /status and `jenkins-ha status` answer, and a failover still works.
 * Garbled config files make `jenkins-ha run` exit 2 with the key named, never a stack trace.
 * Every test ends with the journal check (haSuite): never two Jenkins alive at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../helpers/cli-run';
import { fuzzSeed, Rng } from '../helpers/fuzz';
import type { HaNode } from '../helpers/ha-node';
import { assertNeverTwoAlive, lives, readJournal } from '../helpers/journal';
import { RawZk } from '../helpers/raw-zk';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const clients: RawZk[] = [];
const suite = haSuite({
  afterEach: () => {
    for (const c of clients.splice(0)) c.close();
  },
});

/** Just under ZooKeeper's default 1 MB jute.maxbuffer (the request has some framing too). */
const NEAR_1MB = 1024 * 1024 - 4096;
const GUID = 'f'.repeat(32);

function runningCount(): number {
  return lives(readJournal(suite.fx.home)).filter((l) => l.endedBy === 'running').length;
}

async function readyLeaders(nodes: HaNode[]): Promise<string[]> {
  const all = await Promise.all(nodes.map((n) => n.status()));
  return all.filter((s) => s?.node.role === 'leader' && s.jenkins.ready).map((s) => s!.node.id);
}

test('a rogue writing malformed and hostile znodes changes nothing: one Jenkins, answers everywhere, bounded warnings, failover works', async () => {
  const a = suite.fx.start('a');
  await a.waitLeaderReady();
  const b = suite.fx.start('b');
  await b.waitRole('standby');
  const root = `/jenkins-ha/${a.opts.cluster}`;
  const rogue = await RawZk.connect(suite.zk.connect);
  clients.push(rogue);
  const e = `${root}/election`;

  // Election: bad names, an impostor that sorts first (persistent: no session owns it), and two
  // live rogue members (ephemeral, in line behind b) with wrong types and huge data.
  await rogue.create(`${e}/garbage`, 'not json');
  await rogue.create(`${e}/n_nope_bad_12`, Buffer.alloc(NEAR_1MB, 0x41));
  await rogue.create(`${e}/n_${GUID}_rogue_0000000000`, JSON.stringify({ id: 'rogue', host: 'evil', pid: 1 }));
  await rogue.create(`${e}/n_${GUID}_types_`, JSON.stringify({ id: 42, host: ['x'], pid: 'one' }), 'ephemeral_sequential');
  await rogue.create(`${e}/n_${GUID}_huge_`, JSON.stringify({ id: 'huge', host: 'h'.repeat(NEAR_1MB - 100), pid: 1 }), 'ephemeral_sequential');
  // Records: garbage everywhere.
  await rogue.create(`${root}/paused`, Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
  await rogue.create(`${root}/switchover`, JSON.stringify({ id: 7, from: null, requestedAt: {} }));
  for (const data of ['{"at": 1}', 'x'.repeat(NEAR_1MB), '[]', JSON.stringify({ at: 'now', event: 'elected', reason: 'r'.repeat(5000) })]) {
    await rogue.create(`${root}/history/h-`, data, 'persistent_sequential');
  }
  await rogue.setData(`${root}/active`, 'not a breadcrumb');
  await rogue.setData(`${root}/epoch`, Buffer.alloc(NEAR_1MB, 0x30));

  // The pair keeps its promise and keeps answering.
  const warnedAfter = await waitFor(() => (a.events('cluster_view.malformed').length >= 1 ? true : null), { timeoutMs: 10000, what: 'a warning about malformed data' });
  expect(warnedAfter).toBe(true);
  await a.waitLeaderReady();
  // The first warning can come from an early child; the view lists the live rogues once its
  // children watch has fired for all of them (the huge one is read last: ~1 MB).
  const sa = await waitFor(
    async () => {
      const s = await a.status();
      return s && s.node.role === 'leader' && s.jenkins.ready && s.members.length >= 4 ? s : null;
    },
    { timeoutMs: 15000, what: "the leader's view to list both live rogue members" },
  );
  expect(sa.paused).toEqual({ paused: false });
  expect(sa.switchover).toBeNull();
  // The live rogues stand in line, listed by their znode names with no details.
  expect(sa.members.map((m) => [m.id, m.role, m.host !== ''])).toEqual([
    ['a', 'leader', true],
    ['b', 'standby', true],
    ['types', 'standby', false],
    ['huge', 'standby', false],
  ]);
  expect(JSON.stringify(sa).length).toBeLessThan(64 * 1024);
  expect((await b.status())?.node.role).toBe('standby');
  expect(await readyLeaders([a, b])).toEqual(['a']);
  expect(runningCount()).toBe(1);
  const hist = await fetch(`http://127.0.0.1:${a.opts.apiPort}/history?limit=200`, { signal: AbortSignal.timeout(10000) });
  expect(hist.status).toBe(200);
  expect(((await hist.json()) as { event: string }[]).some((h) => h.event === 'elected')).toBe(true);
  const cli = await runCli(['status', '--json'], { JHA_ZK_CONNECT: suite.zk.connect, JHA_CLUSTER: a.opts.cluster, JHA_API_PORT: String(a.opts.apiPort) });
  expect(cli.stderr).toBe('');
  expect(cli.code).toBe(0);
  const report = JSON.parse(cli.stdout) as { leader: { id: string } | null; members: { id: string }[] };
  expect(report.leader?.id).toBe('a');
  expect(report.members.some((m) => m.id === 'rogue')).toBe(false);

  // Warnings, not a flood.
  for (const n of [a, b]) {
    const warns = n.logs.filter((l) => l.level === 'warn').map((l) => l.event);
    expect({ node: n.id, warns: warns.length < 30 }).toEqual({ node: n.id, warns: true });
  }

  // A failover past the impostor and the garbage: b takes over, one Jenkins again.
  a.signal('SIGKILL');
  const sb = await b.waitLeaderReady(30000);
  expect(sb.epoch).toBeGreaterThan(1);
  // The malformed breadcrumb counts as an unclean exit.
  expect(b.events('epoch.taken')[0]!.previousExitedCleanly).toBe(false);
  expect(b.isRunning()).toBe(true);
  // b listed the election again on the way: the bad names and the impostor were warned about once.
  expect(b.events('election.invalid_znode').map((l) => l.znode).sort()).toEqual(['garbage', `n_${GUID}_rogue_0000000000`, 'n_nope_bad_12']);
  expect(b.logs.filter((l) => l.level === 'warn').length).toBeLessThan(30);
  expect(assertNeverTwoAlive(suite.fx.home)).toHaveLength(2);
});

test(`garbled config files make jenkins-ha run exit 2 naming the key or the parse error, never a stack trace (seed ${fuzzSeed()})`, async () => {
  const r = new Rng(fuzzSeed());
  const dir = fs.mkdtempSync(path.join(suite.fx.home, 'conf-'));
  const valid = { zk: { connect: suite.zk.connect }, jenkins: { home: suite.fx.home } };
  const texts: (string | Buffer)[] = [
    r.bytes(300),
    JSON.stringify(valid).slice(0, r.int(5, 40)),
    JSON.stringify({ ...valid, zk: { ...valid.zk, sessionTimeoutMs: 'ten seconds' } }),
    JSON.stringify({ ...valid, jenkins: { ...valid.jenkins, restartBackoffMs: { a: { b: 1 } } } }),
    JSON.stringify({ ...valid, zk: { ...valid.zk, sesionTimeoutMs: 2000 } }),
    JSON.stringify({ ...valid, cluster: { name: 'n'.repeat(200_000) } }),
    '{"zk":'.repeat(3000) + '1' + '}'.repeat(3000),
    `{"api": {"port": 8090}, "zk": {"connect": "${suite.zk.connect}"}}}`,
  ];
  for (const [i, t] of texts.entries()) {
    const f = path.join(dir, `c${i}.json`);
    fs.writeFileSync(f, t);
    const res = await runCli(['run', '-c', f], {});
    expect({ i, code: res.code, stdout: res.stdout }).toEqual({ i, code: 2, stdout: '' });
    expect(res.stderr).toMatch(/^jenkins-ha: configuration error: (invalid configuration|config file )/);
    expect(res.stderr).not.toMatch(/\n\s+at |node_modules/);
    expect(res.stderr.length).toBeLessThan(2000);
  }
});
