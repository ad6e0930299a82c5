/**
 * One cluster-wide view of the safety settings (issue 16 item 3), pure: which settings differ
 * between this node and the other members (drift: shown, counted, logged once), and which of this
 * node's settings would break the safety rule if it led and a peer took over from it (then it
 * refuses to lead, naming the key and both values).
 *
 * The rules across nodes (each node's own config already passed config/rules.ts alone):
 * - storage lease: when this leader's JENKINS_HOME hangs it kills Jenkins lock.heartbeatMs +
 *   lock.ioTimeoutMs (+ fencing.marginMs) after its last heartbeat landed; a peer waits out that
 *   heartbeat for ITS OWN lock.leaseMs before starting Jenkins (fencing/storage-lease.ts). So
 *   heartbeat + ioTimeout + margin here must be <= the lease of every peer. With lock.leaseMs = 0
 *   the lease is zk.sessionTimeoutMs / 2, and the key to fix is zk.sessionTimeoutMs.
 * - tickTime: the self-fencing budget allows for a follower's refresh lag of zk.tickTimeMs / 2;
 *   a peer that says the servers' tickTime is longer makes this node's budget too short:
 *   fenceAfter + kill + margin + max(ping, tick / 2) must still fit in this node's session timeout.
 * - sync.mode: a node restoring the home from git and one using a shared home cannot hand over to
 *   each other safely: both refuse.
 * The other keys (the watchdog, ratios, timeouts that pass the rules) are drift only.
 */
import { DRIFT_KEYS, SETTING_KEYS, type SafetySettings } from '../../util/safety-settings';
import { seqOf } from './leadership';
import { held, type Decision, type Observed, type PeerSettings, type SettingDrift, type SettingsVerdict } from './types';

export type { PeerSettings, SettingDrift, SettingsVerdict } from './types';




/** Every setting that differs between this node and a peer. */
export function settingsDrift(self: SafetySettings, peers: readonly PeerSettings[]): SettingDrift[] {
  const out: SettingDrift[] = [];
  for (const p of peers) {
    for (const k of DRIFT_KEYS) {
      if (self[k] !== p.settings[k]) out.push({ node: p.id, key: SETTING_KEYS[k], here: self[k], there: p.settings[k] });
    }
  }
  return out;
}

/** Why `self` must not lead with `peer` standing by to take over from it ([] = it may). */
export function settingsViolations(self: SafetySettings, peer: PeerSettings): string[] {
  const out: string[] = [];
  const p = peer.settings;
  const kill = self.lockHeartbeatMs + self.lockIoTimeoutMs + self.marginMs;
  if (kill > p.lockLeaseMs) {
    const both = self.lockLeaseDerived && p.lockLeaseDerived;
    const head = both
      ? `zk.sessionTimeoutMs: this node ${self.sessionTimeoutMs}, node ${peer.id} ${p.sessionTimeoutMs} (lock.leaseMs = 0: half of it)`
      : `lock.leaseMs: this node ${self.lockLeaseMs}, node ${peer.id} ${p.lockLeaseMs}`;
    out.push(
      `${head}: a hung home here is fenced lock.heartbeatMs + lock.ioTimeoutMs + fencing.marginMs = ` +
        `${self.lockHeartbeatMs} + ${self.lockIoTimeoutMs} + ${self.marginMs} = ${kill} ms after the last heartbeat, ` +
        `later than node ${peer.id} stops waiting for it (its lease ${p.lockLeaseMs} ms); give both nodes the same ${both ? 'zk.sessionTimeoutMs' : 'lock.leaseMs'}`,
    );
  }
  if (p.tickTimeMs > self.tickTimeMs) {
    const lag = Math.max(self.pingIntervalMs, Math.ceil(p.tickTimeMs / 2));
    const budget = self.fenceAfterMs + self.fenceKillAfterMs + self.marginMs + lag;
    if (budget > self.sessionTimeoutMs) {
      out.push(
        `zk.tickTimeMs: this node ${self.tickTimeMs}, node ${peer.id} ${p.tickTimeMs}: with the servers' tickTime node ${peer.id} gives, ` +
          `this node's fencing budget ${self.fenceAfterMs} + ${self.fenceKillAfterMs} + ${self.marginMs} + max(${self.pingIntervalMs}, ${p.tickTimeMs} / 2) = ` +
          `${budget} ms exceeds its zk.sessionTimeoutMs ${self.sessionTimeoutMs} ms; set zk.tickTimeMs to the servers' tickTime (zoo.cfg) on every node`,
      );
    }
  }
  if (p.syncMode !== self.syncMode) {
    out.push(`sync.mode: this node ${self.syncMode}, node ${peer.id} ${p.syncMode}: nodes of one cluster must share the home the same way; set the same sync.mode on every node`);
  }
  return out;
}


/** This node's verdict against the members that published their settings (older versions are left out). */
export function settingsVerdict(self: PeerSettings, peers: readonly PeerSettings[]): SettingsVerdict {
  const violations = peers.flatMap((p) => settingsViolations(self.settings, p));
  const all = [self, ...peers];
  const peerCanLead = peers.some((p) => all.every((q) => q.id === p.id || settingsViolations(p.settings, q).length === 0));
  return { drift: settingsDrift(self.settings, peers), violations, peerCanLead };
}

/**
 * The leader's check before it takes an epoch: with settings that break the rule it steps aside
 * when a peer could lead safely, and otherwise holds (gate `settings`): it never starts Jenkins.
 */
export function settingsCheck(o: Observed): Decision | null {
  const v = o.settings;
  if (!v || v.violations.length === 0) return null;
  const why = v.violations.join('; ');
  if (v.peerCanLead) {
    return { action: { kind: 'settings-step-aside' }, reason: `lowest sequence, but refusing to lead: ${why}; stepping aside for a node whose settings fit` };
  }
  return held('settings', `leader with ${seqOf(o)}; refusing to start Jenkins: ${why}`);
}
