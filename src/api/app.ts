/**
 * The HTTP surface: thin handlers over the controller's in-memory status snapshot (never a
 * ZooKeeper round trip per request). Role probes answer 200/503 for load balancers; GET and HEAD.
 * The only importer of express.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { StatusSource } from '../controller/status';

export interface AppOptions {
  /** The control loop counts as stalled when its last cycle is older than this. */
  stallAfterMs: number;
}

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

export function createApp(source: StatusSource, opts: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/status', (_req, res) => {
    res.json(source.status());
  });

  app.get('/health', (_req, res) => {
    const lag = source.msSinceLastCycle();
    const ok = lag <= opts.stallAfterMs;
    res.status(ok ? 200 : 503).json({ ok, loopLagMs: Math.round(lag) });
  });

  app.get('/leader', (_req, res) => {
    const s = source.status();
    const ok = s.node.role === 'leader' && s.jenkins.ready;
    res.status(ok ? 200 : 503).json({ ok, role: s.node.role, jenkinsReady: s.jenkins.ready });
  });

  app.get('/standby', (_req, res) => {
    const s = source.status();
    const ok = s.node.role === 'standby';
    res.status(ok ? 200 : 503).json({ ok, role: s.node.role });
  });

  app.use((req: Request, res: Response) => fail(res, 404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`));
  // Four arguments mark an error handler for express.
  app.use((_err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    void _next;
    fail(res, 500, 'INTERNAL', 'internal error');
  });
  return app;
}
