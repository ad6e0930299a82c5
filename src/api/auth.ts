/**
 * Bearer tokens. Writes (POST/DELETE) need `api.token`; with none configured they answer 403
 * (the API is read-only until an operator sets one). Reads need `api.readToken` when it is set
 * (api.token is accepted there too); the role probes never need a token.
 *
 * Tokens are compared in constant time: both sides are hashed to 32 bytes first, so neither the
 * content nor the length of the configured token leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './errors';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time equality of two strings (of any lengths). */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header value, or null. */
export function parseBearer(h: string | undefined): string | null {
  if (h === undefined) return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(h);
  return m?.[1] ?? null;
}

/** The token of a request's `Authorization: Bearer <token>` header, or null. */
export function bearerToken(req: Request): string | null {
  return parseBearer(req.get('authorization'));
}

/**
 * Whether a read may proceed: no read token configured, or the header carries api.readToken or
 * api.token. Every candidate is compared (no short-circuit).
 */
export function readTokenAccepted(header: string | undefined, readToken: string, token: string): boolean {
  if (readToken === '') return true;
  const given = parseBearer(header);
  if (given === null) return false;
  let ok = false;
  for (const t of token === '' ? [readToken] : [readToken, token]) ok = tokensEqual(given, t) || ok;
  return ok;
}

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="jenkins-ha"' };

function check(req: Request, accepted: readonly string[], what: string): void {
  const given = bearerToken(req);
  if (given === null) throw new HttpError(401, 'UNAUTHORIZED', `missing bearer token: send Authorization: Bearer <${what}>`, CHALLENGE);
  // Evaluate every candidate (no short-circuit) so timing does not tell which one matched.
  let ok = false;
  for (const t of accepted) ok = tokensEqual(given, t) || ok;
  if (!ok) throw new HttpError(401, 'UNAUTHORIZED', `invalid bearer token (expected ${what})`, CHALLENGE);
}

/** Guards POST/DELETE: api.token must be configured and presented. */
export function requireWriteToken(token: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (token === '') {
      throw new HttpError(
        403,
        'FORBIDDEN',
        'no api.token configured: this node accepts no commands; set api.token (env JHA_API_TOKEN) to enable POST and DELETE',
      );
    }
    check(req, [token], 'api.token');
    next();
  };
}

/** Guards the read endpoints when api.readToken is set (api.token is accepted too). */
export function requireReadToken(readToken: string, token: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (readToken === '') return next();
    check(req, token === '' ? [readToken] : [readToken, token], 'api.readToken');
    next();
  };
}
