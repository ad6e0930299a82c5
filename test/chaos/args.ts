/** Command line of the chaos run (pure, so it can be unit-tested). */
import { FAULT_KINDS, isFaultKind, STORAGE_KINDS, type FaultKind } from './schedule';

export interface ChaosArgs {
  faults: number;
  seed: number;
  kinds: FaultKind[];
  sessionTimeoutMs: number;
  writesMs: number;
  launchAllowanceMs: number;
  coordAllowanceMs: number;
  quietMs: number;
  out: string | null;
  keepHome: boolean;
  failFast: boolean;
  logLevel: string;
  /** shared: one JENKINS_HOME for all; git: a home per node, sync.mode git through a local bare repository. */
  sync: 'shared' | 'git';
  syncIntervalMs: number;
  /** The ensemble serves TLS only (zk.sh --tls) and the controllers speak it (zk.tls.*). */
  tls: boolean;
  help: boolean;
}

export const USAGE = `npm run chaos -- [--faults N] [--seed S] [options]

  --faults N               faults to inject (default 25)
  --seed S                 PRNG seed, integer 0..4294967295 (default: random, printed)
  --kinds a,b,...          only these fault kinds (default: all; with --sync git all but
                           ${STORAGE_KINDS.join(', ')}): ${FAULT_KINDS.join(', ')}
  --session-timeout-ms T   controllers' zk.sessionTimeoutMs (default 4000)
  --writes-ms MS           period of the stand-in's fsynced records (default 100)
  --launch-allowance-ms MS recovery-bound allowance for a Jenkins start (default 3000)
  --coord-allowance-ms MS  recovery-bound allowance for ZooKeeper round trips and fsyncs (default 1000)
  --quiet-ms MS            observe a settled cluster this long before the next fault (default 1000)
  --out DIR                where logs, journal and results go (default .run/chaos/<seed>-<time>)
  --keep-home              keep the JENKINS_HOME directory (git mode: the homes and the repository)
  --fail-fast              stop at the first failing fault
  --log-level LEVEL        controllers' log.level (default debug)
  --sync shared|git        shared: one JENKINS_HOME (default); git: a home per node replicated
                           through a local bare git repository (sync.mode git), and the writes
                           check becomes the replication check (docs/reliability.md)
  --sync-interval-ms MS    git mode: the leader's sync.intervalMs (default 1000)
  --tls                    the ensemble serves TLS only (secureClientPort, client certificates
                           required) and the controllers connect with zk.tls.*

Exit status: 0 all green; 1 a failure (overlap, lost write, needless failover, recovery over its
bound, a fault that did not happen, a cluster that did not settle); 2 bad arguments.`;

function int(name: string, raw: string | undefined, min: number): number {
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`--${name} needs an integer >= ${min}, got ${raw ?? 'nothing'}`);
  return Number(raw);
}

export function parseChaosArgs(argv: string[], randomSeed: () => number = () => Math.floor(Math.random() * 0xffffffff)): ChaosArgs {
  const a: ChaosArgs = {
    faults: 25,
    seed: -1,
    kinds: [...FAULT_KINDS],
    sessionTimeoutMs: 4000,
    writesMs: 100,
    launchAllowanceMs: 3000,
    coordAllowanceMs: 1000,
    quietMs: 1000,
    out: null,
    keepHome: false,
    failFast: false,
    logLevel: 'debug',
    sync: 'shared',
    syncIntervalMs: 1000,
    tls: false,
    help: false,
  };
  let kindsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.indexOf('=');
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const value = (): string | undefined => (eq > 0 ? raw.slice(eq + 1) : argv[++i]);
    switch (flag) {
      case '--faults':
        a.faults = int('faults', value(), 1);
        break;
      case '--seed': {
        const v = value();
        a.seed = parseSeed(v ?? '');
        break;
      }
      case '--kinds': {
        const list = (value() ?? '').split(',').filter((k) => k !== '');
        const bad = list.filter((k) => !isFaultKind(k));
        if (list.length === 0 || bad.length > 0) throw new Error(`--kinds: unknown kind(s) ${bad.join(', ') || '(none given)'}; known: ${FAULT_KINDS.join(', ')}`);
        a.kinds = list as FaultKind[];
        kindsGiven = true;
        break;
      }
      case '--session-timeout-ms':
        a.sessionTimeoutMs = int('session-timeout-ms', value(), 400);
        break;
      case '--writes-ms':
        a.writesMs = int('writes-ms', value(), 1);
        break;
      case '--launch-allowance-ms':
        a.launchAllowanceMs = int('launch-allowance-ms', value(), 0);
        break;
      case '--coord-allowance-ms':
        a.coordAllowanceMs = int('coord-allowance-ms', value(), 0);
        break;
      case '--quiet-ms':
        a.quietMs = int('quiet-ms', value(), 0);
        break;
      case '--out': {
        const v = value();
        if (!v) throw new Error('--out needs a directory');
        a.out = v;
        break;
      }
      case '--log-level': {
        const v = value();
        if (!v || !['error', 'warn', 'info', 'debug'].includes(v)) throw new Error('--log-level must be error|warn|info|debug');
        a.logLevel = v;
        break;
      }
      case '--sync': {
        const v = value();
        if (v !== 'shared' && v !== 'git') throw new Error(`--sync must be shared or git, got ${v ?? 'nothing'}`);
        a.sync = v;
        break;
      }
      case '--sync-interval-ms':
        a.syncIntervalMs = int('sync-interval-ms', value(), 100);
        break;
      case '--tls':
        a.tls = true;
        break;
      case '--keep-home':
        a.keepHome = true;
        break;
      case '--fail-fast':
        a.failFast = true;
        break;
      case '-h':
      case '--help':
        a.help = true;
        break;
      default:
        throw new Error(`unknown argument ${raw}`);
    }
  }
  if (a.seed < 0) a.seed = randomSeed() >>> 0;
  // The storage kinds hang or fill THE shared home behind per-node mounts; git mode has a home per node.
  if (a.sync === 'git') {
    if (kindsGiven) {
      const bad = a.kinds.filter((k) => STORAGE_KINDS.includes(k));
      if (bad.length > 0) throw new Error(`--kinds: ${bad.join(', ')} need one shared home (--sync shared), not --sync git`);
    } else a.kinds = a.kinds.filter((k) => !STORAGE_KINDS.includes(k));
  }
  return a;
}

/** A seed from the command line: a decimal integer in 0..2^32-1. */
export function parseSeed(raw: string): number {
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > 0xffffffff) throw new Error(`--seed must be an integer in 0..4294967295, got "${raw}"`);
  return Number(raw);
}
