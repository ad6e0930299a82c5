/**
 * Jenkins readiness/liveness probe: `GET <url>/login` must answer (< 400) with an `X-Jenkins`
 * header and, when jenkins.user/apiToken are configured, an authenticated `/whoAmI/api/json`
 * must answer 200 naming that user (Jenkins' security realm is up, not just its web server).
 * A live pid with a dead web server is not healthy.
 *
 * Plain node:http/https rather than fetch(): fetch loads undici (~6 MB of resident memory in an
 * otherwise idle controller), and a probe needs one request without keep-alive.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { errorMessage } from '../errors';
import type { JenkinsClient } from './client';

export interface ProbeResult {
  ok: boolean;
  status?: number;
  version?: string;
  error?: string;
}

/** probeLogin, then (with credentials) whoAmI through `client`. */
export async function probeJenkins(baseUrl: string, timeoutMs: number, client?: JenkinsClient, user?: string): Promise<ProbeResult> {
  const r = await probeLogin(baseUrl, timeoutMs);
  if (!r.ok || !client?.authenticated) return r;
  try {
    const who = await client.whoAmI();
    if (who.name === user) return r;
    return { ...r, ok: false, error: `whoAmI answers ${who.anonymous ? 'anonymous' : `user ${who.name}`}, not ${user ?? '?'}` };
  } catch (err) {
    return { ...r, ok: false, error: `whoAmI: ${errorMessage(err)}` };
  }
}

export function probeLogin(baseUrl: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(baseUrl.replace(/\/+$/, '') + '/login');
    } catch {
      resolve({ ok: false, error: `bad URL ${baseUrl}` });
      return;
    }
    const lib = url.protocol === 'https:' ? https : http;
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = lib.request(url, { method: 'GET', agent: false, headers: { Connection: 'close' } }, (res) => {
      res.resume(); // drain: we only need the status and headers
      const header = res.headers['x-jenkins'];
      const version = Array.isArray(header) ? header[0] : header;
      const status = res.statusCode ?? 0;
      const ok = status < 400 && version !== undefined;
      finish({
        ok,
        status,
        ...(version !== undefined ? { version } : {}),
        ...(ok ? {} : { error: version === undefined ? `HTTP ${status} without X-Jenkins header` : `HTTP ${status}` }),
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, error: err.code ?? err.message }));
    req.end();
  });
}
