/**
 * src/api/fast.ts driven directly (no sockets), so several requests can be answered in one
 * event-loop turn, as a loaded server answers the requests one poll of the loop delivers: they
 * share one snapshot and one serialized body; the next turn builds afresh.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fastReads } from '../../../src/api/fast';
import { perTurn } from '../../../src/api/turn-cache';
import type { StatusSnapshot } from '../../../src/controller/status';
import { FakeSource, snapshot } from './fakes';

/** What a response was given: status, headers, body (undefined: none). */
interface Sent {
  status: number;
  headers: Record<string, string | number>;
  body: string | undefined;
}

function request(method: string, url: string, authorization?: string): IncomingMessage {
  return { method, url, headers: authorization ? { authorization } : {} } as unknown as IncomingMessage;
}

function response(): { res: ServerResponse; sent: Sent[] } {
  const sent: Sent[] = [];
  let head: Omit<Sent, 'body'> | null = null;
  const res = {
    writeHead(status: number, headers: Record<string, string | number>) {
      head = { status, headers };
      return res;
    },
    end(body?: string) {
      if (!head) throw new Error('end() before writeHead()');
      sent.push({ ...head, body });
      return res;
    },
  };
  return { res: res as unknown as ServerResponse, sent };
}

/** Counts the snapshots the controller is asked for. */
class CountingSource extends FakeSource {
  builds = 0;
  override status(): StatusSnapshot {
    this.builds++;
    return super.status();
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const OPTS = { readToken: '', token: 'w', stallAfterMs: 2000 };

describe('fastReads: one snapshot per event-loop turn', () => {
  test('ten GET /status in one turn build the snapshot once and answer the same bytes; the next turn builds again and sees a change', async () => {
    const source = new CountingSource();
    const fast = fastReads(source, OPTS);
    const { res, sent } = response();
    for (let i = 0; i < 10; i++) expect(fast(request('GET', '/status'), res)).toBe(true);
    expect(source.builds).toBe(1);
    expect(sent).toHaveLength(10);
    expect(new Set(sent.map((s) => s.body)).size).toBe(1);
    expect(JSON.parse(sent[0]!.body ?? '')).toEqual(snapshot());

    await nextTurn();
    source.set({ role: 'standby', ready: false });
    fast(request('GET', '/status'), res);
    expect(source.builds).toBe(2);
    expect((JSON.parse(sent[10]!.body ?? '') as StatusSnapshot).node.role).toBe('standby');
  });

  test('the probes, /status and /members of one turn share the snapshot; /health reads the loop lag per request', () => {
    const source = new CountingSource();
    const fast = fastReads(source, OPTS);
    const { res, sent } = response();
    for (const p of ['/leader', '/readiness', '/standby', '/health', '/status', '/members', '/status?x=1']) fast(request('GET', p), res);
    expect(source.builds).toBe(1);
    expect(sent.map((s) => s.status)).toEqual([200, 200, 503, 200, 200, 200, 200]);
    source.lag = 5000;
    fast(request('GET', '/health'), res);
    expect(sent[7]!.status).toBe(503);
    expect(JSON.parse(sent[5]!.body ?? '')).toEqual(snapshot().members);
  });

  test('headers as before: content type, the body length in bytes (HEAD too, without a body), no-store', () => {
    const source = new CountingSource();
    source.snap = snapshot({ decision: 'leader with epoch 7; Jenkins running – “quoted” ✓' });
    const fast = fastReads(source, OPTS);
    const { res, sent } = response();
    fast(request('GET', '/status'), res);
    fast(request('HEAD', '/status'), res);
    const bytes = Buffer.byteLength(JSON.stringify(source.snap));
    expect(bytes).toBeGreaterThan(JSON.stringify(source.snap).length);
    for (const s of sent) {
      expect(s.status).toBe(200);
      expect(s.headers).toEqual({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': bytes, 'Cache-Control': 'no-store' });
    }
    expect(sent[0]!.body).toBe(JSON.stringify(source.snap));
    expect(sent[1]!.body).toBeUndefined();
  });

  test('a request without the read token is passed on (to express) and builds nothing', () => {
    const source = new CountingSource();
    const fast = fastReads(source, { ...OPTS, readToken: 'r' });
    const { res, sent } = response();
    expect(fast(request('GET', '/status'), res)).toBe(false);
    expect(fast(request('GET', '/status', 'Bearer nope'), res)).toBe(false);
    expect(source.builds).toBe(0);
    expect(fast(request('GET', '/status', 'Bearer r'), res)).toBe(true);
    expect(sent).toHaveLength(1);
  });
});

describe('perTurn', () => {
  test('builds once per turn; a build that throws caches nothing', async () => {
    let n = 0;
    let fail = true;
    const v = perTurn(() => {
      n++;
      if (fail) throw new Error('boom');
      return n;
    });
    expect(() => v()).toThrow('boom');
    fail = false;
    expect([v(), v(), v()]).toEqual([2, 2, 2]);
    await nextTurn();
    expect([v(), v()]).toEqual([3, 3]);
  });
});
