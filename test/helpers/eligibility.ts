/**
 * An EligibilityMonitor for tests of its home checks: node a, an executable that exists
 * (`sh -c true`), no preflight, lax limits, no leader version, no secrets, checks only when a test
 * calls check(). `over` changes any option.
 */
import { EligibilityMonitor, type EligibilityOptions, type HomeCalls } from '../../src/jenkins/eligibility';
import { silentLogger } from '../../src/logging/logger';

export function eligibilityMonitor(home: string, homeIo: HomeCalls, over: Partial<EligibilityOptions> = {}): EligibilityMonitor {
  return new EligibilityMonitor({
    home,
    homeIo,
    nodeId: 'a',
    command: 'sh -c true',
    maxWriteLatencyMs: 1000,
    minFreeDiskMb: 1,
    preflightCommand: '',
    preflightTimeoutMs: 1000,
    secrets: { envNames: [], values: [] },
    intervalMs: 60_000,
    leaderVersion: () => Promise.resolve(null),
    active: () => true,
    logger: silentLogger,
    ...over,
  });
}
