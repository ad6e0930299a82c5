/**
 * Strict validation of small JSON request bodies: an object (or no body at all), only the known
 * fields, each of the right type. Anything else is a 400 that names the field.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { HttpError } from './errors';

export type FieldType = 'string' | 'positive-int' | 'boolean';

export interface FieldSpec {
  type: FieldType;
  /** Inclusive upper bound of a positive-int. */
  max?: number;
  /** Longest accepted string. */
  maxLength?: number;
}

export type BodySpec = Readonly<Record<string, FieldSpec>>;

/** express.json with the size limit; a body that is not JSON (by its Content-Type) is a 415. */
export function jsonBody(limit: string) {
  const parse = express.json({ limit, strict: true });
  return (req: Request, res: Response, next: NextFunction): void => {
    const hasBody = req.get('content-length') !== undefined ? req.get('content-length') !== '0' : req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'request bodies must be JSON (Content-Type: application/json)');
    }
    parse(req, res, next);
  };
}

/** Validates `req.body` against `spec`; returns the accepted fields (absent ones left out). */
export function validateBody(body: unknown, spec: BodySpec): Record<string, string | number | boolean> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'BAD_REQUEST', 'the body must be a JSON object');
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const f = spec[k];
    if (f === undefined) {
      const known = Object.keys(spec);
      throw new HttpError(400, 'BAD_REQUEST', `unknown field "${k}"${known.length ? ` (allowed: ${known.join(', ')})` : ' (this endpoint takes no fields)'}`);
    }
    if (f.type === 'string') {
      if (typeof v !== 'string') throw new HttpError(400, 'BAD_REQUEST', `field "${k}" must be a string`);
      if (f.maxLength !== undefined && v.length > f.maxLength) {
        throw new HttpError(400, 'BAD_REQUEST', `field "${k}" must be at most ${f.maxLength} characters`);
      }
      out[k] = v;
    } else if (f.type === 'boolean') {
      if (typeof v !== 'boolean') throw new HttpError(400, 'BAD_REQUEST', `field "${k}" must be true or false`);
      out[k] = v;
    } else {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || (f.max !== undefined && v > f.max)) {
        throw new HttpError(400, 'BAD_REQUEST', `field "${k}" must be an integer between 1 and ${f.max ?? Number.MAX_SAFE_INTEGER}`);
      }
      out[k] = v;
    }
  }
  return out;
}

/** Who did it, for history entries: `api@<remote address>`. */
export function actor(req: Request): string {
  return `api@${req.socket.remoteAddress ?? 'unknown'}`;
}
