/**
 * Role probes for load balancers and Kubernetes, GET and HEAD, never behind a token:
 * 200 when the node is what the probe asks, else 503, with a small JSON body saying why.
 * A pure function of the status snapshot; src/api/fast.ts serves it without express.
 */
import type { StatusSource } from '../../controller/status';

export type ProbePath = '/leader' | '/standby' | '/health' | '/readiness';
export const PROBE_PATHS: readonly ProbePath[] = ['/leader', '/standby', '/health', '/readiness'];

export interface ProbeAnswer {
  status: 200 | 503;
  body: Record<string, unknown>;
}

export function probe(path: ProbePath, source: StatusSource, stallAfterMs: number): ProbeAnswer {
  const answer = (ok: boolean, body: Record<string, unknown>): ProbeAnswer => ({ status: ok ? 200 : 503, body: { ok, ...body } });
  switch (path) {
    case '/leader': {
      const s = source.status();
      return answer(s.node.role === 'leader' && s.jenkins.ready, { role: s.node.role, jenkinsReady: s.jenkins.ready });
    }
    case '/standby': {
      const s = source.status();
      const ineligible = s.eligibility !== undefined && !s.eligibility.eligible;
      return answer(s.node.role === 'standby' && !ineligible, { role: s.node.role, ...(ineligible ? { reasons: s.eligibility?.reasons ?? [] } : {}) });
    }
    case '/health': {
      const lag = source.msSinceLastCycle();
      return answer(lag <= stallAfterMs, { role: source.status().node.role, loopLagMs: Math.round(lag) });
    }
    case '/readiness': {
      const s = source.status();
      const ok = (s.node.role === 'leader' && s.jenkins.ready) || s.node.role === 'standby';
      return answer(ok, { role: s.node.role, jenkinsReady: s.jenkins.ready });
    }
  }
}
