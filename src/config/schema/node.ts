/** Config keys of the cluster and this node: their names and how others reach the node. */
import type { Config } from '../types';
import { sanitizeNodeId } from './names';
import { hostFormat, nameFormat } from './formats';
import type { SpecTree } from './spec';

/** The `cluster` section. */
export function clusterKeys(): SpecTree<Config['cluster']> {
  return {
    name: {
      doc: 'Name of the HA cluster; both nodes of a pair must use the same name. 1-63 characters of [A-Za-z0-9_.-], starting with a letter or digit.',
      format: nameFormat,
      default: 'jenkins',
    },
  };
}

/** The `node` section. */
export function nodeKeys(hostname: string): SpecTree<Config['node']> {
  return {
    id: {
      doc: 'Stable, unique id of this node, embedded in its election znode name. Same charset as cluster.name. Defaults to the host name with other characters replaced by "-".',
      format: nameFormat,
      default: sanitizeNodeId(hostname),
      docDefault: 'host name (sanitized)',
    },
    host: {
      doc: 'Host name or address the other node and clients use to reach this node.',
      format: hostFormat,
      default: hostname,
      docDefault: 'host name',
    },
  };
}
