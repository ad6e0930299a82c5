/**
 * Scheduled switchovers (issue 16 item 2) with real controllers and a real ZooKeeper: scheduled
 * through the CLI (`switchover --at`), listed in `jenkins-ha status`, GET /status and the notes
 * until it runs; run by the leader when its own clock reaches the time, although the standby's
 * clock runs an hour ahead (libfaketime, wall clock only) and sees it overdue from the start;
 * history entries scheduled / executed / completed. Then bad times (400 naming "at") and a cancel
 * (DELETE /switchover, history cancelled). One whose time comes while the cluster is paused stays
 * scheduled and listed, with a note that it waits for resume (the CLI's pause and resume say so too),
 * and runs at resume. Every test ends
 * with the journal check (haSuite).
 */
import { runCli } from '../helpers/cli-run';
import type { HaNode } from '../helpers/ha-node';
import { mono } from '../helpers/ha-node';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const TOKEN = 'sched-token';
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const suite = haSuite();

async function call(node: HaNode, method: string, p: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${node.opts.apiPort}${p}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function cliEnv(node: HaNode): Record<string, string> {
  return {
    JHA_ZK_CONNECT: suite.zk.connect,
    JHA_CLUSTER: node.opts.cluster,
    JHA_API_HOST: '127.0.0.1',
    JHA_API_PORT: String(node.opts.apiPort),
    JHA_API_TOKEN: TOKEN,
    JHA_LOG_FORMAT: 'json',
  };
}

/** Wait `ms` of real time while checking `ok` stays true (an absence cannot be awaited). */
async function holdsFor(ms: number, ok: () => Promise<boolean>, what: string): Promise<void> {
  const t0 = mono();
  while (mono() - t0 < ms) {
    if (!(await ok())) throw new Error(`${what} stopped holding after ${Math.round(mono() - t0)} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('runs at the time on the leader\'s clock, though the standby\'s clock is an hour ahead; listed until it runs', async () => {
  const a = suite.fx.start('a', { env: { JHA_API_TOKEN: TOKEN } });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: { JHA_API_TOKEN: TOKEN, LD_PRELOAD: LIBFAKETIME, FAKETIME: '+1h', DONT_FAKE_MONOTONIC: '1' } });
  await b.waitRole('standby');

  const atMs = Date.now() + 7000;
  const at = new Date(atMs).toISOString();
  // The node that takes the request checks the time on its own clock, and says what it says:
  // b, an hour ahead, finds it past; the leader takes it.
  const onB = await call(b, 'POST', '/switchover', { at });
  expect(onB.status).toBe(400);
  expect((onB.body.error as { message: string }).message).toMatch(/is in the past \(this node's clock says /);
  const scheduled = await runCli(['switchover', '--at', at, '--candidate', 'b', '--reason', 'kernel update'], cliEnv(a));
  expect(scheduled.stderr).toBe('');
  expect(scheduled.code).toBe(0);
  expect(scheduled.stdout).toMatch(new RegExp(`scheduled for ${at.replace(/\./g, '\\.')}`));
  const tSched = mono();

  // Listed on both nodes (b's clock is an hour past the time: it must not act on it) and by the CLI.
  for (const n of [a, b]) {
    const s = await waitFor(async () => ((await n.status())?.switchover?.state === 'scheduled' ? n.status() : null), { timeoutMs: 5000, what: `${n.id} to list it` });
    expect(s?.switchover).toMatchObject({ state: 'scheduled', at, candidate: 'b', by: expect.stringMatching(/^api@/) as unknown });
    expect(s?.notes?.some((x) => x.startsWith(`switchover scheduled for ${at}`))).toBe(true);
  }
  const st = await runCli(['status'], cliEnv(a));
  expect(st.stdout).toMatch(/switchover: \S+ scheduled at \S+: the leader then -> b/);

  // Nothing before the time (a leads with its Jenkins), while b has seen it "overdue" all along.
  const left = atMs - Date.now() - 700;
  await holdsFor(left, async () => (await a.status())?.node.role === 'leader' && (await a.status())?.switchover?.state === 'scheduled', 'a leading with the switchover scheduled');
  expect(b.events('switchover.executed')).toHaveLength(0);

  const ran = await a.waitForEvent('switchover.executed', { timeoutMs: 10000 });
  // Not before the time (a's wall clock is the test's), and not long after it.
  expect(Date.parse(String(ran.timestamp))).toBeGreaterThanOrEqual(atMs - 50);
  expect(ran.seenAt - tSched).toBeLessThan(atMs - (Date.now() - (mono() - tSched)) + 2000);
  await b.waitForEvent('switchover.completed', { timeoutMs: 20000 });
  await b.waitLeaderReady();
  expect([a, b].flatMap((n) => n.events('switchover.abandoned').concat(n.events('switchover.dropped')))).toHaveLength(0);

  const hist = await call(a, 'GET', '/history?limit=50');
  const events = (hist.body as unknown as { event: string }[]).map((e) => e.event);
  expect(events).toEqual(expect.arrayContaining(['switchover.scheduled', 'switchover.executed', 'switchover.completed']));
  expect(events.indexOf('switchover.scheduled')).toBeLessThan(events.indexOf('switchover.executed'));
});

test('bad times are a 400 naming "at"; DELETE /switchover cancels a scheduled one (history cancelled)', async () => {
  const a = suite.fx.start('a', { env: { JHA_API_TOKEN: TOKEN } });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: { JHA_API_TOKEN: TOKEN } });
  await b.waitRole('standby');

  for (const [at, why] of [
    ['tonight', /not an ISO 8601 time with a zone/],
    [new Date(Date.now() - 60_000).toISOString(), /is in the past/],
    [new Date(Date.now() + 8 * 24 * 3600_000).toISOString(), /more than 7 days ahead/],
  ] as const) {
    const r = await call(a, 'POST', '/switchover', { at });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^field "at": /) as unknown } });
    expect((r.body.error as { message: string }).message).toMatch(why);
  }
  expect((await call(a, 'POST', '/switchover', { at: 5 })).status).toBe(400);
  expect((await a.status())?.switchover).toBeNull();

  const at = new Date(Date.now() + 3600_000).toISOString();
  const r = await call(b, 'POST', '/switchover', { at });
  expect(r.status).toBe(202);
  expect(r.body).toMatchObject({ state: 'scheduled', at });
  const again = await call(a, 'POST', '/switchover', {});
  expect(again.status).toBe(409);
  expect((again.body.error as { message: string }).message).toMatch(/is scheduled for .*cancel it first/);

  const cancelled = await runCli(['switchover', '--cancel'], cliEnv(a));
  expect(cancelled.code).toBe(0);
  expect(cancelled.stdout).toMatch(/cancelled \(it was scheduled for /);
  await waitFor(async () => (await b.status())?.switchover === null, { timeoutMs: 5000, what: 'b to see it gone' });
  const hist = await runCli(['history', '--json'], cliEnv(a));
  expect(hist.stdout).toMatch(/switchover\.cancelled/);
  expect(hist.stdout).toMatch(/scheduled for /);
  expect((await call(a, 'DELETE', '/switchover')).status).toBe(404);
  expect((await a.status())?.node.role).toBe('leader');
});

test('due while paused: stays scheduled and listed with a note that it waits for resume (never dropped), then runs at resume', async () => {
  const a = suite.fx.start('a', { env: { JHA_API_TOKEN: TOKEN } });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: { JHA_API_TOKEN: TOKEN } });
  await b.waitRole('standby');

  const at = new Date(Date.now() + 4000).toISOString();
  expect((await call(a, 'POST', '/switchover', { at, candidate: 'b' })).status).toBe(202);
  // The CLI's pause says what the pause means for the scheduled switchover.
  const paused = await runCli(['pause', '--reason', 'storage maintenance'], cliEnv(a));
  expect(paused.code).toBe(0);
  expect(paused.stdout).toMatch(
    new RegExp(`\\nnote: switchover \\S+ to b is scheduled for ${at.replace(/\./g, '\\.')}: while paused it waits, and if its time comes it runs at resume \\(jenkins-ha switchover --cancel drops it\\)\\n$`),
  );

  // Its time comes while paused: the leader keeps it and says so; nothing runs, nothing is dropped.
  const waiting = await waitFor(
    async () => {
      const s = await a.status();
      return s && s.decision.endsWith(`is due and waits for resume`) ? s : null;
    },
    { timeoutMs: 15000, what: "a's decision to say the due switchover waits for resume" },
  );
  expect(waiting.decision).toMatch(/^leader with .*; Jenkins running; paused \(no restarts\); scheduled switchover \S+ \(at /);
  for (const n of [a, b]) {
    const s = await waitFor(async () => {
      const st = await n.status();
      return st?.notes?.some((x) => x.includes('waits for the cluster to resume')) ? st : null;
    }, { timeoutMs: 5000, what: `${n.id}'s note that it waits for resume` });
    expect(s.switchover).toMatchObject({ state: 'scheduled', at, candidate: 'b' });
    expect(s.notes).toContain(
      `switchover scheduled for ${at} (due, by ${String(s.switchover?.by)}): waits for the cluster to resume (paused); at resume the leader hands over to b at once (jenkins-ha switchover --cancel drops it)`,
    );
  }
  const st = await runCli(['status'], cliEnv(a));
  expect(st.stdout).toMatch(/switchover: \S+ scheduled at \S+: the leader then -> b .*\[due: waits for resume\]/);
  expect([a, b].flatMap((n) => n.events('switchover.dropped').concat(n.events('switchover.executed')))).toHaveLength(0);
  expect((await a.status())?.node.role).toBe('leader');

  // Resume: the leader runs it at once, late, and b takes over.
  const resumed = await runCli(['resume'], cliEnv(a));
  expect(resumed.code).toBe(0);
  expect(resumed.stdout).toMatch(/\nnote: switchover \S+ to b is scheduled for \S+: it is due, so the leader hands over now \(jenkins-ha switchover --cancel drops it\)\n$/);
  const ran = await a.waitForEvent('switchover.executed', { timeoutMs: 10000 });
  expect(String(ran.message)).toMatch(/ is due( \(\S+ late\))?; starting it: a -> b$/);
  await b.waitForEvent('switchover.completed', { timeoutMs: 20000 });
  await b.waitLeaderReady();
  const events = ((await call(b, 'GET', '/history?limit=50')).body as unknown as { event: string }[]).map((e) => e.event);
  expect(events).not.toContain('switchover.dropped');
  const order = ['switchover.scheduled', 'paused', 'resumed', 'switchover.executed', 'switchover.completed'].map((e) => events.indexOf(e));
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((x, y) => x - y)).toEqual(order);
});
