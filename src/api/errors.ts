/**
 * JSON errors of the HTTP API: always `{ "error": { "code", "message" } }`, never a stack trace.
 * CommandError codes from the controller map to HTTP statuses here, in one place.
 */
import type { NextFunction, Request, Response } from 'express';
import { errorCode, errorMessage } from '../errors';

/** An error a handler throws (or passes to next) to answer with a given status and code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** HTTP status of each CommandError code (src/errors.ts). */
export const COMMAND_STATUS: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
};

export function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** body-parser errors carry `type` and a 4xx `status`. */
function bodyParserError(err: unknown): { status: number; type: string } | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { type?: unknown; status?: unknown };
  if (typeof e.type !== 'string' || typeof e.status !== 'number') return null;
  return { status: e.status, type: e.type };
}

/** Turns anything thrown by a handler into a JSON error; unknown errors are 500 INTERNAL. */
export function errorHandler(onInternal: (err: unknown) => void = () => undefined) {
  // Four parameters mark an error handler for express.
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) res.set(k, v);
      sendError(res, err.status, err.code, err.message);
      return;
    }
    const code = errorCode(err);
    const status = code === undefined ? undefined : COMMAND_STATUS[code];
    if (code !== undefined && status !== undefined) {
      sendError(res, status, code, errorMessage(err));
      return;
    }
    const bp = bodyParserError(err);
    if (bp) {
      if (bp.type === 'entity.too.large') return sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'request body too large');
      if (bp.type === 'entity.parse.failed') return sendError(res, 400, 'BAD_REQUEST', 'malformed JSON body');
      if (bp.type === 'encoding.unsupported' || bp.type === 'charset.unsupported') {
        return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding or charset');
      }
      if (bp.status >= 400 && bp.status < 500) return sendError(res, 400, 'BAD_REQUEST', 'unreadable request body');
    }
    onInternal(err);
    sendError(res, 500, 'INTERNAL', 'internal error');
  };
}
