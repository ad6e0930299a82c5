/**
 * src/sync/service.ts, its error paths, with fakes for the parts (only the record read runs):
 * a restore that fails on something other than git (ZooKeeper, a bug) never shows the
 * repository's credentials (not in the log, `/status`'s lastError or the gate's reason), and a
 * failed cycle is named after what it ran (a fetch or a publish).
 */
import type { ConfigRepo } from '../../../src/sync/repo';
import type { Git } from '../../../src/sync/git';
import type { SyncRecordStore } from '../../../src/sync/record';
import { GitSync } from '../../../src/sync/service';
import { MemoryLogger } from '../../helpers/memory-logger';
import { waitFor } from '../../helpers/wait';

const REPO = 'https://jenkins:s3cr3t-token@git.example/config.git';

/** A GitSync whose record reads all fail with `errors` in turn (the last one repeated). */
function failingSync(logger: MemoryLogger, intervalMs: number, ...errors: Error[]): GitSync {
  let n = 0;
  const records = { read: (): Promise<never> => Promise.reject(errors[Math.min(n++, errors.length - 1)]) } as unknown as SyncRecordStore;
  const repo = { init: (): Promise<void> => Promise.resolve() } as unknown as ConfigRepo;
  return new GitSync({ nodeId: 'a', repo: REPO, branch: 'main', intervalMs, allowStale: false }, { git: {} as Git, repo, records, logger });
}

test('a non-git failure of the restore quoting the repository URL is redacted everywhere it is shown', async () => {
  const logger = new MemoryLogger();
  const sync = failingSync(logger, 60_000, new Error(`reading the sync record of ${REPO} failed: connection loss`));
  sync.restore(7, false);
  await waitFor(() => logger.events('sync.gate_error').length > 0, { timeoutMs: 5000, what: 'sync.gate_error' });
  await waitFor(() => sync.gateFor(7).reason.startsWith('retrying:'), { timeoutMs: 5000, what: 'the retry' });
  const shown = [JSON.stringify(logger.entries), sync.status().lastError ?? '', sync.gateFor(7).reason];
  for (const text of shown) {
    expect(text).toContain('connection loss');
    expect(text).not.toContain('s3cr3t-token');
  }
  await sync.close();
});

test('a cycle that fetched while this node may publish but its gate is not ready fails as a fetch, not a publish', async () => {
  const logger = new MemoryLogger();
  const gitFailed = Object.assign(new Error('git checkout failed'), { code: 'GIT_FAILED' });
  const sync = failingSync(logger, 20, gitFailed, new Error('connection loss'));
  sync.restore(7, false); // fails on git: the gate stays 'failed' for epoch 7
  await waitFor(() => sync.gateFor(7).state === 'failed', { timeoutMs: 5000, what: 'the failed gate' });
  sync.start(() => true); // we lead epoch 7: publishing would be allowed once the gate is ready
  await waitFor(() => logger.entries.some((e) => /^sync \w+ failed/.test(e.message)), { timeoutMs: 5000, what: 'a failed cycle' });
  await sync.close();
  const failed = logger.entries.filter((e) => /^sync \w+ failed/.test(e.message));
  expect(failed[0]?.message).toBe('sync fetch failed: connection loss');
  expect(failed.map((e) => e.fields['event'])).not.toContain('sync.publish_failed');
  expect(failed[0]?.fields['event']).toBe('sync.fetch_failed');
});
