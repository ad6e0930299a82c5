/**
 * The election path's znode is made only when ZooKeeper says it is missing (a new cluster, or an
 * ensemble that lost its state): a join into a running cluster is one create and one list, not
 * mkdirp's failing create per path component first (docs/benchmarks.md, start-up).
 */
import { hasCode } from '../errors';
import type { Coordinator } from '../coordination/types';

/** Our ephemeral sequential znode under `path` (mkdirp, then again, if the create answers NO_NODE). */
export async function createIn(coord: Coordinator, path: string, prefix: string, data: Buffer): Promise<string> {
  try {
    return await coord.create(prefix, data, 'ephemeral_sequential');
  } catch (err) {
    if (!hasCode(err, 'ZK_NO_NODE')) throw err;
    await coord.mkdirp(path);
    return coord.create(prefix, data, 'ephemeral_sequential');
  }
}

/** The election's children (mkdirp, then again, if the list answers NO_NODE). */
export async function listIn(coord: Coordinator, path: string): Promise<string[]> {
  try {
    return await coord.getChildren(path);
  } catch (err) {
    if (!hasCode(err, 'ZK_NO_NODE')) throw err;
    await coord.mkdirp(path);
    return coord.getChildren(path);
  }
}
