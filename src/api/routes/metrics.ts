/** GET /metrics: Prometheus text (guarded by api.readToken when set). */
import { Router, type RequestHandler } from 'express';
import type { Metrics } from '../metrics';

export function metricsRoutes(metrics: Metrics, guard: RequestHandler): Router {
  const r = Router();
  r.get('/metrics', guard, async (_req, res) => {
    const body = await metrics.text();
    res.set('Content-Type', metrics.contentType).send(body);
  });
  return r;
}
