/**
 * The narrow coordination contract the other parts talk to (./zookeeper.ts implements it).
 */
export type ConnState = 'connecting' | 'connected' | 'disconnected' | 'expired' | 'closed';

export type CreateMode = 'persistent' | 'persistent_sequential' | 'ephemeral' | 'ephemeral_sequential';

export interface NodeStat {
  version: number;
  /** Hex session id of the owner of an ephemeral znode; '0000000000000000' for persistent ones. */
  ephemeralOwner: string;
  numChildren: number;
  dataLength: number;
}

export interface WatchEvent {
  type: 'created' | 'deleted' | 'dataChanged' | 'childrenChanged';
  path: string;
}

export type Watcher = (event: WatchEvent) => void;

export interface SessionInfo {
  /** Increments with every new session (client); callbacks of older generations are dropped. */
  generation: number;
  /** Hex session id. */
  sessionId: string;
  /** Timeout negotiated with the server (may differ from the requested one). */
  timeoutMs: number;
}

export type MultiOp =
  | { op: 'create'; path: string; data: Buffer; mode: CreateMode }
  | { op: 'setData'; path: string; data: Buffer; version: number }
  | { op: 'remove'; path: string; version: number }
  | { op: 'check'; path: string; version: number };

/**
 * What checking a znode's ACL against the one we create znodes with found: `absent`; `ours`
 * already; `secured` = it was open (or ours with other world rights) and now carries ours;
 * `foreign` = someone else's ACL that we may not change.
 */
export type AclCheck = 'absent' | 'ours' | 'secured' | 'foreign';

/** Repairs the ACL of znodes created before zk.auth was set (implemented by the ZooKeeper coordinator). */
export interface AclKeeper {
  /** Whether the coordinator authenticates (zk.auth set); without it there is nothing to secure. */
  readonly authenticated: boolean;
  secureAcl(path: string): Promise<AclCheck>;
}

/** A failed TLS connection attempt to ZooKeeper (zk.tls), as the log and /status show it. */
export interface TlsFailure {
  peer: string;
  /** Short machine-readable reason. */
  reason: 'unknown-ca' | 'expired' | 'name-mismatch' | 'client-cert-refused' | 'file-unreadable' | 'protocol' | 'other';
  /** The file involved (zk.tls.caFile for the server's chain, zk.tls.certFile for ours), if known. */
  file: string | null;
  message: string;
  /** Node's error code (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, ...), if any. */
  code: string | null;
}

/** A failed SASL authentication with ZooKeeper (zk.sasl, or a server that requires SASL), as the log and /status show it. */
export interface SaslFailure {
  peer: string;
  /** zk.sasl.user ('' when none is set). */
  user: string;
  /**
   * refused: the server rejected the credentials; sasl-required: the server requires SASL and
   * closed the session; server-unproven: its rspauth did not prove it knows the password;
   * protocol: an answer we cannot use; timeout: no answer in time.
   */
  reason: 'refused' | 'sasl-required' | 'server-unproven' | 'protocol' | 'timeout';
  /** ZooKeeper's error code (-115 AUTH_FAILED, -124 SESSIONCLOSEDREQUIRESASLAUTH), if it sent one. */
  code: number | null;
  message: string;
}

export interface CoordinatorEvents {
  /** Connection state changed (for the given session generation). */
  state: (state: ConnState, generation: number) => void;
  /** A new session was established (first connect, or a fresh client after expiry). */
  session: (info: SessionInfo) => void;
  /** A reply was heard; `sentAt` is the monotonic time the answered request was sent. */
  heard: (sentAt: number, generation: number) => void;
  /** ZooKeeper rejected our credentials (AUTH_FAILED); the coordinator retries with backoff. */
  authFailed: (message: string) => void;
}

export interface Coordinator {
  readonly state: ConnState;
  readonly generation: number;
  /** The current session, once connected at least once. */
  session(): SessionInfo | null;
  /**
   * Monotonic send time of the last request of the current session that got a reply. The server
   * heard from us no earlier than this, so it cannot expire the session before
   * lastHeardAt + timeout. Null before the first reply of this session.
   */
  lastHeardAt(): number | null;
  start(): void;
  close(): Promise<void>;
  /** Drop the socket and reconnect (the library has no read timeout of its own). */
  forceReconnect(reason: string): void;
  /** With zk.tls: the last failed TLS connection attempt, null once a handshake succeeds. */
  tlsStatus?(): TlsFailure | null;
  /** The last failed SASL authentication (zk.sasl), null once one succeeds. */
  saslStatus?(): SaslFailure | null;

  create(path: string, data: Buffer, mode: CreateMode): Promise<string>;
  exists(path: string, watch?: Watcher): Promise<NodeStat | null>;
  getData(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: NodeStat }>;
  getChildren(path: string, watch?: Watcher): Promise<string[]>;
  setData(path: string, data: Buffer, version?: number): Promise<NodeStat>;
  remove(path: string, version?: number): Promise<void>;
  mkdirp(path: string): Promise<void>;
  multi(ops: MultiOp[]): Promise<void>;

  on<E extends keyof CoordinatorEvents>(event: E, listener: CoordinatorEvents[E]): this;
  off<E extends keyof CoordinatorEvents>(event: E, listener: CoordinatorEvents[E]): this;
}
