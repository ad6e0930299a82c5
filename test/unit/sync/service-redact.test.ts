/**
 * src/sync/service.ts: a restore that fails on something other than git (ZooKeeper, a bug) still
 * never shows the repository's credentials: not in the log, `/status`'s lastError or the gate's
 * reason. Fakes for the parts (a unit test of GitSync's error path): only the record read runs.
 */
import type { ConfigRepo } from '../../../src/sync/repo';
import type { Git } from '../../../src/sync/git';
import type { SyncRecordStore } from '../../../src/sync/record';
import { GitSync } from '../../../src/sync/service';
import { MemoryLogger } from '../../helpers/memory-logger';
import { waitFor } from '../../helpers/wait';

const REPO = 'https://jenkins:s3cr3t-token@git.example/config.git';

test('a non-git failure of the restore quoting the repository URL is redacted everywhere it is shown', async () => {
  const logger = new MemoryLogger();
  const records = {
    read: (): Promise<never> => Promise.reject(new Error(`reading the sync record of ${REPO} failed: connection loss`)),
  } as unknown as SyncRecordStore;
  const sync = new GitSync(
    { nodeId: 'a', repo: REPO, branch: 'main', intervalMs: 60_000, allowStale: false },
    { git: {} as Git, repo: { init: (): Promise<void> => Promise.resolve() } as unknown as ConfigRepo, records, logger },
  );
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
