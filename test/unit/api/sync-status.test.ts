/** /status in sync.mode git: the `sync` block is documented in docs/openapi.yaml and served as is. */
import type { SyncStatus } from '../../../src/controller/status';
import { createHandler } from '../../../src/api/app';
import { OpenApiChecker } from '../../helpers/openapi';
import { FakeCommands, FakeSource, call, snapshot } from './fakes';

const SYNC: SyncStatus = {
  mode: 'git',
  repo: 'ssh://git@example.com/ci/config.git',
  branch: 'main',
  gate: { epoch: 7, state: 'ready', reason: 'restored commit 0123456789ab (epoch 6, b)', stale: false },
  recorded: { commit: '0123456789abcdef0123456789abcdef01234567', epoch: 7, nodeId: 'a', at: '2024-01-01T00:00:00.000Z' },
  lastPush: { commit: '0123456789abcdef0123456789abcdef01234567', epoch: 7, at: '2024-01-01T00:00:00.000Z' },
  local: { checkedOut: '0123456789abcdef0123456789abcdef01234567', fetched: null, fetchedAt: null, haveRecorded: true, commitsBehind: 0, secondsBehind: 0 },
  lastError: null,
};

const checker = new OpenApiChecker();

test('GET /status carries the sync block and conforms to the document', async () => {
  const source = new FakeSource();
  source.snap = snapshot({ sync: SYNC });
  const app = createHandler(source, new FakeCommands(), { token: '', readToken: '', stallAfterMs: 5000, defaultMetrics: false });
  const res = await call(app, checker, 'GET', '/status');
  expect(res.status).toBe(200);
  expect((res.body as { sync: SyncStatus }).sync).toEqual(SYNC);
});

test('a malformed sync block does not match the document', () => {
  expect(() => checker.check('GET', '/status', 200, 'application/json', snapshot({ sync: { ...SYNC, gate: { ...SYNC.gate, state: 'done' as 'ready' } } }))).toThrow(/does not match/);
  expect(() => checker.check('GET', '/status', 200, 'application/json', snapshot({ sync: { ...SYNC, extra: 1 } as SyncStatus }))).toThrow(/does not match/);
});
