/**
 * HTTP calls of the CLI to the controllers' APIs: GET /status of a member (short timeout), and
 * the commands (POST/DELETE with `Authorization: Bearer <api.token>`). API errors
 * (`{ error: { code, message } }`) become ApiError with "409 CONFLICT: <message>".
 */
import type { StatusSnapshot } from '../controller/status';
import { errorMessage } from '../errors';

export const STATUS_TIMEOUT_MS = 1000;
export const COMMAND_TIMEOUT_MS = 5000;

/** The API answered with an error status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    readonly url: string,
  ) {
    super(`${status} ${code}: ${apiMessage}`);
    this.name = 'ApiError';
  }
}

/** The API could not be reached (refused, timed out, not HTTP). */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    why: string,
  ) {
    super(`${url}: ${why}`);
    this.name = 'UnreachableError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why fetch failed, in a few words (ECONNREFUSED, timed out after 1000 ms, ...). */
export function fetchFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  if (isRecord(cause) && typeof cause.code === 'string') return cause.code;
  if (cause instanceof Error) return cause.message;
  return errorMessage(err);
}

/** Turns an HTTP error response into an ApiError (uses the JSON error body when there is one). */
export function apiErrorOf(status: number, body: unknown, url: string): ApiError {
  if (isRecord(body) && isRecord(body.error)) {
    const code = typeof body.error.code === 'string' ? body.error.code : 'ERROR';
    const message = typeof body.error.message === 'string' ? body.error.message : JSON.stringify(body.error);
    return new ApiError(status, code, message, url);
  }
  return new ApiError(status, 'HTTP_ERROR', `unexpected answer from ${url}`, url);
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  token?: string;
  timeoutMs?: number;
}

/** One JSON request. Throws UnreachableError or ApiError; returns the parsed body on 2xx. */
export async function requestJson(url: string, opts: RequestOptions): Promise<unknown> {
  const timeoutMs = opts.timeoutMs ?? COMMAND_TIMEOUT_MS;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token !== undefined && opts.token !== '') headers.authorization = `Bearer ${opts.token}`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: opts.method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    throw new UnreachableError(url, fetchFailure(err, timeoutMs));
  }
  let body: unknown = null;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!res.ok) throw apiErrorOf(res.status, body, url);
  return body;
}

export type MemberStatus = { ok: true; status: StatusSnapshot } | { ok: false; error: string };

/** GET <apiUrl>/status with a short timeout (and the read token, if any); never throws. */
export async function fetchStatus(apiUrl: string, token = '', timeoutMs = STATUS_TIMEOUT_MS): Promise<MemberStatus> {
  if (apiUrl === '') return { ok: false, error: 'no API URL in its znode' };
  try {
    const body = await requestJson(`${apiUrl.replace(/\/+$/, '')}/status`, { method: 'GET', timeoutMs, token });
    if (!isRecord(body) || !isRecord(body.node) || !isRecord(body.jenkins)) return { ok: false, error: 'not a status snapshot' };
    return { ok: true, status: body as unknown as StatusSnapshot };
  } catch (err) {
    return { ok: false, error: err instanceof UnreachableError ? err.message : errorMessage(err) };
  }
}
