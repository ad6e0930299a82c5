/** GET /, /page.css, /page.js, /status, /members, /history: read-only views (guarded by api.readToken when set). */
import { Router, type RequestHandler } from 'express';
import type { ControlCommands, StatusSource } from '../../controller/status';
import { HttpError } from '../errors';
import { STATUS_PAGE_CSS, STATUS_PAGE_HTML, STATUS_PAGE_JS } from '../page';

export const HISTORY_DEFAULT = 50;
export const HISTORY_MAX = 200;

/** `?limit=N`: absent -> default; otherwise a plain integer 1..HISTORY_MAX. */
export function parseLimit(raw: unknown): number {
  if (raw === undefined) return HISTORY_DEFAULT;
  if (typeof raw !== 'string' || !/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > HISTORY_MAX) {
    throw new HttpError(400, 'BAD_REQUEST', `limit must be an integer between 1 and ${HISTORY_MAX}`);
  }
  return Number(raw);
}

export function readRoutes(source: StatusSource, commands: ControlCommands, guard: RequestHandler): Router {
  const r = Router();
  r.get('/', guard, (_req, res) => {
    res.type('html').send(STATUS_PAGE_HTML);
  });
  r.get('/page.css', guard, (_req, res) => {
    res.type('css').send(STATUS_PAGE_CSS);
  });
  r.get('/page.js', guard, (_req, res) => {
    res.type('js').send(STATUS_PAGE_JS);
  });
  r.get('/status', guard, (_req, res) => {
    res.json(source.status());
  });
  r.get('/members', guard, (_req, res) => {
    res.json(source.status().members);
  });
  r.get('/history', guard, async (req, res) => {
    const limit = parseLimit(req.query.limit);
    res.json(await commands.history(limit));
  });
  return r;
}
