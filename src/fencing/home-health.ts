/**
 * The health of JENKINS_HOME for decide(), as the answers of home I/O (./home-io.ts) show it:
 * `hung` after a call missed its deadline, `failing` after a mount-level error (EIO, ESTALE,
 * ENOTCONN...), `ok` after any answer. It logs home.hung / home.failing / home.recovered on each
 * change and hands the new health to the listeners.
 */
import type { Logger } from '../logging/logger';
import type { HomeIoResult } from './home-io-types';

export type HomeState = 'ok' | 'hung' | 'failing';

export interface HomeHealth {
  state: HomeState;
  /** Monotonic ms (options.now) of the last change of state. */
  since: number;
  /** Why (empty when ok). */
  reason: string;
}

export interface HomeHealthWatchOptions {
  /** Monotonic ms (home I/O's clock). */
  now: () => number;
  /** The logger of the moment (home I/O gets its own once the configuration is known). */
  logger: () => Logger | undefined;
}

/** errno codes that mean the mount itself is failing (not this file or this user). */
const MOUNT_ERRORS = new Set(['EIO', 'ESTALE', 'ENOTCONN', 'ETIMEDOUT', 'EHOSTDOWN', 'EHOSTUNREACH', 'ECONNABORTED', 'ENOLINK']);

export class HomeHealthWatch {
  private st: HomeHealth;
  private readonly listeners: Array<(h: HomeHealth) => void> = [];

  constructor(private readonly o: HomeHealthWatchOptions) {
    this.st = { state: 'ok', since: o.now(), reason: '' };
  }

  current(): HomeHealth {
    return { ...this.st };
  }

  onChange(listener: (h: HomeHealth) => void): void {
    this.listeners.push(listener);
  }

  /** The health an answer shows; a change is logged and handed to the listeners. */
  observe(res: HomeIoResult<unknown>): void {
    if (res.kind === 'io-error' && res.code === 'HOME_IO_CLOSED') return;
    const state: HomeState = res.kind === 'timeout' ? 'hung' : res.kind === 'io-error' && MOUNT_ERRORS.has(res.code) ? 'failing' : 'ok';
    if (state === this.st.state) return;
    const prev = this.st;
    const now = this.o.now();
    this.st = { state, since: now, reason: res.kind === 'ok' || res.kind === 'refused' ? '' : res.message };
    const log = this.o.logger();
    if (state === 'ok') {
      log?.info(`JENKINS_HOME answers again after ${Math.round(now - prev.since)} ms ${prev.state}`, {
        event: 'home.recovered',
        was: prev.state,
        durationMs: Math.round(now - prev.since),
      });
    } else {
      log?.error(`JENKINS_HOME ${state === 'hung' ? 'does not answer' : 'fails'}: ${this.st.reason}`, { event: `home.${state}`, reason: this.st.reason });
    }
    for (const l of this.listeners) l(this.current());
  }
}
