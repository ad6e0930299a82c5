/**
 * The cluster-wide history: sequential znodes under `<base>/history`, appended by every controller
 * and capped at HISTORY_KEEP entries. Malformed entries are reported through `warnMalformed` and
 * left out.
 */
import { errorCode } from '../errors';
import type { Coordinator } from '../coordination/types';
import { decodeHistory } from './records';
import type { HistoryEntry } from './status';

export const HISTORY_KEEP = 200;

export class ClusterHistory {
  constructor(
    private readonly coord: Coordinator,
    readonly path: string,
    private readonly warnMalformed: (kind: string, key: string, message: string) => void,
  ) {}

  async append(entry: HistoryEntry): Promise<void> {
    const data = Buffer.from(JSON.stringify(entry));
    try {
      await this.coord.create(`${this.path}/h-`, data, 'persistent_sequential');
    } catch (err) {
      if (errorCode(err) !== 'ZK_NO_NODE') throw err;
      await this.coord.mkdirp(this.path);
      await this.coord.create(`${this.path}/h-`, data, 'persistent_sequential');
    }
    await this.trim();
  }

  /** The newest `limit` entries, oldest first. */
  async read(limit: number): Promise<HistoryEntry[]> {
    let names: string[];
    try {
      names = await this.coord.getChildren(this.path);
    } catch (err) {
      if (errorCode(err) === 'ZK_NO_NODE') return [];
      throw err;
    }
    names.sort();
    const pick = names.slice(-limit);
    const out = await Promise.all(
      pick.map(async (n) => {
        try {
          const e = decodeHistory((await this.coord.getData(`${this.path}/${n}`)).data);
          if (!e) this.warnMalformed('history', `history/${n}`, 'ignoring a malformed history entry');
          return e;
        } catch (err) {
          if (errorCode(err) === 'ZK_NO_NODE') return null; // trimmed meanwhile
          throw err;
        }
      }),
    );
    return out.filter((e): e is HistoryEntry => e !== null);
  }

  private async trim(): Promise<void> {
    const names = (await this.coord.getChildren(this.path)).sort();
    const extra = names.length - HISTORY_KEEP;
    for (const n of names.slice(0, Math.max(0, extra))) {
      await this.coord.remove(`${this.path}/${n}`).catch(() => undefined);
    }
  }
}
