/**
 * The hot read paths without express: GET/HEAD of the role probes, /status and /members. Load
 * balancers and dashboards poll these many times a second, and express' per-request machinery
 * costs more than the answer (measured on the 2-vCPU VM: ~4,000 req/s through express against
 * ~17,000 for the same body from node:http). Only the success path is served here; anything
 * else (a missing or wrong read token, other methods, other paths) falls through to express, so
 * errors keep one format and one implementation.
 *
 * The requests of one event-loop turn share one snapshot, and /status and /members one
 * serialized body each (src/api/turn-cache.ts): building and serializing the snapshot per request
 * cost more than the rest of the answer (docs/benchmarks.md, "2026-12-07: status API throughput").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatusSnapshot, StatusSource } from '../controller/status';
import { readTokenAccepted } from './auth';
import { PROBE_PATHS, probe, type ProbePath } from './routes/probes';
import { perTurn } from './turn-cache';

export interface FastOptions {
  readToken: string;
  token: string;
  stallAfterMs: number;
}

/** Returns a handler that answers and returns true, or returns false to pass the request on. */
export function fastReads(source: StatusSource, opts: FastOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const probes = new Set<string>(PROBE_PATHS);
  const snapshot = perTurn(() => source.status());
  const turnSource: StatusSource = { status: snapshot, msSinceLastCycle: () => source.msSinceLastCycle(), onEvent: (l) => source.onEvent(l) };
  const statusBody = perTurn(() => json(snapshot()));
  const membersBody = perTurn(() => json(snapshot().members));
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (probes.has(path)) {
      const a = probe(path as ProbePath, turnSource, opts.stallAfterMs);
      send(req, res, a.status, json(a.body));
      return true;
    }
    if (path !== '/status' && path !== '/members') return false;
    if (!readTokenAccepted(req.headers.authorization, opts.readToken, opts.token)) return false;
    send(req, res, 200, path === '/status' ? statusBody() : membersBody());
    return true;
  };
}

/** A JSON body and its length in bytes. */
interface Json {
  text: string;
  bytes: number;
}

function json(body: StatusSnapshot | StatusSnapshot['members'] | Record<string, unknown>): Json {
  const text = JSON.stringify(body);
  return { text, bytes: Buffer.byteLength(text) };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: Json): void {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': body.bytes,
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body.text);
}
