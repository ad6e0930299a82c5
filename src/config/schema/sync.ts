/** Config keys of the replication of JENKINS_HOME (shared storage or git). */
import type { Config, SyncMode } from '../types';
import { DEFAULT_INCLUDE } from '../../util/sync-globs';
import { booleanFormat, branchFormat, globsFormat, intFormat, pathFormat, stringFormat } from './formats';
import type { SpecTree } from './spec';

const SYNC_MODES: SyncMode[] = ['shared', 'git'];

/** The `sync` section. */
export function syncKeys(): SpecTree<Config['sync']> {
  return {
    mode: {
      doc: 'shared: one JENKINS_HOME on shared storage (no replication). git: each node has its own local JENKINS_HOME; the leader commits the configuration to sync.repo and a new leader restores the recorded commit before starting Jenkins (docs/sync.md).',
      format: SYNC_MODES,
      default: 'shared',
    },
    repo: {
      doc: 'git mode: the repository the configuration is pushed to, a path or any URL git understands (ssh://, https://, file://). Required in git mode.',
      format: stringFormat,
      default: '',
    },
    branch: {
      doc: 'git mode: branch of sync.repo that holds the configuration.',
      format: branchFormat,
      default: 'main',
    },
    intervalMs: {
      doc: 'git mode: how often the leader commits and pushes changes (and a standby fetches), in ms; integer 200..86400000. The leader also pushes on a clean stop.',
      format: intFormat(200, 86400000),
      default: 60000,
    },
    include: {
      doc: 'git mode: globs relative to JENKINS_HOME to replicate (git glob rules: * within a directory, ** across). A JSON array in the file; comma-separated from env and flags.',
      format: globsFormat(),
      default: [...DEFAULT_INCLUDE],
    },
    exclude: {
      doc: 'git mode: globs relative to JENKINS_HOME never to replicate, even if included.',
      format: globsFormat(),
      default: [],
    },
    includeSecrets: {
      doc: 'git mode: also replicate secrets/** and secret.key (the keys that decrypt credentials). Off: they are excluded even if an include matches. true|false.',
      format: booleanFormat(),
      default: false,
    },
    allowStale: {
      doc: 'git mode: when the commit recorded in ZooKeeper cannot be obtained, start Jenkins from the newest commit this node has (logged as sync.stale_accepted) instead of yielding to another node. true|false.',
      format: booleanFormat(),
      default: false,
    },
    gitDir: {
      doc: 'git mode: the local git directory (absolute, outside JENKINS_HOME). Empty = a sibling of jenkins.home named after it, e.g. /var/lib/.jenkins.jenkins-ha.git for /var/lib/jenkins.',
      format: pathFormat,
      default: '',
    },
    gitTimeoutMs: {
      doc: 'git mode: timeout of one git command (fetch, push, ...) in ms; integer 1000..3600000.',
      format: intFormat(1000, 3600000),
      default: 30000,
    },
  };
}
