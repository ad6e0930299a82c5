/**
 * The effective safety settings a member publishes in its election znode (issue 16 item 3), so
 * every node can compare them: plain data, the config key of each, and a tolerant parser for what
 * another member wrote. The rules between nodes are in controller/decide/settings.ts.
 */
export interface SafetySettings {
  /** zk.sessionTimeoutMs as configured (ms). */
  sessionTimeoutMs: number;
  /** fencing.deadlineRatio */
  deadlineRatio: number;
  /** Effective self-fencing deadline for the configured session timeout (ms). */
  fenceAfterMs: number;
  /** jenkins.fenceKillAfterMs */
  fenceKillAfterMs: number;
  /** fencing.marginMs */
  marginMs: number;
  /** Effective zk.pingIntervalMs (0 = T/6). */
  pingIntervalMs: number;
  /** zk.tickTimeMs: what this node believes the servers' tickTime is. */
  tickTimeMs: number;
  /** Effective lock.leaseMs (0 = zk.sessionTimeoutMs / 2). */
  lockLeaseMs: number;
  /** lock.leaseMs was 0: the lease follows zk.sessionTimeoutMs. */
  lockLeaseDerived: boolean;
  /** Effective lock.heartbeatMs. */
  lockHeartbeatMs: number;
  /** Effective lock.ioTimeoutMs. */
  lockIoTimeoutMs: number;
  /** fencing.watchdog.mode */
  watchdog: string;
  /** sync.mode */
  syncMode: string;
}

/** The configuration key each setting comes from (what a note or a refusal names). */
export const SETTING_KEYS: Readonly<Record<keyof SafetySettings, string>> = {
  sessionTimeoutMs: 'zk.sessionTimeoutMs',
  deadlineRatio: 'fencing.deadlineRatio',
  fenceAfterMs: 'fencing deadline (zk.sessionTimeoutMs * fencing.deadlineRatio)',
  fenceKillAfterMs: 'jenkins.fenceKillAfterMs',
  marginMs: 'fencing.marginMs',
  pingIntervalMs: 'zk.pingIntervalMs',
  tickTimeMs: 'zk.tickTimeMs',
  lockLeaseMs: 'lock.leaseMs',
  lockLeaseDerived: 'lock.leaseMs = 0 (derived)',
  lockHeartbeatMs: 'lock.heartbeatMs',
  lockIoTimeoutMs: 'lock.ioTimeoutMs',
  watchdog: 'fencing.watchdog.mode',
  syncMode: 'sync.mode',
};

const NUMBERS = ['sessionTimeoutMs', 'deadlineRatio', 'fenceAfterMs', 'fenceKillAfterMs', 'marginMs', 'pingIntervalMs', 'tickTimeMs', 'lockLeaseMs', 'lockHeartbeatMs', 'lockIoTimeoutMs'] as const;

/** Another member's settings, or null when absent or not all there (an older version, or garbage). */
export function decodeSafetySettings(v: unknown): SafetySettings | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  for (const k of NUMBERS) if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) return null;
  if (typeof o.lockLeaseDerived !== 'boolean' || typeof o.watchdog !== 'string' || typeof o.syncMode !== 'string') return null;
  if (o.watchdog.length > 32 || o.syncMode.length > 32) return null;
  const n = (k: (typeof NUMBERS)[number]): number => o[k] as number;
  return {
    sessionTimeoutMs: n('sessionTimeoutMs'),
    deadlineRatio: n('deadlineRatio'),
    fenceAfterMs: n('fenceAfterMs'),
    fenceKillAfterMs: n('fenceKillAfterMs'),
    marginMs: n('marginMs'),
    pingIntervalMs: n('pingIntervalMs'),
    tickTimeMs: n('tickTimeMs'),
    lockLeaseMs: n('lockLeaseMs'),
    lockLeaseDerived: o.lockLeaseDerived,
    lockHeartbeatMs: n('lockHeartbeatMs'),
    lockIoTimeoutMs: n('lockIoTimeoutMs'),
    watchdog: o.watchdog,
    syncMode: o.syncMode,
  };
}

/** Keys compared between members (derived duplicates left out: they follow from these). */
export const DRIFT_KEYS = ['sessionTimeoutMs', 'deadlineRatio', 'fenceKillAfterMs', 'marginMs', 'pingIntervalMs', 'tickTimeMs', 'lockLeaseMs', 'lockHeartbeatMs', 'lockIoTimeoutMs', 'watchdog', 'syncMode'] as const;

/**
 * The settings that differ across the members that published theirs, each as
 * `zk.sessionTimeoutMs: a 10000, b 4000` (for `jenkins-ha status`); [] when they agree.
 */
export function clusterDrift(members: readonly { id: string; settings?: SafetySettings | null }[]): string[] {
  const known = members.flatMap((m) => (m.settings ? [{ id: m.id, s: m.settings }] : []));
  const out: string[] = [];
  for (const k of DRIFT_KEYS) {
    if (new Set(known.map((m) => m.s[k])).size > 1) out.push(`${SETTING_KEYS[k]}: ${known.map((m) => `${m.id} ${String(m.s[k])}`).join(', ')}`);
  }
  return out;
}
