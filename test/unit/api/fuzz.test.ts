/**
 * Malformed REST requests, fuzz-style with a fixed seed (FUZZ_SEED overrides it): bad JSON,
 * wrong or missing content types, oversized bodies, wrong field types, unknown fields, bad
 * methods, odd paths and headers. Every answer is below 500, and every 4xx is JSON
 * `{ error: { code, message } }` without a stack trace; HEAD answers carry no body.
 */
import request from 'supertest';
import { createHandler, ROUTES } from '../../../src/api/app';
import { fuzzSeed, randomValue, Rng } from '../../helpers/fuzz';
import { FakeCommands, FakeSource } from './fakes';

const TOKEN = 'fuzz-token';
const CASES = 300;
const METHODS = ['GET', 'HEAD', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'] as const;
const TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'garbage/', ''];

function body(r: Rng): string | Buffer | undefined {
  switch (r.int(0, 8)) {
    case 0:
      return undefined;
    case 1:
      return JSON.stringify(Object.fromEntries([[r.pick(['reason', 'candidate', 'ttlSeconds', 'force', '__proto__', 'constructor']), randomValue(r)]]));
    case 2:
      return JSON.stringify({ reason: r.text(r.int(0, 30)), ttlSeconds: r.pick([1, 0, -1, 1.5, 1e308, '60', null, 604800, 604801]) });
    case 3:
      return `{"reason": "${r.text(10)}"`; // truncated
    case 4:
      return r.bytes(r.int(1, 200));
    case 5:
      return JSON.stringify({ reason: 'x'.repeat(r.pick([1000, 1001, 20000])) }); // around the field cap and over the body limit
    case 6:
      return JSON.stringify(randomValue(r));
    case 7:
      return '[]'.repeat(r.int(1, 3));
    default:
      return '{"a":'.repeat(2000) + '1' + '}'.repeat(2000);
  }
}

test(`${CASES} malformed requests get a 4xx JSON error or a valid answer, never a 500 (seed ${fuzzSeed()})`, async () => {
  const r = new Rng(fuzzSeed());
  const commands = new FakeCommands();
  const internal: unknown[] = [];
  const app = createHandler(new FakeSource(), commands, {
    token: TOKEN,
    readToken: '',
    stallAfterMs: 2000,
    defaultMetrics: false,
    bodyLimit: '16kb',
    onInternalError: (err) => internal.push(err),
  });
  const problems: string[] = [];
  const statuses = new Map<number, number>();
  for (let i = 0; i < CASES; i++) {
    const method = r.pick(METHODS);
    const path = r.pick([...Object.keys(ROUTES), ...Object.keys(ROUTES), '/nope', '/status/../switchover', '/%zz', '/switchover?x=%', `/history?limit=${r.pick(['0', '201', '-1', 'abc', '1e2', '5', '%00'])}`, '//', '/pause/']);
    let t = request(app)[method.toLowerCase() as 'get'](path);
    const auth = r.pick([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`, 'Bearer', 'Bearer wrong', 'Basic Zm9vOmJhcg==', `bearer ${TOKEN}`, '']);
    if (auth !== '') t = t.set('Authorization', auth);
    const type = r.pick(TYPES);
    if (type !== '') t = t.set('Content-Type', type);
    const b = body(r);
    if (b !== undefined && method !== 'GET' && method !== 'HEAD') t = t.send(b);
    const res = await t;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const where = `case ${i}: ${method} ${path} (${type || 'no type'}, seed ${r.seed}) -> ${res.status}`;
    // The role probes answer 503 by design (not this role); everything else stays below 500.
    const probe = ['/leader', '/standby', '/readiness', '/health'].includes(path) && (method === 'GET' || method === 'HEAD');
    if (probe ? ![200, 503].includes(res.status) : res.status >= 500) problems.push(`${where}: ${String(res.text).slice(0, 200)}`);
    if (res.status >= 400 && method !== 'HEAD' && !probe) {
      const e = (res.body as { error?: { code?: unknown; message?: unknown } }).error;
      if (!res.get('content-type')?.startsWith('application/json') || typeof e?.code !== 'string' || typeof e.message !== 'string') {
        problems.push(`${where}: not a JSON error: ${String(res.text).slice(0, 200)}`);
      }
    }
    if (/\n\s+at |node_modules|\.ts:\d+/.test(String(res.text))) problems.push(`${where}: stack trace`);
    if (method === 'HEAD' && res.text !== undefined && res.text !== '') problems.push(`${where}: HEAD with a body`);
  }
  expect(problems).toEqual([]);
  expect(internal).toEqual([]);
  // The fuzz reached the validators, the auth checks, the routing and the commands.
  for (const s of [200, 400, 401, 404, 405, 415]) expect({ s, seen: (statuses.get(s) ?? 0) > 0 }).toEqual({ s, seen: true });
  expect(commands.calls.length).toBeGreaterThan(0);
});
