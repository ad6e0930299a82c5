/** Config keys of ZooKeeper: connect string, root, session and request timings, digest credentials. */
import type { Config } from '../types';
import { booleanFormat, intFormat, zkAuthFormat, zkConnectFormat, zkRootFormat } from './formats';
import type { SpecTree } from './spec';

/** The `zk` section. */
export function zkKeys(): SpecTree<Config['zk']> {
  return {
    connect: {
      doc: 'ZooKeeper connect string: comma-separated host:port list with an optional /chroot suffix.',
      format: zkConnectFormat,
      default: '127.0.0.1:2181',
    },
    root: {
      doc: 'Root znode of all jenkins-ha data; starts with "/", no trailing "/".',
      format: zkRootFormat,
      default: '/jenkins-ha',
    },
    sessionTimeoutMs: {
      doc: 'Requested ZooKeeper session timeout in ms; integer 400..600000. The server may negotiate another value (within 2..20 x its tickTime); the derived timings follow the negotiated one.',
      format: intFormat(400, 600000),
      default: 10000,
    },
    spinDelayMs: {
      doc: 'Delay between ZooKeeper reconnect attempts in ms; integer 10..5000.',
      format: intFormat(10, 5000),
      default: 100,
    },
    pingIntervalMs: {
      doc: 'Interval of liveness requests to ZooKeeper in ms; 0 = session timeout / 6. Two must fit in the fencing deadline (session timeout * fencing.deadlineRatio).',
      format: intFormat(0, 600000),
      default: 0,
    },
    requestTimeoutMs: {
      doc: 'Timeout of every ZooKeeper call in ms; 0 = session timeout / 3. Must not exceed the fencing deadline (session timeout * fencing.deadlineRatio).',
      format: intFormat(0, 600000),
      default: 0,
    },
    tickTimeMs: {
      doc: 'The ZooKeeper servers\' tickTime (zoo.cfg) in ms; integer 1..600000. A follower passes our session\'s activity on to the ZooKeeper leader only with its next ping (every tickTime / 2), so the session can expire max(zk.pingIntervalMs, tickTimeMs / 2) before lastHeard + session timeout; the fencing rule keeps that much more room (see fencing.marginMs).',
      format: intFormat(1, 600000),
      default: 2000,
    },
    auth: {
      doc: 'ZooKeeper digest credentials user:password; empty = none. When set, every session authenticates with them and every znode jenkins-ha creates gets an ACL that lets only this identity change it (see docs/security.md). Sensitive: masked by redactedConfig and never echoed; prefer the env var to the config file or a flag.',
      format: zkAuthFormat,
      default: '',
      sensitive: true,
    },
    worldRead: {
      doc: 'With zk.auth set: whether anyone may read (not change) the znodes jenkins-ha creates, so that tools without the credentials can still watch the cluster. true|false.',
      format: booleanFormat(),
      default: true,
    },
  };
}
