/**
 * The closer: run by the watchdog shim (scripts/jenkins-ha-shim) when its controller's pipe
 * closed, in a session of its own, as `node dist/session-closer.js PGID`; the hand-off (session id
 * and password, ...) arrives as one line on stdin, never in argv or the environment. It closes the
 * dead controller's ZooKeeper session so that a standby takes over without waiting for the expiry,
 * and only when that is safe (docs/safety.md, "A crashed controller's session, closed by its
 * shim"): the controller's pid is gone, Jenkins' whole process group is gone, the session is still
 * alive; the JENKINS_HOME lock is marked released while the session is held.
 *
 * One JSON line per step on stderr (event field; the session id, never the password). Exit 0
 * whatever happened: nobody waits for it.
 */
import { attachAndClose, connectServers, decodeHandoff, type SessionHandoff } from './coordination/session-close';
import { errorMessage } from './errors';
import { HomeIo } from './fencing/home-io';
import { releaseHomeLock } from './fencing/home-lock';
import { monoNow } from './util/clock';
import { liveGroupMembers, processGone } from './util/proc';

const POLL_MS = 10;
const STEP_TIMEOUT_MS = 1500;

process.stderr.on('error', () => undefined); // EPIPE: the dead controller's pipe

function say(event: string, message: string, fields: Record<string, unknown> = {}): void {
  try {
    process.stderr.write(JSON.stringify({ level: 'info', component: 'session-closer', event, message, ...fields }) + '\n');
  } catch {
    // the dead controller's pipe: nobody reads it
  }
}

async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

/**
 * Wait (bounded) until the controller is dead (its pid gone, a zombie, or another process) and no
 * live process is left in Jenkins' group `pgid`. A dead process stays dead: no re-check needed.
 */
async function proven(h: SessionHandoff, pgid: number): Promise<boolean> {
  const until = monoNow() + h.waitMs;
  for (;;) {
    if (processGone(h.controllerPid, h.controllerStart) && liveGroupMembers(pgid).length === 0) return true;
    if (monoNow() >= until) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function releaseLock(h: SessionHandoff, io: HomeIo): Promise<string | null> {
  try {
    const ours = await releaseHomeLock(h.home, h.epoch, h.nodeId, { io });
    say('closer.lock', ours ? `lock of epoch ${h.epoch} marked released` : 'the lock is not ours (another epoch or node, or none): left as it is', { epoch: h.epoch });
    return null;
  } catch (err) {
    return `the JENKINS_HOME lock could not be released (${errorMessage(err)}): not closing the session, it expires as usual`;
  }
}

async function main(): Promise<void> {
  const pgid = Number(process.argv[2]);
  const h = decodeHandoff(await readStdin());
  if (!h || !Number.isInteger(pgid) || pgid <= 1) return say('closer.skipped', 'no session hand-off (or no process group): nothing to do');
  const t0 = monoNow();
  const io = new HomeIo({ timeoutMs: h.ioTimeoutMs });
  try {
    // Start the lock's helper process now (it touches only the home dir), while Jenkins exits.
    void io.lstat(h.home);
    await closeIfDead(h, pgid, io, t0);
  } finally {
    io.close();
  }
}

async function closeIfDead(h: SessionHandoff, pgid: number, io: HomeIo, t0: number): Promise<void> {
  const sessionId = h.sessionId;
  if (!(await proven(h, pgid))) {
    return say('closer.skipped', `after ${h.waitMs} ms the controller (pid ${h.controllerPid}) is not dead or process group ${pgid} still has live members: not closing, the session expires as usual`, { sessionId, pgid });
  }
  const groupMs = Math.round(monoNow() - t0);
  const r = await attachAndClose({
    servers: connectServers(h.connect),
    sessionId: Buffer.from(sessionId, 'hex'),
    password: Buffer.from(h.password, 'base64'),
    timeoutMs: h.sessionTimeoutMs,
    tls: h.tls,
    auth: h.auth,
    stepTimeoutMs: STEP_TIMEOUT_MS,
    whileAttached: () => releaseLock(h, io),
  });
  const fields = { sessionId, pgid, groupMs, totalMs: Math.round(monoNow() - t0) };
  if (r.kind === 'closed') say('closer.closed', `Jenkins' group ${pgid} gone, controller ${h.controllerPid} dead: session ${sessionId} closed on ${r.server}`, fields);
  else if (r.kind === 'gone') say('closer.gone', `session ${sessionId} is already gone (${r.server}): nothing to close`, fields);
  else if (r.kind === 'kept') say('closer.kept', r.why, fields);
  else say('closer.unreachable', `ZooKeeper could not be asked (${r.why}): the session expires as usual`, fields);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say('closer.failed', errorMessage(err));
    process.exit(0);
  },
);
