/**
 * The HTTP API against fake controllers: every endpoint, every error path, the tokens, and every
 * response checked against docs/openapi.yaml (the last test proves every documented response of
 * the document was produced here at least once).
 */
import { createHandler, ROUTES, type ApiHandler } from '../../../src/api/app';
import { tokensEqual } from '../../../src/api/auth';
import { STATUS_PAGE_CSS, STATUS_PAGE_HTML, STATUS_PAGE_JS } from '../../../src/api/page';
import { statusNotes } from '../../../src/controller/notes';
import { CommandError } from '../../../src/errors';
import { OpenApiChecker } from '../../helpers/openapi';
import { call, FakeCommands, FakeSource, INTENT, snapshot } from './fakes';

const TOKEN = 'write-s3cret-token';
const READ = 'read-t0ken';
const checker = new OpenApiChecker();

let source: FakeSource;
let commands: FakeCommands;
let app: ApiHandler;

function make(opts: { token?: string; readToken?: string; bodyLimit?: string } = {}): ApiHandler {
  return createHandler(source, commands, {
    token: opts.token ?? TOKEN,
    readToken: opts.readToken ?? '',
    stallAfterMs: 2000,
    defaultMetrics: false,
    ...(opts.bodyLimit !== undefined ? { bodyLimit: opts.bodyLimit } : {}),
  });
}

beforeEach(() => {
  source = new FakeSource();
  commands = new FakeCommands();
  app = make();
});

describe('reads', () => {
  test('GET /status returns the snapshot as is', async () => {
    const res = await call(app, checker, 'GET', '/status');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(snapshot());
    expect(res.get('cache-control')).toBe('no-store');
  });

  test('GET /status with a switchover, a pause and a last exit conforms to the document', async () => {
    const s = snapshot();
    source.snap = snapshot({
      switchover: { ...INTENT, state: 'running', candidate: 'b' },
      paused: { paused: true, by: 'api@127.0.0.1', reason: 'upgrade', since: s.node.since, until: null },
      jenkins: { ...s.jenkins, state: 'stopping', ready: false, lastExit: { code: null, signal: 'SIGTERM', expected: true, reason: 'switchover' } },
      leader: null,
    });
    const res = await call(app, checker, 'GET', '/status');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(source.snap);
  });

  test('GET /status with the host watchdog held back (gate watchdog) conforms to the document', async () => {
    const s = snapshot();
    source.snap = snapshot({
      jenkins: { ...s.jenkins, state: 'stopped', ready: false, pid: null },
      launchBlocked: { gate: 'watchdog', reason: 'the host watchdog is required but cannot be armed', since: s.node.since },
      watchdog: { mode: 'required', device: '/dev/watchdog', armed: false, timeoutMs: null, errors: 0, lastError: 'fencing.watchdog.device: /dev/watchdog cannot be used' },
    });
    const res = await call(app, checker, 'GET', '/status');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(source.snap);
    source.snap = snapshot({ watchdog: { mode: 'off', device: '/dev/watchdog', armed: false, timeoutMs: null, errors: 0, lastError: null } });
    expect((await call(app, checker, 'GET', '/status')).status).toBe(200);
  });

  test('GET /status with its notes (the sentences of controller/notes.ts) conforms to the document', async () => {
    const s = snapshot();
    source.snap = snapshot({
      jenkins: { ...s.jenkins, state: 'stopped', ready: false, pid: null },
      launchBlocked: { gate: 'fencing', reason: 'leader with epoch 7; fencing the previous active (x) before starting Jenkins', since: s.node.since },
    });
    source.snap = { ...source.snap, notes: statusNotes(source.snap) };
    const res = await call(app, checker, 'GET', '/status');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ notes: ['held (fencing, 1s): fencing the previous active (x) before starting Jenkins'] });
  });

  test('GET /members returns the members of the snapshot', async () => {
    const res = await call(app, checker, 'GET', '/members');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(snapshot().members);
  });

  test('GET / serves the status page as HTML', async () => {
    const res = await call(app, checker, 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toBe(STATUS_PAGE_HTML);
  });

  test('the page loads its stylesheet and script relative to itself, served as CSS and JavaScript, not cached', async () => {
    expect(STATUS_PAGE_HTML).toContain('<link rel="stylesheet" href="page.css">');
    expect(STATUS_PAGE_HTML).toContain('<script src="page.js"></script>');
    expect(STATUS_PAGE_HTML).not.toMatch(/<style|<script>/);
    const css = await call(app, checker, 'GET', '/page.css');
    expect(css.status).toBe(200);
    expect(css.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.get('cache-control')).toBe('no-store');
    expect(css.text).toBe(STATUS_PAGE_CSS);
    const js = await call(app, checker, 'GET', '/page.js');
    expect(js.status).toBe(200);
    expect(js.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.get('cache-control')).toBe('no-store');
    expect(js.text).toBe(STATUS_PAGE_JS);
    expect(STATUS_PAGE_JS).toContain("fetch(");
  });

  test('with api.readToken the page assets need it too', async () => {
    app = make({ readToken: READ });
    for (const p of ['/page.css', '/page.js']) {
      expect({ p, s: (await call(app, checker, 'GET', p)).status }).toEqual({ p, s: 401 });
      expect({ p, s: (await call(app, checker, 'GET', p, { token: READ })).status }).toEqual({ p, s: 200 });
    }
  });

  test('GET /history defaults to 50 and passes a valid limit', async () => {
    const res = await call(app, checker, 'GET', '/history');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(commands.historyEntries);
    const one = await call(app, checker, 'GET', '/history?limit=1');
    expect(one.body).toEqual(commands.historyEntries.slice(-1));
    await call(app, checker, 'GET', '/history?limit=200');
    expect(commands.calls.map((c) => c.arg)).toEqual([50, 1, 200]);
  });

  test.each(['0', '201', '-1', 'abc', '1.5', '', '10&limit=20', '1e2'])('GET /history?limit=%s is a 400', async (limit) => {
    const res = await call(app, checker, 'GET', `/history?limit=${limit}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
    expect(res.body.error.message).toMatch(/limit/);
    expect(commands.calls).toHaveLength(0);
  });

  test('GET /history answers 503 when the node cannot read ZooKeeper', async () => {
    commands.fail.history = new CommandError('UNAVAILABLE', 'this node is not connected to ZooKeeper (connecting); try another node');
    const res = await call(app, checker, 'GET', '/history');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: 'UNAVAILABLE', message: 'this node is not connected to ZooKeeper (connecting); try another node' } });
  });
});

describe('role probes', () => {
  const cases: [string, Parameters<FakeSource['set']>[0], Record<string, number>][] = [
    ['leader, ready', { role: 'leader', ready: true }, { '/leader': 200, '/standby': 503, '/readiness': 200 }],
    ['leader, not ready', { role: 'leader', ready: false }, { '/leader': 503, '/standby': 503, '/readiness': 503 }],
    ['standby', { role: 'standby', ready: false }, { '/leader': 503, '/standby': 200, '/readiness': 200 }],
    ['neutral', { role: 'neutral', ready: true }, { '/leader': 503, '/standby': 503, '/readiness': 503 }],
    ['joining', { role: 'joining', ready: false }, { '/leader': 503, '/standby': 503, '/readiness': 503 }],
    ['stopped', { role: 'stopped', ready: false }, { '/leader': 503, '/standby': 503, '/readiness': 503 }],
  ];
  test.each(cases)('%s', async (_name, state, expected) => {
    source.set(state);
    for (const [p, code] of Object.entries(expected)) {
      const get = await call(app, checker, 'GET', p);
      expect({ p, status: get.status }).toEqual({ p, status: code });
      expect(get.body.ok).toBe(code === 200);
      expect(get.body.role).toBe(state.role);
      const head = await call(app, checker, 'HEAD', p);
      expect({ p, head: head.status }).toEqual({ p, head: code });
      expect(head.text ?? '').toBe('');
    }
  });

  test('/health is 200 while the loop cycles and 503 once it stalled', async () => {
    source.lag = 2000;
    const ok = await call(app, checker, 'GET', '/health');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true, role: 'leader', loopLagMs: 2000 });
    source.lag = 2001;
    const stalled = await call(app, checker, 'GET', '/health');
    expect(stalled.status).toBe(503);
    expect(stalled.body).toEqual({ ok: false, role: 'leader', loopLagMs: 2001 });
    expect((await call(app, checker, 'HEAD', '/health')).status).toBe(503);
  });

  test('probes need no token even when readToken is set', async () => {
    app = make({ readToken: READ });
    for (const p of ['/leader', '/standby', '/health', '/readiness']) {
      const res = await call(app, checker, 'GET', p);
      expect({ p, auth: res.status === 401 }).toEqual({ p, auth: false });
    }
  });
});

describe('commands', () => {
  test('POST /switchover records an intent and answers 202 with it', async () => {
    const res = await call(app, checker, 'POST', '/switchover', { token: TOKEN, body: { candidate: 'b', reason: 'kernel upgrade' } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ ...INTENT, candidate: 'b', reason: 'kernel upgrade' });
    expect(commands.calls).toEqual([{ name: 'requestSwitchover', arg: { candidate: 'b', reason: 'kernel upgrade', by: expect.stringMatching(/^api@(::ffff:)?127\.0\.0\.1$|^api@::1$/) } }]);
  });

  test('POST /switchover without a body means the next in line', async () => {
    const res = await call(app, checker, 'POST', '/switchover', { token: TOKEN });
    expect(res.status).toBe(202);
    expect(res.body.candidate).toBeNull();
    expect(commands.calls[0]?.arg).toEqual({ by: expect.stringMatching(/^api@/) });
  });

  test('POST /switchover maps CommandError CONFLICT to 409 and UNAVAILABLE to 503', async () => {
    commands.fail.requestSwitchover = new CommandError('CONFLICT', 'there is no standby to take over');
    const c = await call(app, checker, 'POST', '/switchover', { token: TOKEN, body: {} });
    expect(c.status).toBe(409);
    expect(c.body).toEqual({ error: { code: 'CONFLICT', message: 'there is no standby to take over' } });
    commands.fail.requestSwitchover = new CommandError('UNAVAILABLE', 'not connected');
    const u = await call(app, checker, 'POST', '/switchover', { token: TOKEN, body: {} });
    expect(u.status).toBe(503);
    expect(u.body.error.code).toBe('UNAVAILABLE');
  });

  test('DELETE /switchover returns the cancelled intent, 404 when there is none, 409 once started', async () => {
    const ok = await call(app, checker, 'DELETE', '/switchover', { token: TOKEN });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual(INTENT);
    commands.fail.cancelSwitchover = new CommandError('NOT_FOUND', 'there is no switchover to cancel');
    const none = await call(app, checker, 'DELETE', '/switchover', { token: TOKEN });
    expect(none.status).toBe(404);
    expect(none.body).toEqual({ error: { code: 'NOT_FOUND', message: 'there is no switchover to cancel' } });
    commands.fail.cancelSwitchover = new CommandError('CONFLICT', 'it has started');
    expect((await call(app, checker, 'DELETE', '/switchover', { token: TOKEN })).status).toBe(409);
    commands.fail.cancelSwitchover = new CommandError('UNAVAILABLE', 'not connected');
    expect((await call(app, checker, 'DELETE', '/switchover', { token: TOKEN })).status).toBe(503);
  });

  test('POST /failover records the confirmation with who and why and answers 202 with it', async () => {
    const res = await call(app, checker, 'POST', '/failover', { token: TOKEN, body: { confirmFenced: 'a', reason: 'host a powered off in the DC' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ node: 'a', reason: 'host a powered off in the DC', by: expect.stringMatching(/^api@/) });
    expect(commands.calls).toEqual([{ name: 'confirmFenced', arg: { node: 'a', reason: 'host a powered off in the DC', by: expect.stringMatching(/^api@/) } }]);
  });

  test('POST /failover maps a live session or nothing waiting (CONFLICT) to 409 and UNAVAILABLE to 503', async () => {
    commands.fail.confirmFenced = new CommandError('CONFLICT', 'a still holds a live ZooKeeper session (election znode x): it is not gone');
    const c = await call(app, checker, 'POST', '/failover', { token: TOKEN, body: { confirmFenced: 'a', reason: 'off' } });
    expect(c.status).toBe(409);
    expect(c.body.error).toEqual({ code: 'CONFLICT', message: 'a still holds a live ZooKeeper session (election znode x): it is not gone' });
    commands.fail.confirmFenced = new CommandError('UNAVAILABLE', 'not connected');
    expect((await call(app, checker, 'POST', '/failover', { token: TOKEN, body: { confirmFenced: 'a', reason: 'off' } })).status).toBe(503);
  });

  test('POST /failover without the node or the reason is a 400 that names the field', async () => {
    const noNode = await call(app, checker, 'POST', '/failover', { token: TOKEN, body: { reason: 'off' } });
    expect(noNode.status).toBe(400);
    expect(noNode.body.error.message).toMatch(/"confirmFenced" is required/);
    const noReason = await call(app, checker, 'POST', '/failover', { token: TOKEN, body: { confirmFenced: 'a', reason: '  ' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toMatch(/"reason" is required/);
    expect(commands.calls).toHaveLength(0);
  });

  test('POST /pause with a ttl and a reason, and without a body', async () => {
    const res = await call(app, checker, 'POST', '/pause', { token: TOKEN, body: { ttlSeconds: 3600, reason: 'upgrade' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ paused: true, reason: 'upgrade', until: '2024-01-01T01:00:00.000Z' });
    const forever = await call(app, checker, 'POST', '/pause', { token: TOKEN });
    expect(forever.status).toBe(200);
    expect(forever.body.until).toBeNull();
    expect(commands.calls.map((c) => c.arg)).toEqual([
      { ttlSeconds: 3600, reason: 'upgrade', by: expect.stringMatching(/^api@/) },
      { by: expect.stringMatching(/^api@/) },
    ]);
  });

  test('POST /pause accepts 7 days and refuses more', async () => {
    expect((await call(app, checker, 'POST', '/pause', { token: TOKEN, body: { ttlSeconds: 604800 } })).status).toBe(200);
    const res = await call(app, checker, 'POST', '/pause', { token: TOKEN, body: { ttlSeconds: 604801 } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/ttlSeconds/);
  });

  test('POST /resume answers the pause state; 503 when not connected', async () => {
    const res = await call(app, checker, 'POST', '/resume', { token: TOKEN });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ paused: false });
    commands.fail.resume = new CommandError('UNAVAILABLE', 'not connected');
    expect((await call(app, checker, 'POST', '/resume', { token: TOKEN })).status).toBe(503);
    commands.fail.pause = new CommandError('UNAVAILABLE', 'not connected');
    expect((await call(app, checker, 'POST', '/pause', { token: TOKEN })).status).toBe(503);
  });
});

describe('bad bodies', () => {
  const bad: [string, string, unknown][] = [
    ['/switchover', 'unknown field', { candidate: 'b', force: true }],
    ['/switchover', 'candidate not a string', { candidate: 7 }],
    ['/switchover', 'reason not a string', { reason: ['x'] }],
    ['/switchover', 'an array', ['b']],
    ['/pause', 'ttlSeconds a string', { ttlSeconds: '60' }],
    ['/pause', 'ttlSeconds zero', { ttlSeconds: 0 }],
    ['/pause', 'ttlSeconds negative', { ttlSeconds: -5 }],
    ['/pause', 'ttlSeconds fractional', { ttlSeconds: 1.5 }],
    ['/pause', 'unknown field', { ttl: 60 }],
    ['/resume', 'any field', { now: true }],
    ['/failover', 'unknown field', { confirmFenced: 'a', reason: 'off', force: true }],
    ['/failover', 'confirmFenced not a string', { confirmFenced: 1, reason: 'off' }],
  ];
  test.each(bad)('POST %s with %s is a 400 and runs nothing', async (p, _what, body) => {
    const res = await call(app, checker, 'POST', p, { token: TOKEN, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST');
    expect(commands.calls).toHaveLength(0);
  });

  test('DELETE /switchover with a field is a 400', async () => {
    const res = await call(app, checker, 'DELETE', '/switchover', { token: TOKEN, body: { id: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/unknown field "id"/);
    expect(commands.calls).toHaveLength(0);
  });

  test('malformed JSON is a 400 without a stack trace', async () => {
    const res = await call(app, checker, 'POST', '/switchover', { token: TOKEN, raw: { data: '{"candidate": "b",', type: 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'BAD_REQUEST', message: 'malformed JSON body' } });
    expect(res.text).not.toMatch(/at |node_modules|SyntaxError/);
  });

  test('a JSON scalar body is a 400 (strict JSON: objects only)', async () => {
    const res = await call(app, checker, 'POST', '/pause', { token: TOKEN, raw: { data: '"60"', type: 'application/json' } });
    expect(res.status).toBe(400);
    expect(commands.calls).toHaveLength(0);
  });

  test('a body over the limit is a 413', async () => {
    app = make({ bodyLimit: '1kb' });
    const res = await call(app, checker, 'POST', '/switchover', { token: TOKEN, body: { reason: 'x'.repeat(2000) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(commands.calls).toHaveLength(0);
    const def = make();
    const big = await call(def, checker, 'POST', '/switchover', { token: TOKEN, body: { reason: 'x'.repeat(17 * 1024) } });
    expect(big.status).toBe(413);
    const failover = await call(app, checker, 'POST', '/failover', { token: TOKEN, body: { confirmFenced: 'a', reason: 'x'.repeat(2000) } });
    expect(failover.status).toBe(413);
  });

  test('a body that is not JSON is a 415', async () => {
    const res = await call(app, checker, 'POST', '/switchover', { token: TOKEN, raw: { data: 'candidate=b', type: 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
    const failover = await call(app, checker, 'POST', '/failover', { token: TOKEN, raw: { data: 'confirmFenced=a', type: 'application/x-www-form-urlencoded' } });
    expect(failover.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(commands.calls).toHaveLength(0);
  });

  test('a too long reason is a 400', async () => {
    const res = await call(app, checker, 'POST', '/switchover', { token: TOKEN, body: { reason: 'x'.repeat(1001) } });
    expect(res.status).toBe(400);
  });
});

describe('write token', () => {
  const writes: ['POST' | 'DELETE', string][] = [
    ['POST', '/switchover'],
    ['DELETE', '/switchover'],
    ['POST', '/pause'],
    ['POST', '/resume'],
    ['POST', '/failover'],
  ];

  test.each(writes)('%s %s without a token is a 401 with WWW-Authenticate', async (m, p) => {
    const res = await call(app, checker, m, p);
    expect(res.status).toBe(401);
    expect(res.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
    expect(commands.calls).toHaveLength(0);
  });

  test.each(writes)('%s %s with a wrong token is a 401', async (m, p) => {
    for (const bad of ['nope', `${TOKEN}x`, TOKEN.slice(0, -1), READ]) {
      const res = await call(app, checker, m, p, { token: bad });
      expect({ bad, status: res.status }).toEqual({ bad, status: 401 });
    }
    const basic = await call(app, checker, m, p, { raw: { data: '{}', type: 'application/json' } });
    expect(basic.status).toBe(401);
    expect(commands.calls).toHaveLength(0);
  });

  test.each(writes)('%s %s is a 403 when no api.token is configured', async (m, p) => {
    app = make({ token: '' });
    for (const t of [undefined, '', 'anything']) {
      const res = await call(app, checker, m, p, t === undefined ? {} : { token: t });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
      expect(res.body.error.message).toMatch(/^no api\.token configured: /);
    }
    expect(commands.calls).toHaveLength(0);
  });

  test('a bad token is refused before the body is read', async () => {
    const res = await call(app, checker, 'POST', '/switchover', { token: 'nope', raw: { data: '{oops', type: 'application/json' } });
    expect(res.status).toBe(401);
  });

  test('tokensEqual compares whole tokens of any length', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('', 'a')).toBe(false);
  });
});

describe('read token', () => {
  const guarded = ['/', '/status', '/members', '/history', '/metrics'];

  test('reads are open without api.readToken', async () => {
    for (const p of guarded) expect({ p, s: (await call(app, checker, 'GET', p)).status }).toEqual({ p, s: 200 });
  });

  test('with api.readToken the reads need it (or api.token)', async () => {
    app = make({ readToken: READ });
    for (const p of guarded) {
      const none = await call(app, checker, 'GET', p);
      expect({ p, s: none.status }).toEqual({ p, s: 401 });
      expect(none.get('www-authenticate')).toMatch(/^Bearer/);
      expect({ p, s: (await call(app, checker, 'GET', p, { token: 'wrong' })).status }).toEqual({ p, s: 401 });
      expect({ p, s: (await call(app, checker, 'GET', p, { token: READ })).status }).toEqual({ p, s: 200 });
      expect({ p, s: (await call(app, checker, 'GET', p, { token: TOKEN })).status }).toEqual({ p, s: 200 });
    }
  });

  test('the read token does not allow writes', async () => {
    app = make({ readToken: READ });
    expect((await call(app, checker, 'POST', '/pause', { token: READ })).status).toBe(401);
  });
});

describe('unknown paths and methods', () => {
  test('an unknown path is a JSON 404', async () => {
    const res = await call(app, checker, 'GET', '/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /nope' } });
    expect((await call(app, checker, 'POST', '/status/x', { token: TOKEN })).status).toBe(404);
  });

  test.each(Object.entries(ROUTES))('a wrong method on %s is a 405 with Allow', async (p, methods) => {
    const wrong = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).filter((m) => !methods.includes(m));
    for (const m of wrong) {
      const res = await call(app, checker, m, p, { token: TOKEN });
      expect({ m, status: res.status }).toEqual({ m, status: 405 });
      expect(res.get('allow')).toBe(methods.join(', '));
      expect(res.body.error.code).toBe('METHOD_NOT_ALLOWED');
    }
  });

  test('an unexpected error is a 500 without details', async () => {
    const seen: unknown[] = [];
    app = createHandler(source, commands, { token: TOKEN, readToken: '', stallAfterMs: 2000, defaultMetrics: false, onInternalError: (e) => seen.push(e) });
    commands.fail.history = new Error('secret internals at /opt/x.js:1');
    const res = await call(app, checker, 'GET', '/history').catch((e: Error) => e);
    // 500 is not a documented response: the checker refuses it, which is the point of the doc.
    expect(res).toBeInstanceOf(Error);
    expect(String(res)).toMatch(/status 500 is not documented/);
    expect(seen).toHaveLength(1);
    const raw = await (await import('supertest')).default(app).get('/history');
    expect(raw.status).toBe(500);
    expect(raw.body).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
});

describe('docs/openapi.yaml', () => {
  test('is OpenAPI 3.0 and documents every route with its methods', () => {
    expect(checker.doc.openapi).toMatch(/^3\.0\./);
    const documented = Object.entries(checker.doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    const routes = Object.entries(ROUTES).flatMap(([p, ms]) => ms.filter((m) => m !== 'HEAD').map((m) => `${m} ${p}`));
    expect(documented.sort()).toEqual(routes.sort());
    expect(checker.compileAll()).toBeGreaterThan(30);
  });

  test('a response that does not match its schema is caught', () => {
    expect(() => checker.check('GET', '/leader', 200, 'application/json', { ok: true, role: 'boss', jenkinsReady: true })).toThrow(/does not match/);
    expect(() => checker.check('GET', '/status', 200, 'application/json', { ...snapshot(), extra: 1 })).toThrow(/does not match/);
    // /status's switchover is SwitchoverIntent or null (oneOf): the intent's own rules still hold there.
    expect(() => checker.check('GET', '/status', 200, 'application/json', snapshot({ switchover: null }))).not.toThrow();
    expect(() => checker.check('GET', '/status', 200, 'application/json', snapshot({ switchover: { ...INTENT, state: 'drained' as 'draining' } }))).toThrow(/does not match/);
    expect(() => checker.check('GET', '/status', 200, 'application/json', { ...snapshot(), switchover: { ...INTENT, extra: 1 } })).toThrow(/does not match/);
    expect(() => checker.check('POST', '/pause', 409, 'application/json', { error: { code: 'CONFLICT', message: 'x' } })).toThrow(/not documented/);
    expect(() => checker.check('GET', '/status', 200, 'text/html', '')).toThrow(/content type/);
  });

  // Runs last: every response the document promises was produced by a test above.
  test('every documented response was produced by a real request above', () => {
    const missing: string[] = [];
    for (const [p, ops] of Object.entries(checker.doc.paths)) {
      for (const [m, op] of Object.entries(ops)) {
        for (const status of Object.keys(op.responses)) {
          if (!checker.seen.has(`${m.toUpperCase()} ${p} ${status}`)) missing.push(`${m.toUpperCase()} ${p} ${status}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
