/**
 * The order of steps on the graceful handover path (docs/safety.md, "The graceful handover
 * path"): what must not sit between a leader's Jenkins exit and its leave transaction, or between
 * a new leader's epoch and its launch. Run against the in-memory ZooKeeper (./harness.ts); every
 * request the controller sends is written to the steps log, in the order it is sent.
 */
import { HANDOVER_TAIL_MS } from '../../../src/controller/shutdown-act';
import { EpochStore } from '../../../src/fencing/epoch';
import { waitFor } from '../../helpers/wait';
import { BASE, bareElection, controllerHarness, type Harness, type HarnessOptions } from './harness';

const WAIT = { timeoutMs: 5000 };

let harnesses: Harness[] = [];
function harness(o: HarnessOptions = {}): Harness {
  const h = controllerHarness(o);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses) await h.close();
  harnesses = [];
});

/** Log the history appends (with their event) and the transactions the controller sends. */
function logRequests(h: Harness): void {
  const create = h.coord.create.bind(h.coord);
  jest.spyOn(h.coord, 'create').mockImplementation((path, data, mode) => {
    if (path.includes('/history/')) h.steps.push(`history.append(${(JSON.parse(data.toString()) as { event: string }).event})`);
    return create(path, data, mode);
  });
  const multi = h.coord.multi.bind(h.coord);
  jest.spyOn(h.coord, 'multi').mockImplementation((ops) => {
    const kinds = ops.map((o) => `${o.op} ${o.path.split('/').pop() ?? ''}`.replace(/n_.*/, 'our znode'));
    if (!(ops.length === 1 && ops[0]?.op === 'check')) h.steps.push(`multi(${kinds.join(', ')})`);
    return multi(ops);
  });
}

test('a new leader appends its history to ZooKeeper after it launched Jenkins, not between the epoch and the launch', async () => {
  const h = harness();
  logRequests(h);
  h.start();
  await waitFor(() => h.steps.includes('history.append(elected)'), { ...WAIT, what: 'the history of the election appended' });
  const launch = h.steps.indexOf('supervisor.launch(epoch 1)');
  const epoch = h.steps.indexOf('multi(setData epoch, create active)');
  expect(epoch).toBeGreaterThanOrEqual(0);
  expect(launch).toBeGreaterThan(epoch);
  // Nothing written to ZooKeeper between the epoch transaction and the launch.
  expect(h.steps.slice(epoch + 1, launch)).toEqual([]);
  expect(h.steps.indexOf('history.append(elected)')).toBeGreaterThan(launch);
  // Appended all the same.
  await waitFor(async () => (await h.controller.history(10)).some((e) => e.event === 'elected'), { ...WAIT, what: 'the entry in the cluster history' });
});

test('a leader that shuts down appends "Jenkins stopped" to the history after its leave transaction, not ahead of it', async () => {
  const h = harness();
  logRequests(h);
  h.start();
  await waitFor(() => h.jenkins.launches.length === 1, { ...WAIT, what: 'the launch' });
  // The term's entries are in ZooKeeper (the first append also creates the history znode).
  await waitFor(async () => (await h.controller.history(10)).some((e) => e.event === 'jenkins.ready'), { ...WAIT, what: 'the term in the cluster history' });
  h.steps.length = 0;
  await h.controller.shutdown('test');
  await h.done;
  const leave = h.steps.indexOf('multi(remove active, remove our znode)');
  expect(leave).toBeGreaterThanOrEqual(0);
  expect(h.steps.slice(0, leave).filter((s) => s.startsWith('history.'))).toEqual([]);
  expect(h.steps.slice(leave + 1)).toEqual(expect.arrayContaining(['history.append(jenkins.stopped)']));
});

test("a standby woken by its predecessor's deletion reads the epoch beside the election's list, before it is elected, and not again", async () => {
  const h0 = harness();
  const z = bareElection(h0.zk, h0.clock, 'node-z');
  z.coord.start();
  z.election.join();
  await waitFor(() => z.election.status().role === 'leader', { ...WAIT, what: 'node-z leads' });
  const zEpochs = new EpochStore(z.coord, BASE);
  const zTerm = await zEpochs.take({ nodeId: 'node-z', host: 'host-node-z', pid: 1 });
  const h = harness({ zk: h0.zk, clock: h0.clock });
  logRequests(h);
  const getData = h.coord.getData.bind(h.coord);
  jest.spyOn(h.coord, 'getData').mockImplementation((path, watch) => {
    // The epoch store's reads (the cluster view's, for /status, set a watch).
    if (/\/(epoch|active)$/.test(path) && !watch) h.steps.push(`getData ${path.split('/').pop() ?? ''}`);
    return getData(path, watch);
  });
  h.election.on('change', (st) => {
    if (st.role === 'leader') h.steps.push('elected');
  });
  h.start();
  await waitFor(() => h.election.status().role === 'candidate', { ...WAIT, what: 'node-a in line' });
  await z.election.leave('test', zEpochs.releaseOps(zTerm));
  await waitFor(() => h.jenkins.launches.length === 1, { ...WAIT, what: 'the launch' });
  const upToTake = h.steps.slice(0, h.steps.indexOf('multi(setData epoch, create active)') + 1);
  expect(upToTake.filter((s) => s !== 'history.append(elected)')).toEqual(['getData epoch', 'getData active', 'elected', 'multi(setData epoch, create active)']);
  expect(h.jenkins.launches[0]?.epoch).toBe(2);
  await z.coord.close();
});

test('a leader that hands over tears down (history, session close) only HANDOVER_TAIL_MS after its leave; a standby at once', async () => {
  const h = harness();
  h.start();
  await waitFor(() => h.jenkins.launches.length === 1, { ...WAIT, what: 'the launch' });
  const at: Record<string, number> = {};
  const multi = h.coord.multi.bind(h.coord);
  jest.spyOn(h.coord, 'multi').mockImplementation(async (ops) => {
    await multi(ops);
    if (ops.some((o) => o.op === 'remove' && o.path.includes('/election/'))) at.left = performance.now();
  });
  const close = h.coord.close.bind(h.coord);
  jest.spyOn(h.coord, 'close').mockImplementation(() => {
    at.closed = performance.now();
    return close();
  });
  await h.controller.shutdown('test');
  await h.done;
  expect(at.left).toBeDefined();
  // Timers may fire up to a millisecond early.
  expect((at.closed ?? 0) - (at.left ?? 0)).toBeGreaterThanOrEqual(HANDOVER_TAIL_MS - 1);

  // A standby hands nothing over: no wait.
  const s = harness({ zk: h.zk, clock: h.clock });
  const z = bareElection(h.zk, h.clock, 'node-z');
  z.coord.start();
  z.election.join();
  await waitFor(() => z.election.status().role === 'leader', { ...WAIT, what: 'node-z leads' });
  s.start();
  await waitFor(() => s.election.status().role === 'candidate', { ...WAIT, what: 'the standby in line' });
  const sAt: Record<string, number> = {};
  const sMulti = s.coord.multi.bind(s.coord);
  jest.spyOn(s.coord, 'multi').mockImplementation(async (ops) => {
    await sMulti(ops);
    if (ops.some((o) => o.op === 'remove' && o.path.includes('/election/'))) sAt.left = performance.now();
  });
  const sClose = s.coord.close.bind(s.coord);
  jest.spyOn(s.coord, 'close').mockImplementation(() => {
    sAt.closed = performance.now();
    return sClose();
  });
  await s.controller.shutdown('test');
  await s.done;
  expect(sAt.left).toBeDefined();
  expect((sAt.closed ?? Infinity) - (sAt.left ?? 0)).toBeLessThan(HANDOVER_TAIL_MS / 2);
  await z.coord.close();
});
