/**
 * Clocks an hour apart between the nodes (issue 13 item 4), with real controllers, one of them
 * under Debian's libfaketime (wall clock only: CLOCK_MONOTONIC is left alone, so the journal's
 * times stay comparable). The pause and the switchover intent carry wall times of the node that
 * wrote them; the leader must not expire a pause or abandon a switchover early because its clock
 * and the writer's disagree. Every test ends with the journal check (haSuite).
 */
import type { HaNode } from '../helpers/ha-node';
import { mono } from '../helpers/ha-node';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const TOKEN = 'skew-token';
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const suite = haSuite();

function skewed(offset: string): Record<string, string> {
  return { LD_PRELOAD: LIBFAKETIME, FAKETIME: offset, DONT_FAKE_MONOTONIC: '1' };
}

async function post(node: HaNode, p: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${node.opts.apiPort}${p}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Wait `ms` of real time while checking `ok` stays true (an absence cannot be awaited). */
async function holdsFor(ms: number, ok: () => Promise<boolean>, what: string): Promise<void> {
  const t0 = mono();
  while (mono() - t0 < ms) {
    if (!(await ok())) throw new Error(`${what} stopped holding after ${Math.round(mono() - t0)} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test.each([
  ['the leader runs an hour ahead of the node that takes the requests', { a: '+1h', b: '+0' }],
  ['the node that takes the requests runs an hour behind the leader', { a: '+0', b: '-1h' }],
])('%s: the pause and the switchover are not expired early', async (_why, offsets) => {
  const env = (o: string) => ({ JHA_API_TOKEN: TOKEN, ...(o === '+0' ? {} : skewed(o)) });
  const a = suite.fx.start('a', { env: env(offsets.a) });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { env: env(offsets.b) });
  await b.waitRole('standby');
  // The skew is real: the two nodes' wall clocks are an hour apart.
  const [sa, sb] = [await a.status(), await b.status()];
  expect(Math.abs(Date.parse(sa!.node.since) - Date.parse(sb!.node.since))).toBeGreaterThan(3_000_000);

  // A 60 s pause through b: it must hold on the leader (a) for well over the cycles it takes to
  // expire one (the leader looks every 250 ms).
  expect((await post(b, '/pause', { ttlSeconds: 60, reason: 'skew test' })).status).toBe(200);
  await waitFor(async () => (await a.status())?.paused.paused === true, { timeoutMs: 5000, what: 'a to see the pause' });
  await holdsFor(3000, async () => (await a.status())?.paused.paused === true && (await b.status())?.paused.paused === true, 'the pause');
  expect(a.events('decision').filter((l) => /pause expired/.test(l.message))).toHaveLength(0);
  expect((await post(b, '/resume', {})).status).toBe(200);
  await waitFor(async () => (await a.status())?.paused.paused === false, { timeoutMs: 5000, what: 'a to see the resume' });

  // A switchover requested through b (its requestedAt from b's clock): done, not abandoned.
  expect((await post(b, '/switchover', { reason: 'skew test' })).status).toBe(202);
  await b.waitForEvent('switchover.completed', { timeoutMs: 20000 });
  expect([a, b].flatMap((n) => n.events('switchover.abandoned'))).toHaveLength(0);
  await b.waitLeaderReady();
  expect(await a.waitRole('standby')).toBeTruthy();
});
