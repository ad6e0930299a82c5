/**
 * A short-lived, read-mostly ZooKeeper client for the operator commands, and what they read:
 * the members (election znodes and their JSON), the pause and switchover records, the fencing
 * epoch (the epoch znode's version plus the offset in its data) and the cluster-wide history.
 */
import type { Config } from '../config/load';
import { ClusterView, decodePause, decodeSwitchover, pauseInForce, type PauseRecord } from '../controller/cluster-view';
import type { HistoryEntry, SwitchoverIntent } from '../controller/status';
import { ZkCoordinator } from '../coordination/zookeeper';
import { zkTlsSetup } from '../coordination/zk-tls';
import { zkSaslSetup } from '../coordination/zk-sasl-report';
import { decodeMember, type MemberInfo } from '../election/member';
import { PERSISTENT_OWNER, sortContenders } from '../election/sequence';
import { errorMessage, hasCode } from '../errors';
import { epochOf } from '../fencing/epoch';
import type { Logger } from '../logging/logger';
import { CliError } from './errors';

/** How long a command waits for a ZooKeeper session before it gives up (exit 1). */
export const ZK_CONNECT_TIMEOUT_MS = 5000;

const silent: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silent,
};

export interface ZkMember {
  id: string;
  znode: string;
  sequence: number;
  /** `leader` = lowest sequence (the election's leader); the rest stand in line. */
  electionRole: 'leader' | 'standby';
  /** Null when the znode's data could not be parsed. */
  info: MemberInfo | null;
}

export interface ZkClusterState {
  cluster: string;
  basePath: string;
  members: ZkMember[];
  /** The fencing epoch (`<base>/epoch`: version + offset); null before the first term. */
  epoch: number | null;
  pause: (PauseRecord & { inForce: boolean }) | null;
  switchover: SwitchoverIntent | null;
}

export class ClusterReader {
  readonly basePath: string;

  private constructor(
    private readonly coord: ZkCoordinator,
    private readonly cfg: Config,
  ) {
    this.basePath = `${cfg.zk.root}/${cfg.cluster.name}`;
  }

  /** Connects within `timeoutMs`, else throws CliError (exit 1) naming the connect string. */
  static async open(cfg: Config, timeoutMs = ZK_CONNECT_TIMEOUT_MS): Promise<ClusterReader> {
    const zkTls = zkTlsSetup(cfg.zk.tls); // the node's zk.tls keys; a bad file is a ConfigError (exit 2)
    const zkSasl = zkSaslSetup(cfg.zk.sasl); // and its zk.sasl keys
    const coord = new ZkCoordinator({
      connect: cfg.zk.connect,
      sessionTimeoutMs: cfg.zk.sessionTimeoutMs,
      spinDelayMs: cfg.zk.spinDelayMs,
      timings: () => ({ pingIntervalMs: 1000, requestTimeoutMs: 2000 }),
      logger: silent,
      access: { auth: cfg.zk.auth, worldRead: cfg.zk.worldRead, x509: zkTls.x509, sasl: cfg.zk.sasl.user },
      sharedPath: cfg.zk.root,
      ...(zkTls.tls ? { tls: zkTls.tls } : {}),
      ...(zkSasl ? { sasl: zkSasl } : {}),
    });
    const connected = new Promise<boolean | string>((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      coord.on('state', (s) => {
        if (s === 'connected') {
          clearTimeout(t);
          resolve(true);
        }
      });
      coord.on('authFailed', (message) => {
        clearTimeout(t);
        resolve(message);
      });
    });
    coord.start();
    const outcome = await connected;
    if (typeof outcome === 'string') {
      await coord.close();
      throw new CliError(`${outcome} (ZooKeeper at ${cfg.zk.connect})`);
    }
    if (!outcome) {
      const tlsFailure = coord.tlsStatus();
      const saslFailure = coord.saslStatus();
      await coord.close();
      if (tlsFailure) throw new CliError(`${tlsFailure.message} (zk.tls; ZooKeeper at ${cfg.zk.connect})`);
      if (saslFailure) throw new CliError(`${saslFailure.message} (ZooKeeper at ${cfg.zk.connect})`);
      throw new CliError(
        `cannot reach ZooKeeper at ${cfg.zk.connect} within ${Math.round(timeoutMs / 1000)} s (zk.connect; is it running and reachable from here?)`,
      );
    }
    // A server that requires SASL accepts the session and closes it at the first request: make
    // one now, so that refusal reads as such rather than as a failed read later.
    try {
      await coord.exists('/');
    } catch (err) {
      const saslFailure = coord.saslStatus();
      await coord.close();
      throw new CliError(saslFailure ? `${saslFailure.message} (ZooKeeper at ${cfg.zk.connect})` : `ZooKeeper at ${cfg.zk.connect} did not answer: ${errorMessage(err)}`);
    }
    return new ClusterReader(coord, cfg);
  }

  async close(): Promise<void> {
    await this.coord.close();
  }

  async read(): Promise<ZkClusterState> {
    const base = this.basePath;
    const [members, epoch, pause, switchover] = await Promise.all([
      this.readMembers(),
      this.readEpoch(`${base}/epoch`),
      this.readRecord(`${base}/paused`, decodePause),
      this.readRecord(`${base}/switchover`, decodeSwitchover),
    ]);
    return {
      cluster: this.cfg.cluster.name,
      basePath: base,
      members,
      epoch,
      pause: pause ? { ...pause, inForce: pauseInForce(pause, Date.now()) } : null,
      switchover,
    };
  }

  private async readEpoch(path: string): Promise<number | null> {
    try {
      const { data, stat } = await this.coord.getData(path);
      return epochOf(stat.version, data);
    } catch (err) {
      if (hasCode(err, 'ZK_NO_NODE')) return null;
      throw err;
    }
  }

  async readMembers(): Promise<ZkMember[]> {
    const path = `${this.basePath}/election`;
    let names: string[];
    try {
      names = await this.coord.getChildren(path);
    } catch (err) {
      if (hasCode(err, 'ZK_NO_NODE')) return [];
      throw err;
    }
    const { contenders } = sortContenders(names);
    const out = await Promise.all(
      contenders.map(async (c, i): Promise<ZkMember | null> => {
        try {
          const { data, stat } = await this.coord.getData(`${path}/${c.name}`);
          if (stat.ephemeralOwner === PERSISTENT_OWNER) return null; // no session owns it: not a member
          const info = decodeMember(data);
          return { id: info?.id ?? c.nodeId, znode: c.name, sequence: c.seq, electionRole: i === 0 ? 'leader' : 'standby', info };
        } catch (err) {
          if (hasCode(err, 'ZK_NO_NODE')) return null; // left meanwhile
          throw err;
        }
      }),
    );
    const present = out.filter((m): m is ZkMember => m !== null);
    return present.map((m, i) => ({ ...m, electionRole: i === 0 ? 'leader' : 'standby' }));
  }

  async switchoverExists(): Promise<SwitchoverIntent | null> {
    return this.readRecord(`${this.basePath}/switchover`, decodeSwitchover);
  }

  /** The newest `limit` history entries, oldest first. */
  async history(limit: number): Promise<HistoryEntry[]> {
    return new ClusterView(this.coord, this.basePath, silent).readHistory(limit);
  }

  private async readRecord<T>(path: string, decode: (b: Buffer) => T | null): Promise<T | null> {
    try {
      return decode((await this.coord.getData(path)).data);
    } catch (err) {
      if (hasCode(err, 'ZK_NO_NODE')) return null;
      throw new CliError(`reading ${path} from ZooKeeper failed: ${errorMessage(err)}`);
    }
  }
}
