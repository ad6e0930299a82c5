/**
 * Throwaway ZooKeeper clusters for tests, run by scripts/zk.sh from Debian's package on random
 * loopback ports, each in its own temp dir. Always stop() what you start (afterAll/afterEach);
 * clusters still running at the end of a test file are SIGKILLed as a last resort.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';

export const ZK_SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'zk.sh');

/** Ports one cluster uses: PORT..PORT+23 for an ensemble (client, quorum +10+N, election +20+N). */
const ENSEMBLE_PORT_SPAN = 24;
const SCRIPT_TIMEOUT_MS = 90_000;
/** zk.sh exit code when the ports it needs are taken. */
const EXIT_PORTS_BUSY = 4;

export interface ZkCluster {
  /** Connect string, e.g. 127.0.0.1:23001 or 127.0.0.1:23001,127.0.0.1:23002,127.0.0.1:23003 */
  connect: string;
  dir: string;
  /**
   * With { tls: true }: the throwaway PKI of zk.sh --tls (ca.pem, client.pem / client-key.pem, ...;
   * make more with scripts/zk-pki.sh), null otherwise.
   */
  pki: string | null;
  /** Client ports, index 0 = server 1. */
  ports: number[];
  /** Stop all servers (SIGTERM, SIGKILL after 5 s) and remove dir. Idempotent. */
  stop(): Promise<void>;
  stopServer(n: number): Promise<void>;
  killServer(n: number): Promise<void>;
  /** (Re)start server n with its config and data; resolves once it serves (leader/follower). */
  startServer(n: number): Promise<void>;
  /** Which server N reports `Mode: leader` via srvr (null if none; always null standalone). */
  leaderServer(): Promise<number | null>;
}

export interface StartZkOptions {
  /** 3-node ensemble instead of one standalone server. Default false. */
  ensemble?: boolean;
  /** ZooKeeper's forceSync (fsync of the transaction log). Default: zk.sh's default (yes). */
  forceSync?: boolean;
  /** secureClientPort only, ssl.clientAuth=need, x509 auth provider (zk.sh start --tls). */
  tls?: boolean;
  /**
   * Client SASL required (zk.sh start --sasl): DIGEST-MD5 users of SASL_USERS in a JAAS Server
   * section, sessionRequireClientSASLAuth=true.
   */
  sasl?: boolean;
}

/** The DIGEST-MD5 users of zk.sh start --sasl (its default ZK_SASL_USERS). */
export const SASL_USERS = {
  node: { user: 'jenkins-ha', password: 'jha-sasl-secret' },
  other: { user: 'other', password: 'other-sasl-secret' },
} as const;

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run scripts/zk.sh with args; resolves with its exit code and output (rejects only when it
 * could not run or was killed by the timeout). opts.env is added to process.env.
 */
export function runZkScript(
  args: string[],
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [ZK_SCRIPT, ...args],
      {
        timeout: opts.timeoutMs ?? SCRIPT_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
        env: { ...process.env, ...opts.env },
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        const code = error.code;
        if (typeof code === 'number') {
          resolve({ code, stdout, stderr });
          return;
        }
        reject(new Error(`zk.sh ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      },
    );
  });
}

async function zkScript(args: string[]): Promise<string> {
  const r = await runZkScript(args);
  if (r.code !== 0) {
    throw new Error(`zk.sh ${args.join(' ')} exited with ${r.code}:\n${r.stderr.trim()}`);
  }
  return r.stdout;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** The kernel's ephemeral port range (net.ipv4.ip_local_port_range): where outgoing connections get their local ports. */
export function ephemeralPortRange(): { lo: number; hi: number } {
  try {
    const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi) return { lo, hi };
  } catch {
    /* not Linux: the IANA range below */
  }
  return { lo: 49152, hi: 65535 };
}

/** The lowest port freePortBlock hands out. */
export const FREE_PORT_LO = 10000;

/**
 * A base port such that base..base+size-1 are all free on 127.0.0.1 right now: picked at random
 * between FREE_PORT_LO and the kernel's ephemeral range, and verified by binding each port.
 * Never inside the ephemeral range: a port found free there can become the local port of any
 * outgoing connection (a controller's own ZooKeeper session) before the process it was picked
 * for listens on it, and that process then dies of EADDRINUSE.
 */
export async function freePortBlock(size: number): Promise<number> {
  if (!Number.isInteger(size) || size < 1 || size > 1000) throw new Error(`bad port block size ${size}`);
  const lo = FREE_PORT_LO;
  const hi = Math.min(ephemeralPortRange().lo, 65536) - size;
  if (hi < lo) throw new Error(`no room for ${size} ports between ${lo} and the ephemeral range`);
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = lo + Math.floor(Math.random() * (hi - lo + 1));
    let free = true;
    for (let p = base; p < base + size && free; p++) {
      free = await canBind(p);
    }
    if (free) return base;
  }
  throw new Error(`no block of ${size} free ports found in ${lo}-${hi + size - 1}`);
}

/**
 * The reply to a four-letter word (srvr, mntr, ...) on 127.0.0.1:port, or '' if none within
 * timeoutMs; over TLS with the PKI's client certificate when `pki` is given.
 */
export function fourLetter(port: number, word: string, timeoutMs = 500, pki: string | null = null): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    let settled = false;
    const socket = pki
      ? tls.connect({ port, host: '127.0.0.1', ca: fs.readFileSync(path.join(pki, 'ca.pem')), cert: fs.readFileSync(path.join(pki, 'client.pem')), key: fs.readFileSync(path.join(pki, 'client-key.pem')) })
      : net.connect({ port, host: '127.0.0.1' });
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(data);
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.setEncoding('utf8');
    socket.on(pki ? 'secureConnect' : 'connect', () => socket.write(word));
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
  });
}

/** The reply to the `srvr` four-letter word on 127.0.0.1:port, or '' if none within timeoutMs. */
export function srvr(port: number, timeoutMs = 500, pki: string | null = null): Promise<string> {
  return fourLetter(port, 'srvr', timeoutMs, pki);
}

/** A server's Mode (standalone, leader, follower, ...) or 'down' when it does not serve. */
export async function zkMode(port: number, pki: string | null = null): Promise<string> {
  const m = /^Mode: (\S+)/m.exec(await srvr(port, pki ? 2000 : 500, pki));
  return m?.[1] ?? 'down';
}

const live = new Set<string>();

/** SIGKILL the clusters that were started but not stopped, and remove their dirs. */
async function killLeftovers(): Promise<void> {
  for (const dir of [...live]) {
    live.delete(dir);
    await runZkScript(['kill', '--dir', dir]).catch(() => undefined);
    await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

// Safety net for clusters a test forgot to stop. Under jest (this module is loaded once per test
// file) a top-level afterAll runs after the file's own hooks; jest's sandboxed `process` does
// not deliver 'exit' events to test code. Elsewhere (e.g. a script), fall back to process exit.
if (typeof afterAll === 'function') {
  afterAll(killLeftovers);
} else {
  process.once('exit', () => {
    for (const dir of live) {
      try {
        execFileSync('bash', [ZK_SCRIPT, 'kill', '--dir', dir], { stdio: 'ignore', timeout: 10_000 });
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
}

/** Start a standalone server (default) or a 3-node ensemble in a new temp dir on free ports. */
export async function startZk(opts: StartZkOptions = {}): Promise<ZkCluster> {
  const ensemble = opts.ensemble ?? false;
  const nServers = ensemble ? 3 : 1;
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'jenkins-ha-zk-'));
  live.add(dir);

  let connect = '';
  let base = 0;
  try {
    // Another process may grab a port between freePortBlock and zk.sh's own check: retry then.
    for (let attempt = 1; ; attempt++) {
      base = await freePortBlock(ensemble ? ENSEMBLE_PORT_SPAN : 1);
      const args = ['start', '--dir', dir, '--port', String(base)];
      if (ensemble) args.push('--ensemble');
      if (opts.forceSync !== undefined) args.push('--force-sync', opts.forceSync ? 'yes' : 'no');
      if (opts.tls === true) args.push('--tls');
      if (opts.sasl === true) args.push('--sasl');
      const r = await runZkScript(args);
      if (r.code === 0) {
        connect = lastLine(r.stdout);
        break;
      }
      if (r.code === EXIT_PORTS_BUSY && attempt < 5) continue;
      throw new Error(`zk.sh ${args.join(' ')} exited with ${r.code}:\n${r.stderr.trim()}`);
    }
  } catch (e) {
    await runZkScript(['kill', '--dir', dir]).catch(() => undefined);
    await fs.promises.rm(dir, { recursive: true, force: true });
    live.delete(dir);
    throw e;
  }

  const ports = Array.from({ length: nServers }, (_, i) => base + i);
  const checkServer = (n: number): void => {
    if (!Number.isInteger(n) || n < 1 || n > nServers) {
      throw new Error(`no server ${n} in this cluster (servers 1..${nServers})`);
    }
  };
  let stopped = false;
  const pki = opts.tls === true ? path.join(dir, 'pki') : null;

  return {
    connect,
    dir,
    pki,
    ports,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      try {
        await zkScript(['stop', '--dir', dir]);
      } finally {
        await fs.promises.rm(dir, { recursive: true, force: true });
        live.delete(dir);
      }
    },
    async stopServer(n: number): Promise<void> {
      checkServer(n);
      await zkScript(['stop', '--dir', dir, '--server', String(n)]);
    },
    async killServer(n: number): Promise<void> {
      checkServer(n);
      await zkScript(['kill', '--dir', dir, '--server', String(n)]);
    },
    async startServer(n: number): Promise<void> {
      checkServer(n);
      await zkScript(['start', '--dir', dir, '--server', String(n)]);
    },
    async leaderServer(): Promise<number | null> {
      const modes = await Promise.all(ports.map((p) => zkMode(p, pki)));
      const i = modes.indexOf('leader');
      return i < 0 ? null : i + 1;
    },
  };
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}
