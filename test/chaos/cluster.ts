/**
 * The chaos test bed: a 3-node ZooKeeper ensemble on loopback, three real controllers
 * (dist/cli.js run, through test/helpers/ha-node.ts) with the Jenkins stand-in on one shared
 * JENKINS_HOME and one Jenkins port (as behind a VIP), and nine TCP proxies owned by the suite:
 * controller X reaches ZooKeeper server N only through proxy[X][N], so the suite can blackhole one
 * controller's links to every server (bytes dropped both ways, nothing closed) while the others
 * keep theirs.
 *
 * With `sync: 'git'` each node has its own JENKINS_HOME (sync.mode git, a local bare repository,
 * the stand-in's writes file in sync.include); the stand-ins keep one journal and one presence
 * socket in a shared state directory, so "never two alive" is still judged across all nodes.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { StatusSnapshot } from '../../src/controller/status';
import { execFileSync } from 'node:child_process';
import { DEFAULT_INCLUDE } from '../../src/util/sync-globs';
import { CLI, HaNode, mono } from '../helpers/ha-node';
import { journalPath } from '../helpers/journal';
import { Clocks } from './clocks';
import { JournalTail, standinOfHome } from './journal-tail';
import { SharedStorage, type SharedStorageOptions } from './storage';

export { JournalTail, standinOfHome } from './journal-tail';
import { readStat } from '../helpers/procs';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { waitFor } from '../helpers/wait';
import { freePortBlock, runZkScript, startZk, zkMode, type ZkCluster } from '../helpers/zk';

export const NODE_IDS = ['a', 'b', 'c'] as const;
export type NodeId = (typeof NODE_IDS)[number];

export interface ChaosClusterOptions {
  sessionTimeoutMs: number;
  /** STANDIN_WRITES_MS: period of the stand-in's numbered, fsynced records. */
  writesMs: number;
  logLevel: string;
  sync: 'shared' | 'git';
  /** git mode: the leader's sync.intervalMs. */
  syncIntervalMs: number;
  /** ZooKeeper over TLS (zk.sh --tls, its PKI's client certificate for every controller). */
  tls?: boolean;
  /**
   * shared mode: the home behind one bindfs mount per node (storage.ts), on a tmpfs of this many
   * MiB when tmpfsMiB is set; null/absent: one plain directory.
   */
  storage?: SharedStorageOptions | null;
  /** Every controller under libfaketime with a clock of its own (clocks.ts). */
  clocks?: boolean;
}

/** The stand-in's writes file (checks.ts WRITES_FILE); replicated in git mode. */
const WRITES_FILE = 'standin-writes.jsonl';
export const SYNC_BRANCH = 'main';

export interface Settled {
  leader: { id: NodeId; epoch: string; jenkinsPid: number; shimPid: number };
  at: number;
}

export class ChaosCluster {
  /** Every controller process ever started, in order (for the logs). */
  readonly processes: HaNode[] = [];
  readonly token = randomBytes(16).toString('hex');
  readonly journal: JournalTail;
  private readonly current = new Map<NodeId, HaNode>();

  /** Where the stand-ins keep their journal and presence socket (the shared home in shared mode). */
  readonly stateDir: string;
  /** git mode: the bare repository every leader pushes to. */
  readonly repo: string | null;

  private constructor(
    readonly zk: ZkCluster,
    readonly proxies: ReadonlyMap<NodeId, TcpProxy[]>,
    /** shared mode: THE JENKINS_HOME; git mode: the directory that holds the homes, state and repository. */
    readonly root: string,
    readonly jenkinsPort: number,
    private readonly apiBase: number,
    readonly clusterName: string,
    readonly opts: ChaosClusterOptions,
    /** shared mode with per-node mounts: the backing dir and the mounts. */
    readonly storage: SharedStorage | null,
  ) {
    if (storage !== null) {
      this.stateDir = path.join(root, 'state');
      this.repo = null;
      fs.mkdirSync(this.stateDir, { recursive: true });
    } else if (opts.sync === 'git') {
      this.stateDir = path.join(root, 'state');
      this.repo = path.join(root, 'config.git');
      for (const id of NODE_IDS) fs.mkdirSync(this.homeOf(id), { recursive: true });
      fs.mkdirSync(this.stateDir, { recursive: true });
      execFileSync('git', ['init', '--quiet', '--bare', `--initial-branch=${SYNC_BRANCH}`, this.repo]);
    } else {
      this.stateDir = root;
      this.repo = null;
    }
    this.journal = new JournalTail(journalPath(this.stateDir), standinOfHome(...NODE_IDS.map((id) => this.homeOf(id))));
    this.clocks = opts.clocks === true ? new Clocks(this.stateDir, NODE_IDS) : null;
  }

  /** Per-node wall clocks, when the run has clock faults. */
  readonly clocks: Clocks | null;

  /** The JENKINS_HOME of node `id` (the same for all in shared mode; its own mount with storage). */
  homeOf(id: NodeId): string {
    if (this.storage !== null) return this.storage.homeOf(id);
    return this.opts.sync === 'git' ? path.join(this.root, id) : this.root;
  }

  /** shared mode: where the home's files are read by the suite (the backing dir, never a mount). */
  get sharedData(): string {
    return this.storage !== null ? this.storage.backing : this.root;
  }

  static async start(opts: ChaosClusterOptions): Promise<ChaosCluster> {
    const zk = await startZk({ ensemble: true, tls: opts.tls === true });
    const proxies = new Map<NodeId, TcpProxy[]>();
    let storage: SharedStorage | null = null;
    try {
      for (const id of NODE_IDS) {
        proxies.set(id, await Promise.all(zk.ports.map((port) => startProxy({ host: '127.0.0.1', port }))));
      }
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-chaos-home-'));
      const base = await freePortBlock(4);
      const name = `chaos-${path.basename(home).slice('jha-chaos-home-'.length)}`;
      storage = opts.storage && opts.sync === 'shared' ? await SharedStorage.create(home, NODE_IDS, opts.storage) : null;
      return new ChaosCluster(zk, proxies, home, base, base + 1, name, opts, storage);
    } catch (e) {
      await storage?.close();
      for (const ps of proxies.values()) await Promise.all(ps.map((p) => p.close()));
      await zk.stop();
      throw e;
    }
  }

  /** Env of every controller (and so of its Jenkins stand-in); HaNode adds its own defaults under these. */
  controllerEnv(): Record<string, string> {
    return {
      JHA_API_TOKEN: this.token,
      JHA_LOG_LEVEL: this.opts.logLevel,
      // Everything the recovery bounds depend on is set here, explicitly.
      JHA_ZK_SESSION_TIMEOUT_MS: String(this.opts.sessionTimeoutMs),
      // Ride out a ZooKeeper leader failover: the leader fences after fenceAfter (T/2) of silence,
      // and the silence is the failover (client disconnections of up to ~0.95 s measured here)
      // plus up to one ping interval before it. T/6 (500 ms) would leave too little.
      JHA_ZK_PING_INTERVAL_MS: '100',
      // The servers' tickTime (scripts/zk.sh): the fencing rule keeps max(ping, tickTime / 2) of room.
      JHA_ZK_TICK_TIME_MS: '200',
      JHA_JENKINS_HEALTH_INTERVAL_MS: '300',
      JHA_JENKINS_HEALTH_TIMEOUT_MS: '1000',
      JHA_JENKINS_LIVENESS_FAILURES: '3',
      JHA_JENKINS_STOP_TIMEOUT_MS: '2000',
      JHA_JENKINS_RESTART_BACKOFF_MS: '100',
      JHA_JENKINS_RESTART_BACKOFF_MAX_MS: '400',
      // One fault at a time: crashes of separate faults must not add up to a resignation
      // (resigning after repeated crashes is covered by the unit tests of decide()).
      JHA_JENKINS_RESTART_WINDOW_MS: '3000',
      STANDIN_WRITES_MS: String(this.opts.writesMs),
      ...(this.storage !== null
        ? {
            // Off the mounts: the overlap check must read every life while a mount hangs.
            STANDIN_STATE_DIR: this.stateDir,
            // A node whose home hung yields and stays out this long (the default 60 s would
            // stretch every storage fault to a minute).
            JHA_ELECTION_RESIGN_COOLDOWN_MS: '2000',
            // disk-full: the home is a 64 MiB tmpfs; a quarter of it free is enough to be eligible.
            // A standby that a full disk made ineligible looks again every 2 s, not every 30 s.
            ...(this.opts.storage?.tmpfsMiB
              ? { JHA_ELIGIBILITY_MIN_FREE_DISK_MB: String(Math.floor(this.opts.storage.tmpfsMiB / 4)), JHA_ELIGIBILITY_INTERVAL_MS: '2000' }
              : {}),
          }
        : {}),
      ...(this.zk.pki !== null
        ? {
            JHA_ZK_TLS_ENABLED: 'true',
            JHA_ZK_TLS_CA_FILE: path.join(this.zk.pki, 'ca.pem'),
            JHA_ZK_TLS_CERT_FILE: path.join(this.zk.pki, 'client.pem'),
            JHA_ZK_TLS_KEY_FILE: path.join(this.zk.pki, 'client-key.pem'),
          }
        : {}),
      ...(this.opts.sync === 'git' && this.repo !== null
        ? {
            JHA_SYNC_MODE: 'git',
            JHA_SYNC_REPO: this.repo,
            JHA_SYNC_BRANCH: SYNC_BRANCH,
            JHA_SYNC_INTERVAL_MS: String(this.opts.syncIntervalMs),
            // The stand-in's numbered records are the configuration a takeover must restore.
            JHA_SYNC_INCLUDE: [...DEFAULT_INCLUDE, WRITES_FILE].join(','),
            STANDIN_STATE_DIR: this.stateDir,
          }
        : {}),
    };
  }

  zkConnectOf(id: NodeId): string {
    return (this.proxies.get(id) ?? []).map((p) => `127.0.0.1:${p.port}`).join(',');
  }

  apiPortOf(id: NodeId): number {
    return this.apiBase + NODE_IDS.indexOf(id);
  }

  node(id: NodeId): HaNode {
    const n = this.current.get(id);
    if (!n) throw new Error(`no controller ${id}`);
    return n;
  }

  /** Start controller `id` (again): same id, API port and proxies as before. */
  startNode(id: NodeId): HaNode {
    const n = new HaNode({
      id,
      zk: this.zkConnectOf(id),
      home: this.homeOf(id),
      cluster: this.clusterName,
      jenkinsPort: this.jenkinsPort,
      apiPort: this.apiPortOf(id),
      sessionTimeoutMs: this.opts.sessionTimeoutMs,
      env: { ...this.controllerEnv(), ...(this.clocks?.envOf(id) ?? {}) },
    });
    this.current.set(id, n);
    this.processes.push(n);
    return n;
  }

  /** The controllers' effective configuration, as `jenkins-ha config` prints it with their env. */
  effectiveConfig(): Promise<Record<string, unknown>> {
    const env = {
      ...process.env,
      JHA_NODE_ID: 'a',
      JHA_CLUSTER: this.clusterName,
      JHA_ZK_CONNECT: this.zkConnectOf('a'),
      JENKINS_HOME: this.homeOf('a'),
      JHA_JENKINS_URL: `http://127.0.0.1:${this.jenkinsPort}`,
      JHA_API_PORT: String(this.apiPortOf('a')),
      ...this.controllerEnv(),
    };
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [CLI, 'config'], { env, encoding: 'utf8', timeout: 30000 }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`jenkins-ha config failed: ${err.message}\n${stderr}`));
        try {
          resolve(JSON.parse(stdout) as Record<string, unknown>);
        } catch (e) {
          reject(new Error(`jenkins-ha config printed no JSON: ${(e as Error).message}`));
        }
      });
    });
  }

  async statuses(): Promise<Map<NodeId, StatusSnapshot | null>> {
    const all = await Promise.all(NODE_IDS.map(async (id) => [id, await this.current.get(id)?.status()] as const));
    return new Map(all.map(([id, s]) => [id, s ?? null]));
  }

  async zkModes(): Promise<string[]> {
    return Promise.all(this.zk.ports.map((p) => zkMode(p, this.zk.pki)));
  }

  /**
   * The cluster at rest, or why not: every controller runs and is connected, exactly one leads
   * with a ready Jenkins, the other two stand by, every ZooKeeper server serves, and exactly one
   * stand-in runs, with the leader's epoch.
   */
  async settledOrWhy(): Promise<Settled | string> {
    for (const id of NODE_IDS) {
      const n = this.current.get(id);
      if (!n?.isRunning()) return `controller ${id} is not running`;
      const st = readStat(n.pid);
      if (st?.state === 'T') return `controller ${id} is stopped`;
    }
    const modes = await this.zkModes();
    if (modes.some((m) => m !== 'leader' && m !== 'follower')) return `zookeeper modes ${modes.join(',')}`;
    const ss = await this.statuses();
    let leader: Settled['leader'] | null = null;
    for (const id of NODE_IDS) {
      const s = ss.get(id);
      if (!s) return `no status from ${id}`;
      if (s.zookeeper.state !== 'connected') return `${id} zookeeper ${s.zookeeper.state}`;
      if (s.node.role === 'leader') {
        if (leader) return `two leaders: ${leader.id} and ${id}`;
        if (!s.jenkins.ready || s.jenkins.pid === null || s.epoch === null) return `leader ${id} has no ready Jenkins`;
        leader = { id, epoch: String(s.epoch), jenkinsPid: -1, shimPid: s.jenkins.pid };
      } else if (s.node.role !== 'standby') return `${id} is ${s.node.role}`;
    }
    if (!leader) return 'no leader';
    const running = this.journal.running();
    if (running.length !== 1) return `${running.length} stand-ins running (${running.join(', ')})`;
    const pid = running[0] as number;
    const epoch = this.journal.epochOf(pid);
    if (epoch !== leader.epoch) return `the running stand-in ${pid} has epoch ${epoch ?? '-'}, the leader ${leader.id} epoch ${leader.epoch}`;
    leader.jenkinsPid = pid;
    return { leader, at: mono() };
  }

  async waitSettled(timeoutMs: number): Promise<Settled> {
    let why = '';
    try {
      return await waitFor(
        async () => {
          const s = await this.settledOrWhy();
          if (typeof s === 'string') {
            why = s;
            return null;
          }
          return s;
        },
        { timeoutMs, intervalMs: 100, what: 'the cluster to settle' },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message} (last: ${why})`);
    }
  }

  /** Put every piece back: thaw, heal, restart servers and controllers that are down. */
  async restore(): Promise<string[]> {
    const done: string[] = [...(this.storage?.restore() ?? [])];
    const clocks = this.clocks?.resetAll() ?? [];
    if (clocks.length > 0) done.push(`clock of ${clocks.join(', ')} back to +0`);
    for (const [id, ps] of this.proxies) {
      for (const p of ps) p.heal();
      void id;
    }
    for (const id of NODE_IDS) {
      const n = this.current.get(id);
      if (n && n.isRunning() && readStat(n.pid)?.state === 'T') {
        n.signal('SIGCONT');
        done.push(`SIGCONT controller ${id}`);
      }
    }
    const modes = await this.zkModes();
    const down = modes.map((m, i) => (m === 'down' ? i + 1 : 0)).filter((n) => n > 0);
    if (down.length > 0) {
      await this.startServers(down);
      done.push(`restarted zookeeper server(s) ${down.join(',')}`);
    }
    for (const id of NODE_IDS) {
      const n = this.current.get(id);
      if (!n || !n.isRunning()) {
        this.startNode(id);
        done.push(`restarted controller ${id}`);
      }
    }
    return done;
  }

  /** (Re)start ZooKeeper servers together (two of them are needed to form a quorum). */
  async startServers(servers: number[]): Promise<void> {
    const r = await runZkScript(['start', '--dir', this.zk.dir, '--server', servers.join(',')]);
    if (r.code !== 0) throw new Error(`zk.sh start --server ${servers.join(',')} exited with ${r.code}: ${r.stderr.trim()}`);
  }

  /** Stop everything; SIGKILL any stand-in still alive. Keeps the home(s) when `keepHome`. */
  async close(keepHome: boolean): Promise<void> {
    this.storage?.restore();
    for (const n of this.current.values()) {
      if (n.isRunning()) n.signal('SIGCONT');
    }
    await Promise.all([...this.current.values()].map((n) => n.stop(10000)));
    for (const pid of this.journal.running()) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const ps of this.proxies.values()) await Promise.all(ps.map((p) => p.close()));
    await this.zk.stop();
    await this.storage?.close();
    if (!keepHome) fs.rmSync(this.root, { recursive: true, force: true });
  }
}
