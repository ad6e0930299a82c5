/**
 * SASL with ZooKeeper as the operator sees it: the client's settings from the zk.sasl keys, a failed
 * authentication explained (naming zk.sasl.user and the server's answer; never the password),
 * logged on change and kept for /status.
 */
import type { Logger } from '../logging/logger';
import type { SaslFailure } from './types';
import type { SaslAttemptFailure, SaslHooks } from './zk-sasl';

/** The zk.sasl keys (structurally: coordination does not import config). */
export interface ZkSaslSettings {
  /** DIGEST-MD5 user of the servers' JAAS Server section; '' = no SASL. */
  user: string;
  /** Sensitive. */
  password: string;
}

const KEYS = 'zk.sasl.user / zk.sasl.password (env JHA_ZK_SASL_USER / JHA_ZK_SASL_PASSWORD)';

/** The client's SASL settings from the zk.sasl keys (both set: config/rules.ts), undefined without SASL. */
export function zkSaslSetup(keys: ZkSaslSettings): ZkSaslSettings | undefined {
  return keys.user === '' ? undefined : { user: keys.user, password: keys.password };
}

/** The message of a failed attempt: what happened, and what to check. */
export function describeSaslFailure(f: SaslAttemptFailure, user: string): SaslFailure {
  const who = `zk.sasl.user ${JSON.stringify(user)}`;
  let message: string;
  switch (f.reason) {
    case 'refused':
      message =
        `ZooKeeper ${f.peer} refused SASL DIGEST-MD5 for ${who}: ${f.detail}; the password is wrong or the user is not in the server's JAAS Server section ` +
        `(check ${KEYS}, and the server log for the reason)`;
      break;
    case 'sasl-required':
      message =
        user === ''
          ? `ZooKeeper ${f.peer} requires SASL authentication (sessionRequireClientSASLAuth or enforce.auth.schemes=sasl): ${f.detail}; set ${KEYS}`
          : `ZooKeeper ${f.peer}: ${f.detail} although ${who} authenticated; check the server's authProvider.sasl and enforce.auth settings`;
      break;
    default:
      message = `SASL DIGEST-MD5 with ZooKeeper ${f.peer} for ${who} failed: ${f.detail}`;
  }
  return { peer: f.peer, user, reason: f.reason, code: f.code, message };
}

/** What an AUTH_FAILED from the server means: the SASL failure behind it, else the digest credentials (zk.auth). */
export function authFailedMessage(sasl: SaslFailure | null, digest: boolean): string {
  if (sasl !== null) return sasl.message;
  return digest
    ? "ZooKeeper rejected the zk.auth credentials (AUTH_FAILED); check zk.auth (env JHA_ZK_AUTH) and the server's authentication settings"
    : 'ZooKeeper refused this client (AUTH_FAILED): the server requires authentication; set zk.auth (env JHA_ZK_AUTH)';
}

/** The SASL hooks of a coordinator's clients: failures logged on change, the last one kept for /status. */
export class SaslReport {
  private failure: SaslFailure | null = null;

  constructor(
    private readonly settings: ZkSaslSettings | undefined,
    private readonly log: Logger,
  ) {}

  /** The last failed SASL authentication; null once one succeeds. */
  current(): SaslFailure | null {
    return this.failure;
  }

  /** Hooks for one client; `live()` is false once the client is replaced (its reports are dropped). */
  hooks(live: () => boolean): SaslHooks {
    const s = this.settings;
    return {
      credentials: () => (s ? { user: s.user, password: s.password } : null),
      onFailure: (attempt) => {
        if (!live()) return;
        const f = describeSaslFailure(attempt, s?.user ?? '');
        if (this.failure?.message !== f.message) {
          this.log.error(f.message, { event: 'zk.sasl_failed', peer: f.peer, reason: f.reason, code: f.code, user: f.user });
        }
        this.failure = f;
      },
      onSuccess: (peer) => {
        if (!live() || this.failure === null) return;
        this.log.info(`SASL with ZooKeeper ${peer} succeeded again`, { event: 'zk.sasl_ok', peer, user: s?.user ?? '' });
        this.failure = null;
      },
    };
  }
}
