/**
 * Runs real jenkins-ha controller processes (dist/cli.js) for integration tests, with the Jenkins
 * stand-in as their Jenkins, and reads their JSON logs.
 */
import * as https from 'node:https';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { StatusSnapshot } from '../../src/controller/status';
import { freePortBlock } from './zk';
import { waitFor } from './wait';

export const REPO = path.resolve(__dirname, '..', '..');
export const CLI = path.join(REPO, 'dist', 'cli.js');
export const STANDIN = path.join(REPO, 'test', 'fixtures', 'jenkins-standin.js');

export interface LogLine {
  event?: string;
  message: string;
  level: string;
  /** Monotonic ms (CLOCK_MONOTONIC) when the test read the line. */
  seenAt: number;
  [k: string]: unknown;
}

export function mono(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

export interface HaNodeOptions {
  id: string;
  zk: string;
  home: string;
  jenkinsPort: number;
  apiPort: number;
  cluster: string;
  sessionTimeoutMs?: number;
  /** Extra env for the controller (and so for its Jenkins stand-in). */
  env?: Record<string, string>;
  /** The API serves HTTPS with a certificate this CA (PEM) signs; status() trusts it. */
  tlsCa?: string;
  /** Bearer token status() sends (api.readToken when the node requires one). */
  readToken?: string;
  /**
   * Fixture.start only: give the node its own JENKINS_HOME (Fixture.nodeHome(id)) instead of the
   * shared one; the stand-in keeps its journal and presence socket in the shared home, so the
   * never-two-alive check still sees every Jenkins of the test.
   */
  ownHome?: boolean;
}

export class HaNode {
  readonly logs: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcess;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly startedAt = mono();

  constructor(readonly opts: HaNodeOptions) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      JHA_NODE_ID: opts.id,
      JHA_CLUSTER: opts.cluster,
      JHA_ZK_CONNECT: opts.zk,
      JHA_ZK_SESSION_TIMEOUT_MS: String(opts.sessionTimeoutMs ?? 2000),
      // The test servers' tickTime (scripts/zk.sh), and a liveness interval of T/8 rather than the
      // default T/6: at T = 2000 the fencing rule's follower refresh lag, max(T/6, tickTime/2) =
      // 333 ms, would not fit beside the default deadline, kill grace and margin (2033 > 2000).
      JHA_ZK_TICK_TIME_MS: '200',
      JHA_ZK_PING_INTERVAL_MS: String(Math.floor((opts.sessionTimeoutMs ?? 2000) / 8)),
      JENKINS_HOME: opts.home,
      JHA_JENKINS_COMMAND: `exec node ${STANDIN} --httpPort=${opts.jenkinsPort}`,
      JHA_JENKINS_URL: `http://127.0.0.1:${opts.jenkinsPort}`,
      JHA_JENKINS_STOP_TIMEOUT_MS: '5000',
      JHA_JENKINS_STARTUP_GRACE_MS: '20000',
      JHA_JENKINS_HEALTH_INTERVAL_MS: '300',
      JHA_JENKINS_HEALTH_TIMEOUT_MS: '1000',
      JHA_JENKINS_RESTART_BACKOFF_MS: '100',
      JHA_JENKINS_RESTART_BACKOFF_MAX_MS: '400',
      JHA_API_HOST: '127.0.0.1',
      JHA_API_PORT: String(opts.apiPort),
      JHA_LOG_FORMAT: 'json',
      JHA_LOG_LEVEL: 'debug',
      ...opts.env,
    };
    this.proc = spawn(process.execPath, [CLI, 'run'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const read = (stream: NodeJS.ReadableStream | null): void => {
      if (!stream) return;
      createInterface({ input: stream }).on('line', (line) => {
        let parsed: LogLine;
        try {
          parsed = { message: "", level: "info", ...(JSON.parse(line) as Record<string, unknown>), seenAt: mono() };
        } catch {
          parsed = { message: line, level: 'raw', seenAt: mono() };
        }
        this.logs.push(parsed);
      });
    };
    read(this.proc.stdout);
    read(this.proc.stderr);
    this.exited = new Promise((resolve) =>
      this.proc.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get id(): string {
    return this.opts.id;
  }

  isRunning(): boolean {
    return this.exitInfo === null;
  }

  async status(): Promise<StatusSnapshot | null> {
    try {
      if (this.opts.tlsCa !== undefined) return (await this.httpsGet('/status')) as StatusSnapshot | null;
      const headers: Record<string, string> = this.opts.readToken ? { authorization: `Bearer ${this.opts.readToken}` } : {};
      const res = await fetch(`http://127.0.0.1:${this.opts.apiPort}/status`, { headers, signal: AbortSignal.timeout(1000) });
      if (res.status !== 200) return null;
      return (await res.json()) as StatusSnapshot;
    } catch {
      return null;
    }
  }

  /** GET over HTTPS trusting opts.tlsCa; the parsed body on 200, else null. */
  private httpsGet(p: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = this.opts.readToken ? { authorization: `Bearer ${this.opts.readToken}` } : {};
      const req = https.get({ host: '127.0.0.1', port: this.opts.apiPort, path: p, ca: this.opts.tlsCa, headers, timeout: 1000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(res.statusCode === 200 ? JSON.parse(text) : null));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
    });
  }

  events(name: string): LogLine[] {
    return this.logs.filter((l) => l.event === name);
  }

  async waitForEvent(name: string, opts: { timeoutMs?: number; after?: number; where?: (l: LogLine) => boolean } = {}): Promise<LogLine> {
    return waitFor(
      () => this.logs.find((l) => l.event === name && l.seenAt >= (opts.after ?? 0) && (opts.where ? opts.where(l) : true)),
      { timeoutMs: opts.timeoutMs ?? 15000, what: `event ${name} on node ${this.id}` },
    );
  }

  /** Wait until this node reports leader with a ready Jenkins. */
  async waitLeaderReady(timeoutMs = 20000): Promise<StatusSnapshot> {
    return waitFor(
      async () => {
        const s = await this.status();
        return s && s.node.role === 'leader' && s.jenkins.ready ? s : null;
      },
      { timeoutMs, what: `node ${this.id} to lead with a ready Jenkins` },
    );
  }

  async waitRole(role: string, timeoutMs = 20000): Promise<StatusSnapshot> {
    return waitFor(
      async () => {
        const s = await this.status();
        return s && s.node.role === role ? s : null;
      },
      { timeoutMs, what: `node ${this.id} to be ${role}` },
    );
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exitInfo === null) this.proc.kill(sig);
  }

  async stop(timeoutMs = 15000): Promise<void> {
    if (this.exitInfo !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(t);
  }

  dumpLogs(): string {
    return this.logs
      .map((l) => `${this.id} ${typeof l.timestamp === 'string' ? l.timestamp : ''} ${l.event ?? ''} ${l.message}`)
      .join('\n');
  }
}

export interface Fixture {
  home: string;
  jenkinsPort: number;
  apiBase: number;
  nodes: HaNode[];
  start(id: string, extra?: Partial<HaNodeOptions>): HaNode;
  /** The JENKINS_HOME of a node started with { ownHome: true } (created on first use). */
  nodeHome(id: string): string;
  cleanup(): Promise<void>;
}

/** A shared JENKINS_HOME, one Jenkins port (as behind a VIP), and API ports for up to 5 nodes. */
export async function makeFixture(zk: string): Promise<Fixture> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-home-'));
  const cluster = `it-${path.basename(home).slice('jha-home-'.length)}`;
  const base = await freePortBlock(8);
  const nodes: HaNode[] = [];
  const f: Fixture = {
    home,
    jenkinsPort: base,
    apiBase: base + 1,
    nodes,
    start(id, extra = {}) {
      const own = extra.ownHome === true ? { home: f.nodeHome(id), env: { STANDIN_STATE_DIR: home, ...extra.env } } : {};
      const n = new HaNode({ id, zk, home, cluster, jenkinsPort: base, apiPort: base + 1 + nodes.length, ...extra, ...own });
      nodes.push(n);
      return n;
    },
    async cleanup() {
      await Promise.all(nodes.map((n) => n.stop()));
      // Keep the logs of every test for post-mortems (CI prints the failing ones).
      const dir = path.join(os.tmpdir(), 'jha-test-logs');
      fs.mkdirSync(dir, { recursive: true });
      const name = (expect.getState().currentTestName ?? 'test').replace(/[^A-Za-z0-9]+/g, '-').slice(0, 120);
      fs.writeFileSync(path.join(dir, `${name}-${Date.now()}.log`), logsOf(nodes));
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(`${home}.nodes`, { recursive: true, force: true });
    },
    nodeHome(id) {
      const h = path.join(`${home}.nodes`, id);
      fs.mkdirSync(h, { recursive: true });
      return h;
    },
  };
  return f;
}

/** Print the nodes' logs when a test failed (jest shows console output of failing tests). */
export function logsOf(nodes: HaNode[]): string {
  return nodes.map((n) => n.dumpLogs()).join('\n');
}
