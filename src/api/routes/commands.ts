/**
 * Intents: POST/DELETE /switchover, POST /pause, POST /resume. Each needs api.token; bodies are
 * validated strictly, then handed to the controller, which records the intent in ZooKeeper (the
 * loops act on it). CommandError codes become HTTP statuses in ../errors.ts.
 */
import { Router, type RequestHandler } from 'express';
import type { ControlCommands } from '../../controller/status';
import { actor, jsonBody, validateBody } from '../body';

/** Longest pause: 7 days. */
export const MAX_PAUSE_SECONDS = 7 * 24 * 3600;
const TEXT = { type: 'string', maxLength: 1000 } as const;

export function commandRoutes(commands: ControlCommands, guard: RequestHandler, bodyLimit: string): Router {
  const r = Router();
  const json = jsonBody(bodyLimit);

  r.post('/switchover', guard, json, async (req, res) => {
    const b = validateBody(req.body, { candidate: { type: 'string', maxLength: 63 }, reason: TEXT, at: { type: 'string', maxLength: 64 } });
    const intent = await commands.requestSwitchover({
      ...(typeof b.at === 'string' ? { at: b.at } : {}),
      ...(typeof b.candidate === 'string' ? { candidate: b.candidate } : {}),
      ...(typeof b.reason === 'string' ? { reason: b.reason } : {}),
      by: actor(req),
    });
    res.status(202).json(intent);
  });

  r.delete('/switchover', guard, json, async (req, res) => {
    validateBody(req.body, {});
    res.json(await commands.cancelSwitchover(actor(req)));
  });

  r.post('/pause', guard, json, async (req, res) => {
    const b = validateBody(req.body, { ttlSeconds: { type: 'positive-int', max: MAX_PAUSE_SECONDS }, reason: TEXT, drain: { type: 'boolean' } });
    res.json(
      await commands.pause({
        ...(typeof b.ttlSeconds === 'number' ? { ttlSeconds: b.ttlSeconds } : {}),
        ...(b.drain === true ? { drain: true } : {}),
        ...(typeof b.reason === 'string' ? { reason: b.reason } : {}),
        by: actor(req),
      }),
    );
  });

  r.post('/resume', guard, json, async (req, res) => {
    validateBody(req.body, {});
    res.json(await commands.resume(actor(req)));
  });
  return r;
}
