/**
 * Znodes with our node id from another session, looked at once per znode the election creates
 * (./election.ts check()). Removed when they provably belong to a dead process of this host (a
 * controller that crashed and was restarted) or to this very process (an earlier session);
 * otherwise another live controller uses our id: say so loudly.
 */
import { hasCode } from '../errors';
import type { Coordinator } from '../coordination/types';
import type { Logger } from '../logging/logger';
import { isProcessAlive } from '../util/proc';
import { decodeMember, type MemberInfo } from './member';
import type { Contender } from './sequence';
import type { ElectionOptions } from './types';

/** Removes the stale znodes of ours in `sorted` (never `guid`'s, our current one); true if one was removed. */
export async function removeStaleOwn(
  coord: Coordinator,
  opts: Pick<ElectionOptions, 'path' | 'nodeId' | 'host'>,
  log: Logger,
  sorted: Contender[],
  guid: string,
): Promise<boolean> {
  let removed = false;
  for (const c of sorted) {
    if (c.nodeId !== opts.nodeId || c.guid === guid) continue;
    const path = `${opts.path}/${c.name}`;
    let info: MemberInfo | null = null;
    try {
      info = decodeMember((await coord.getData(path)).data);
    } catch (err) {
      if (hasCode(err, 'ZK_NO_NODE')) continue;
      throw err;
    }
    const ours = info !== null && info.host === opts.host && (info.pid === process.pid || !isProcessAlive(info.pid));
    if (ours) {
      await coord.remove(path).catch((err: unknown) => {
        if (!hasCode(err, 'ZK_NO_NODE')) throw err;
      });
      removed = true;
      log.info('removed our stale znode from an earlier session', { event: 'election.stale_removed', znode: c.name, pid: info?.pid });
    } else {
      log.error('another live controller uses our node id', {
        event: 'election.duplicate_id',
        znode: c.name,
        host: info?.host,
        pid: info?.pid,
      });
    }
  }
  return removed;
}
