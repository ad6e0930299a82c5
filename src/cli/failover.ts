/**
 * `jenkins-ha failover --confirm-fenced NODE [--reason TEXT]` (Hadoop's `haadmin -failover
 * --forcefence`): tells the cluster that a person knows the previous active NODE is gone (its
 * host is powered off) when the fencing methods cannot prove it, so the leader waiting at the
 * fencing gate for exactly that node passes it. Through a controller's API (POST /failover, with
 * the bearer token); the controller refuses while NODE holds a live ZooKeeper session or when
 * nobody waits on it. The reason and the OS user go into the history.
 */
import * as os from 'node:os';
import type { Config } from '../config/load';
import type { FailoverOptions } from './args';
import { type Print, sendCommand } from './commands';
import { CliError } from './errors';

/** Who runs the command, for the history: `user@host`. */
function operator(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return `${user}@${os.hostname()}`;
}

export async function failoverCommand(cfg: Config, opts: FailoverOptions, print: Print): Promise<void> {
  const reason = `${opts.reason ?? 'confirmed with jenkins-ha failover'} (${operator()})`;
  const { body, via } = await sendCommand(cfg, 'POST', '/failover', { confirmFenced: opts.confirmFenced, reason });
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (typeof b.node !== 'string' || typeof b.waiter !== 'string') throw new CliError(`unexpected answer to POST /failover: ${JSON.stringify(body)}`);
  const epoch = typeof b.nodeEpoch === 'number' ? ` (epoch ${b.nodeEpoch})` : '';
  print(`confirmed ${b.node}${epoch} fenced: ${b.waiter} passes the fencing gate and starts Jenkins (recorded in the history; via ${via})\n`);
}
