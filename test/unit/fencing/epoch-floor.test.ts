/**
 * The epoch never goes backwards as the JENKINS_HOME lock sees it: epoch = znode version + the
 * offset in the znode's data, and a take given a floor (the lock's epoch) raises the offset in the
 * same compare-and-set. Pure functions first, then EpochStore against the in-memory ZooKeeper.
 */
import { LockError } from '../../../src/errors';
import { EpochStore, MAX_EPOCH, decodeEpochOffset, epochOf, nextEpoch } from '../../../src/fencing/epoch';
import { silentLogger, type LogFields, type Logger } from '../../../src/logging/logger';
import { FakeZk, type FakeCoordinator } from '../../helpers/fake-coordinator';
import { waitFor } from '../../helpers/wait';

const self = (nodeId: string) => ({ nodeId, host: 'h', pid: 1 });

describe('the epoch of a znode', () => {
  it('is the version for data written by versions before the offset (compatibility)', () => {
    expect(epochOf(0, Buffer.from('{"epoch":0}'))).toBe(0);
    expect(epochOf(7, Buffer.from('{"epoch":7,"nodeId":"a","at":"2024-01-01T00:00:00.000Z"}'))).toBe(7);
  });

  it('adds the offset of the data', () => {
    expect(epochOf(3, Buffer.from('{"epoch":53,"offset":50}'))).toBe(53);
  });

  it.each([
    ['not JSON', '0000'],
    ['a negative offset', '{"offset":-5}'],
    ['a fractional offset', '{"offset":1.5}'],
    ['an offset as a string', '{"offset":"50"}'],
    ['an offset above MAX_EPOCH', `{"offset":${MAX_EPOCH + 1}}`],
    ['JSON null', 'null'],
  ])('counts %s as offset 0 (only ever lower: the floor lifts it again)', (_why, text) => {
    expect(decodeEpochOffset(Buffer.from(text))).toBe(0);
  });

  it('ignores oversized data without parsing it', () => {
    expect(decodeEpochOffset(Buffer.from(`{"offset":9,"pad":"${'x'.repeat(5000)}"}`))).toBe(0);
  });
});

describe('nextEpoch', () => {
  it('is one above the current epoch when the floor is not higher', () => {
    expect(nextEpoch({ version: 4, offset: 10 }, 0)).toEqual({ epoch: 15, offset: 10, raisedFrom: null, floorIgnored: false });
    expect(nextEpoch({ version: 4, offset: 10 }, 14)).toEqual({ epoch: 15, offset: 10, raisedFrom: null, floorIgnored: false });
  });

  it('jumps to floor + 1 when the counter is at or below the floor (state lost)', () => {
    expect(nextEpoch({ version: 0, offset: 0 }, 41)).toEqual({ epoch: 42, offset: 41, raisedFrom: 1, floorIgnored: false });
    expect(nextEpoch({ version: 2, offset: 5 }, 8)).toEqual({ epoch: 9, offset: 6, raisedFrom: 8, floorIgnored: false });
  });

  it('ignores an unusable floor', () => {
    for (const floor of [-1, 1.5, Number.NaN, MAX_EPOCH, Number.MAX_SAFE_INTEGER]) {
      expect(nextEpoch({ version: 1, offset: 0 }, floor)).toEqual({ epoch: 2, offset: 0, raisedFrom: null, floorIgnored: true });
    }
  });
});

describe('EpochStore with a floor', () => {
  let zk: FakeZk;
  let coord: FakeCoordinator;
  beforeEach(() => {
    zk = new FakeZk();
    coord = zk.client('a');
    coord.start();
  });

  function store(floor: number, logger: Logger = silentLogger): EpochStore {
    return new EpochStore(coord, '/ha/c', { floor: async () => floor, logger });
  }

  it('takes epochs 1, 2, 3 on a fresh cluster and keeps the version as the epoch (offset 0)', async () => {
    const s = store(0);
    expect((await s.take(self('a'))).epoch).toBe(1);
    expect((await s.take(self('a'))).epoch).toBe(2);
    expect((await s.take(self('a'))).epoch).toBe(3);
    expect(zk.stat('/ha/c/epoch')?.version).toBe(3);
    expect(await s.current()).toEqual({ epoch: 3, version: 3 });
  });

  it('continues an epoch znode written by an older version (data {"epoch": version})', async () => {
    await coord.mkdirp('/ha/c');
    await coord.create('/ha/c/epoch', Buffer.from('{"epoch":0}'), 'persistent');
    for (let v = 1; v <= 4; v++) await coord.setData('/ha/c/epoch', Buffer.from(JSON.stringify({ epoch: v, nodeId: 'old', at: '' })), v - 1);
    expect(await store(4).readEpoch()).toBe(4);
    expect((await store(4).take(self('a'))).epoch).toBe(5);
  });

  it('after the znode is lost, takes the lock epoch + 1 and logs it; the next take goes on from there', async () => {
    const events: Array<{ event: unknown; fields: LogFields | undefined }> = [];
    const log: Logger = { ...silentLogger, warn: (_m: string, f?: LogFields) => void events.push({ event: f?.event, fields: f }), child: () => log };
    const s = store(41, log);
    const t = await s.take(self('a'));
    expect(t).toMatchObject({ epoch: 42, raisedFrom: 1 });
    expect(events).toEqual([{ event: 'epoch.floor_raised', fields: expect.objectContaining({ epoch: 42, floor: 41, counter: 1 }) }]);
    // The lock now names 42; the next term gets 43 without a raise.
    const next = await store(42, log).take(self('b'));
    expect(next).toMatchObject({ epoch: 43, raisedFrom: null });
    expect(events).toHaveLength(1);
    expect(JSON.parse(zk.data('/ha/c/epoch')!.toString())).toMatchObject({ epoch: 43, offset: 41 });
    // Without a floor (e.g. a reader) the epoch is the same number.
    expect(await new EpochStore(coord, '/ha/c').readEpoch()).toBe(43);
  });

  it('two contenders with floors: the compare-and-set lets one win, the other gets EPOCH_CONFLICT', async () => {
    const other = zk.client('b');
    other.start();
    const sa = store(10);
    const sb = new EpochStore(other, '/ha/c', { floor: async () => 20 });
    const [ra, rb] = await Promise.allSettled([sa.take(self('a')), sb.take(self('b'))]);
    const won = [ra, rb].filter((r) => r.status === 'fulfilled');
    const lost = [ra, rb].filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'EPOCH_CONFLICT' });
    const epoch = (won[0] as PromiseFulfilledResult<{ epoch: number }>).value.epoch;
    expect(await sa.readEpoch()).toBe(epoch);
    expect(epoch).toBe(ra.status === 'fulfilled' ? 11 : 21);
    // The loser retries: above both its floor and the winner's epoch.
    const retry = await (ra.status === 'rejected' ? sa : sb).take(self('x'));
    expect(retry.epoch).toBe(Math.max(epoch, ra.status === 'rejected' ? 10 : 20) + 1);
  });

  it('reads the floor beside the epoch and breadcrumb znodes, not before them (one round trip less)', async () => {
    await store(0).take(self('a')); // the epoch znode exists
    const reads = jest.spyOn(coord, 'getData');
    const s = new EpochStore(coord, '/ha/c', {
      floor: async () => {
        // Read sequentially, the znodes would be asked for only after this resolved.
        await waitFor(() => reads.mock.calls.length >= 2, { timeoutMs: 2000, what: 'the znode reads sent while the floor is read' });
        return 0;
      },
    });
    expect((await s.take(self('a'))).epoch).toBe(2);
    expect(reads.mock.calls.map((c) => c[0]).sort()).toEqual(['/ha/c/active', '/ha/c/epoch']);
  });

  it('does not take an epoch when the floor cannot be read', async () => {
    const s = new EpochStore(coord, '/ha/c', {
      floor: async () => {
        throw new LockError('LOCK_IO', 'cannot read the lock');
      },
    });
    await expect(s.take(self('a'))).rejects.toMatchObject({ code: 'LOCK_IO' });
    expect(zk.stat('/ha/c/epoch')).toBeNull();
  });
});
