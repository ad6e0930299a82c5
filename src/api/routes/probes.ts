/**
 * Role probes for load balancers and Kubernetes, GET and HEAD, never behind a token:
 * 200 when the node is what the probe asks, else 503, with a small JSON body saying why.
 */
import { Router } from 'express';
import type { StatusSource } from '../../controller/status';

export function probeRoutes(source: StatusSource, stallAfterMs: number): Router {
  const r = Router();
  r.get('/leader', (_req, res) => {
    const s = source.status();
    const ok = s.node.role === 'leader' && s.jenkins.ready;
    res.status(ok ? 200 : 503).json({ ok, role: s.node.role, jenkinsReady: s.jenkins.ready });
  });
  r.get('/standby', (_req, res) => {
    const s = source.status();
    const ineligible = s.eligibility !== undefined && !s.eligibility.eligible;
    const ok = s.node.role === 'standby' && !ineligible;
    res.status(ok ? 200 : 503).json({ ok, role: s.node.role, ...(ineligible ? { reasons: s.eligibility?.reasons ?? [] } : {}) });
  });
  r.get('/health', (_req, res) => {
    const lag = source.msSinceLastCycle();
    const ok = lag <= stallAfterMs;
    res.status(ok ? 200 : 503).json({ ok, role: source.status().node.role, loopLagMs: Math.round(lag) });
  });
  r.get('/readiness', (_req, res) => {
    const s = source.status();
    const ok = (s.node.role === 'leader' && s.jenkins.ready) || s.node.role === 'standby';
    res.status(ok ? 200 : 503).json({ ok, role: s.node.role, jenkinsReady: s.jenkins.ready });
  });
  return r;
}
