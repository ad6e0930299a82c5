/**
 * The hot read paths without express: GET/HEAD of the role probes, /status and /members. Load
 * balancers and dashboards poll these many times a second, and express' per-request machinery
 * costs more than the answer (measured on the 2-vCPU VM: ~4,000 req/s through express against
 * ~17,000 for the same body from node:http). Only the success path is served here; anything
 * else (a missing or wrong read token, other methods, other paths) falls through to express, so
 * errors keep one format and one implementation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatusSource } from '../controller/status';
import { readTokenAccepted } from './auth';
import { PROBE_PATHS, probe, type ProbePath } from './routes/probes';

export interface FastOptions {
  readToken: string;
  token: string;
  stallAfterMs: number;
}

/** Returns a handler that answers and returns true, or returns false to pass the request on. */
export function fastReads(source: StatusSource, opts: FastOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const probes = new Set<string>(PROBE_PATHS);
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (probes.has(path)) {
      const a = probe(path as ProbePath, source, opts.stallAfterMs);
      send(req, res, a.status, a.body);
      return true;
    }
    if (path !== '/status' && path !== '/members') return false;
    if (!readTokenAccepted(req.headers.authorization, opts.readToken, opts.token)) return false;
    const s = source.status();
    send(req, res, 200, path === '/status' ? s : s.members);
    return true;
  };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : json);
}
