/**
 * The HTTP surface: thin handlers over the controller's in-memory status snapshot (never a
 * ZooKeeper round trip per status request) and its commands. Role probes answer 200/503 for load
 * balancers, GET and HEAD, without a token.
 *
 * Errors are JSON `{ "error": { "code", "message" } }` everywhere: unknown paths 404, wrong
 * methods 405 (with Allow), bad bodies 400, oversized bodies 413, CommandErrors by their code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ControlCommands, StatusSource } from '../controller/status';
import { requireReadToken, requireWriteToken } from './auth';
import { errorHandler, sendError } from './errors';
import { fastReads } from './fast';
import { createMetrics, type HookCounts } from './metrics';
import { commandRoutes } from './routes/commands';
import { metricsRoutes } from './routes/metrics';
import { readRoutes } from './routes/read';

export interface AppOptions {
  /** Bearer token of POST/DELETE; empty = those answer 403. */
  token: string;
  /** Bearer token of the read endpoints (not the probes); empty = open. */
  readToken: string;
  /** The control loop counts as stalled when its last cycle is older than this. */
  stallAfterMs: number;
  /** Largest JSON body (body-parser syntax); default 16kb. */
  bodyLimit?: string;
  /** Collect prom-client's default process metrics (default true). */
  defaultMetrics?: boolean;
  /** Called with unexpected errors (answered as 500 INTERNAL without details). */
  onInternalError?: (err: unknown) => void;
  /** Counters of the role-change hooks, for /metrics (absent = no hook metrics). */
  hookStats?: () => readonly HookCounts[];
}

/** Every path and its methods (HEAD goes with GET); other methods on these paths answer 405. */
export const ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/': ['GET', 'HEAD'],
  '/page.css': ['GET', 'HEAD'],
  '/page.js': ['GET', 'HEAD'],
  '/status': ['GET', 'HEAD'],
  '/members': ['GET', 'HEAD'],
  '/history': ['GET', 'HEAD'],
  '/metrics': ['GET', 'HEAD'],
  '/leader': ['GET', 'HEAD'],
  '/standby': ['GET', 'HEAD'],
  '/health': ['GET', 'HEAD'],
  '/readiness': ['GET', 'HEAD'],
  '/switchover': ['POST', 'DELETE'],
  '/pause': ['POST'],
  '/resume': ['POST'],
  '/failover': ['POST'],
};

/** A node:http request listener: the fast read paths (src/api/fast.ts), then the express app. */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The API as served: what main.ts listens with and what the tests drive. */
export function createHandler(source: StatusSource, commands: ControlCommands, opts: AppOptions): ApiHandler {
  const app = createApp(source, commands, opts);
  const fast = fastReads(source, { readToken: opts.readToken, token: opts.token, stallAfterMs: opts.stallAfterMs });
  return (req, res) => {
    if (!fast(req, res)) app(req, res);
  };
}

/**
 * The express part: everything but the success path of the hot reads (which src/api/fast.ts
 * answers first). Use createHandler(); this is exported for it alone.
 */
export function createApp(source: StatusSource, commands: ControlCommands, opts: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  const read = requireReadToken(opts.readToken, opts.token);
  const write = requireWriteToken(opts.token);
  const metrics = createMetrics(source, {
    defaultMetrics: opts.defaultMetrics !== false,
    ...(opts.hookStats ? { hookStats: opts.hookStats } : {}),
  });

  app.use(readRoutes(source, commands, read));
  app.use(metricsRoutes(metrics, read));
  app.use(commandRoutes(commands, write, opts.bodyLimit ?? '16kb'));

  for (const [path, methods] of Object.entries(ROUTES)) {
    app.all(path, (req: Request, res: Response) => {
      res.set('Allow', methods.join(', '));
      sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path} (allowed: ${methods.join(', ')})`);
    });
  }
  app.use((req: Request, res: Response) => sendError(res, 404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`));
  app.use(errorHandler(opts.onInternalError));
  return app;
}
