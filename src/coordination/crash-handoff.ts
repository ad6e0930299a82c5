/**
 * What the controller hands its watchdog shim so that, if the controller dies, the shim's closer
 * can close this session at once (docs/safety.md, "A crashed controller's session, closed by its
 * shim"): one `S <base64 JSON>` line on the shim's stdin, written after the go line and again for
 * every new session. The session password is a credential: it goes on that pipe only.
 */
import { ownStartTime } from '../util/proc';
import { encodeHandoff, type SessionHandoff } from './session-close';

export interface SessionSource {
  sessionCredentials(): { id: Buffer; password: Buffer; timeoutMs: number } | null;
}

/** The fixed part: where ZooKeeper is and how to talk to it, the home and this node. */
export type HandoffSettings = Pick<SessionHandoff, 'connect' | 'tls' | 'auth' | 'home' | 'nodeId' | 'waitMs' | 'ioTimeoutMs'>;

export class CrashHandoff {
  private readonly start = ownStartTime();

  constructor(
    private readonly source: SessionSource,
    private readonly settings: HandoffSettings,
  ) {}

  /** The payload of the S line for a Jenkins of `epoch`; null before the first session. */
  payload(epoch: number): string | null {
    const c = this.source.sessionCredentials();
    if (!c || this.start === '') return null;
    return encodeHandoff({
      v: 1,
      ...this.settings,
      sessionId: c.id.toString('hex'),
      password: c.password.toString('base64'),
      sessionTimeoutMs: c.timeoutMs,
      epoch,
      controllerPid: process.pid,
      controllerStart: this.start,
    });
  }
}
