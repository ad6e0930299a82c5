/**
 * Intents: POST/DELETE /switchover, POST /pause, POST /resume, POST /failover (forced failover). Each needs api.token; bodies are
 * validated strictly, then handed to the controller, which records the intent in ZooKeeper (the
 * loops act on it). CommandError codes become HTTP statuses in ../errors.ts.
 */
import { Router, type RequestHandler } from 'express';
import type { ControlCommands } from '../../controller/status';
import { actor, jsonBody, validateBody } from '../body';
import { HttpError } from '../errors';

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

  // Forced failover: a person confirms the previous active is gone (`confirmFenced` and `reason` required).
  r.post('/failover', guard, json, async (req, res) => {
    const b = validateBody(req.body, { confirmFenced: { type: 'string', maxLength: 63 }, reason: TEXT });
    if (typeof b.confirmFenced !== 'string' || b.confirmFenced === '') {
      throw new HttpError(400, 'BAD_REQUEST', 'field "confirmFenced" is required: the id of the node whose host you know to be off');
    }
    if (typeof b.reason !== 'string' || b.reason.trim() === '') {
      throw new HttpError(400, 'BAD_REQUEST', 'field "reason" is required: why you know the node is gone (it goes into the history)');
    }
    res.status(202).json(await commands.confirmFenced({ node: b.confirmFenced, reason: b.reason, by: actor(req) }));
  });

  r.post('/resume', guard, json, async (req, res) => {
    validateBody(req.body, {});
    res.json(await commands.resume(actor(req)));
  });
  return r;
}
