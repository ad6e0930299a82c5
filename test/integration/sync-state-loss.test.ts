/**
 * Finding 8 (docs/reliability.md): in sync.mode git each node has its own JENKINS_HOME, so the
 * lock's epoch floor is the last epoch THAT node held. After a loss of ZooKeeper state a standby
 * took the old leader's epoch again. The floor now also reads the newest epoch on the sync branch
 * (the standby's fetched tip): the new leader's epoch is above every epoch on the branch. Real
 * ZooKeeper, real controllers and git; the journal check (never two alive) runs after the test.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HaNode } from '../helpers/ha-node';
import { mono } from '../helpers/ha-node';
import { readJournal } from '../helpers/journal';
import { RawZk } from '../helpers/raw-zk';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

let repoDir = '';
let remote = '';
const clients: RawZk[] = [];
const suite = haSuite({
  afterEach: () => {
    for (const c of clients.splice(0)) c.close();
    fs.rmSync(repoDir, { recursive: true, force: true });
  },
});

beforeEach(() => {
  repoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-sync-loss-'));
  remote = path.join(repoDir, 'config.git');
  execFileSync('git', ['init', '--quiet', '--bare', remote]);
});

function start(id: string, env: Record<string, string> = {}): HaNode {
  return suite.fx.start(id, {
    ownHome: true,
    env: { JHA_SYNC_MODE: 'git', JHA_SYNC_REPO: remote, JHA_SYNC_INTERVAL_MS: '500', JHA_SYNC_GIT_TIMEOUT_MS: '15000', STANDIN_RECORD_FILES: 'jobs/x/config.xml', ...env },
  });
}

const tipOf = (): string | null => {
  try {
    return execFileSync('git', ['--git-dir', remote, 'rev-parse', 'refs/heads/main'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
};

/** Every epoch named on the repository's branch (all commits, not only the tip). */
function branchEpochs(): number[] {
  const log = execFileSync('git', ['--git-dir', remote, 'log', '--format=%B', 'refs/heads/main']).toString();
  return [...log.matchAll(/^Jenkins-HA-Epoch:\s*(\d+)\s*$/gm)].map((m) => Number(m[1]));
}

test('after the cluster\'s znodes are deleted under a git-mode pair, the new leader\'s epoch is above every epoch on the branch', async () => {
  const zk = await RawZk.connect(suite.zk.connect);
  clients.push(zk);
  const a = start('a');
  const first = await a.waitLeaderReady();
  const tip = await waitFor(tipOf, { timeoutMs: 15000, what: 'the first push of a' });
  // b has no lock of its own (lock floor 0) but has fetched a's push under epoch `first.epoch`.
  const b = start('b');
  await waitFor(async () => {
    const s = await b.status();
    return s?.node.role === 'standby' && s.sync?.local.fetched === tip;
  }, { timeoutMs: 15000, what: 'b to fetch the tip' });

  // The state is lost: counter, breadcrumb and sync record, in one transaction; then a goes.
  const root = `/jenkins-ha/${a.opts.cluster}`;
  const t0 = mono();
  await zk.removeAll([`${root}/epoch`, `${root}/active`, `${root}/sync`]);
  await a.stop();

  const s = await b.waitLeaderReady();
  const onBranch = branchEpochs();
  expect(onBranch).toContain(first.epoch);
  expect(s.epoch).toBeGreaterThan(Math.max(...onBranch));
  expect(await b.waitForEvent('epoch.floor_raised', { after: t0 })).toMatchObject({ source: 'sync-branch', floor: first.epoch });
});

test('a standby that never fetched takes the old epoch after the loss, and the gate refuses it before launch: the next take is above the branch', async () => {
  const zk = await RawZk.connect(suite.zk.connect);
  clients.push(zk);
  const a = start('a');
  const first = await a.waitLeaderReady();
  await waitFor(tipOf, { timeoutMs: 15000, what: 'the first push of a' });
  // b's first fetch would be an hour away: neither its lock nor its clone knows a's epoch.
  const b = start('b', { JHA_SYNC_INTERVAL_MS: '3600000', JHA_ELECTION_RESIGN_COOLDOWN_MS: '1000' });
  await b.waitRole('standby');
  expect((await b.status())?.sync?.local.fetched).toBeNull();

  const root = `/jenkins-ha/${a.opts.cluster}`;
  const t0 = mono();
  await zk.removeAll([`${root}/epoch`, `${root}/active`, `${root}/sync`]);
  await a.stop();

  // b took a's epoch again (floor 0), the gate's fetch showed it on the branch: no launch, yield.
  expect(await b.waitForEvent('sync.epoch_superseded', { after: t0 })).toMatchObject({ epoch: first.epoch });
  const s = await b.waitLeaderReady();
  expect(s.epoch).toBeGreaterThan(Math.max(...branchEpochs()));
  // Never a Jenkins of b's under the superseded epoch: every start after the loss is above it.
  const starts = readJournal(suite.fx.home).filter((e) => e.ev === 'start' && e.mono >= t0);
  expect(starts.length).toBeGreaterThan(0);
  for (const e of starts) expect(Number(e.epoch)).toBeGreaterThan(first.epoch ?? 0);
});
