/** Small fakes of the controller's StatusSource and ControlCommands for API tests. */
import request from 'supertest';
import type { ApiHandler } from '../../../src/api/app';
import { CommandError } from '../../../src/errors';
import type {
  ControlCommands,
  ControllerEvent,
  FenceConfirmation,
  HistoryEntry,
  PauseState,
  StatusSnapshot,
  StatusSource,
  SwitchoverIntent,
} from '../../../src/controller/status';
import type { OpenApiChecker } from '../../helpers/openapi';

export function snapshot(over: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    cluster: 'ci',
    node: { id: 'a', host: 'host-a', role: 'leader', since: '2024-01-01T00:00:00.000Z', sinceMs: 1200, apiUrl: 'http://host-a:8090' },
    leader: { id: 'a', apiUrl: 'http://host-a:8090' },
    members: [
      { id: 'a', znode: 'n_g1_a_0000000001', sequence: 1, host: 'host-a', apiUrl: 'http://host-a:8090', jenkinsUrl: 'http://host-a:8080', version: '0.1.0', priority: 0, noFailover: false, role: 'leader' },
      { id: 'b', znode: 'n_g2_b_0000000002', sequence: 2, host: 'host-b', apiUrl: 'http://host-b:8090', jenkinsUrl: 'http://host-b:8080', version: '0.1.0', priority: 0, noFailover: false, role: 'standby' },
    ],
    election: { role: 'leader', znode: 'n_g1_a_0000000001', sequence: 1, predecessor: null },
    jenkins: {
      state: 'running',
      pid: 4242,
      ready: true,
      url: 'http://host-a:8080',
      epoch: 7,
      version: '2.440',
      restarts: 0,
      lastProbeError: null,
      serviceProof: null,
      lastExit: null,
    },
    zookeeper: { state: 'connected', sessionId: '0x1', sessionTimeoutMs: 10000, msSinceHeard: 12, fenceAfterMs: 5000 },
    epoch: 7,
    paused: { paused: false },
    switchover: null,
    leaderChanges: 1,
    decision: 'leader with epoch 7; Jenkins running',
    launchBlocked: null,
    loopLagMs: 3,
    history: [{ at: '2024-01-01T00:00:00.000Z', event: 'elected', node: 'a', reason: 'epoch 7', epoch: 7 }],
    ...over,
  };
}

export class FakeSource implements StatusSource {
  snap: StatusSnapshot = snapshot();
  lag = 5;
  private listeners: ((e: ControllerEvent) => void)[] = [];
  status(): StatusSnapshot {
    return this.snap;
  }
  msSinceLastCycle(): number {
    return this.lag;
  }
  onEvent(listener: (e: ControllerEvent) => void): void {
    this.listeners.push(listener);
  }
  emit(e: ControllerEvent): void {
    for (const l of this.listeners) l(e);
  }
  set(over: { role?: StatusSnapshot['node']['role']; ready?: boolean }): void {
    this.snap = snapshot({
      node: { ...this.snap.node, role: over.role ?? this.snap.node.role },
      jenkins: { ...this.snap.jenkins, ready: over.ready ?? this.snap.jenkins.ready },
    });
  }
}

export const INTENT: SwitchoverIntent = {
  id: '6b1f0c4e-0000-4000-8000-000000000001',
  candidate: null,
  from: 'a',
  reason: '',
  requestedAt: '2024-01-01T00:00:00.000Z',
  state: 'pending',
};

/** Records every call; each command's outcome can be replaced per test (e.g. to throw). */
export class FakeCommands implements ControlCommands {
  calls: { name: string; arg: unknown }[] = [];
  fail: Partial<Record<'requestSwitchover' | 'cancelSwitchover' | 'pause' | 'resume' | 'history' | 'confirmFenced', CommandError | Error>> = {};
  historyEntries: HistoryEntry[] = [
    { at: '2024-01-01T00:00:00.000Z', event: 'elected', node: 'a', reason: 'epoch 7', epoch: 7 },
    { at: '2024-01-01T00:00:01.000Z', event: 'jenkins.ready', node: 'a', reason: 'ready', epoch: 7, durationMs: 900 },
  ];

  private record(name: keyof FakeCommands['fail'], arg: unknown): void {
    this.calls.push({ name, arg });
    const f = this.fail[name];
    if (f) throw f;
  }
  async requestSwitchover(req: { candidate?: string; reason?: string; by: string }): Promise<SwitchoverIntent> {
    this.record('requestSwitchover', req);
    return { ...INTENT, candidate: req.candidate ?? null, reason: req.reason ?? '' };
  }
  async cancelSwitchover(by: string): Promise<SwitchoverIntent> {
    this.record('cancelSwitchover', by);
    return INTENT;
  }
  async pause(req: { ttlSeconds?: number; reason?: string; by: string }): Promise<PauseState> {
    this.record('pause', req);
    const since = '2024-01-01T00:00:00.000Z';
    return {
      paused: true,
      by: req.by,
      reason: req.reason ?? '',
      since,
      until: req.ttlSeconds === undefined ? null : new Date(Date.parse(since) + req.ttlSeconds * 1000).toISOString(),
    };
  }
  async resume(by: string): Promise<PauseState> {
    this.record('resume', by);
    return { paused: false };
  }
  async history(limit: number): Promise<HistoryEntry[]> {
    this.record('history', limit);
    return this.historyEntries.slice(-limit);
  }
  async confirmFenced(req: { node: string; reason: string; by: string }): Promise<FenceConfirmation> {
    this.record('confirmFenced', req);
    return { node: req.node, nodeEpoch: 6, waiter: 'b', by: req.by, reason: req.reason, at: '2024-01-01T00:00:00.000Z' };
  }
}

export interface CallOptions {
  token?: string;
  /** JSON body (serialized by supertest). */
  body?: unknown;
  /** Raw body with its content type. */
  raw?: { data: string; type: string };
}

/** Performs one request and checks the response against docs/openapi.yaml. */
export async function call(app: ApiHandler, checker: OpenApiChecker, method: 'GET' | 'HEAD' | 'POST' | 'DELETE' | 'PUT' | 'PATCH', url: string, o: CallOptions = {}): Promise<request.Response> {
  const agent = request(app);
  let t: request.Test;
  switch (method) {
    case 'GET':
      t = agent.get(url);
      break;
    case 'HEAD':
      t = agent.head(url);
      break;
    case 'POST':
      t = agent.post(url);
      break;
    case 'DELETE':
      t = agent.delete(url);
      break;
    case 'PUT':
      t = agent.put(url);
      break;
    case 'PATCH':
      t = agent.patch(url);
      break;
  }
  if (o.token !== undefined) t = t.set('Authorization', `Bearer ${o.token}`);
  if (o.raw) t = t.set('Content-Type', o.raw.type).send(o.raw.data);
  else if (o.body !== undefined) t = t.send(o.body as object);
  const res = await t;
  const p = new URL(url, 'http://x').pathname;
  checker.check(method, p, res.status, res.get('content-type'), res.body);
  return res;
}
