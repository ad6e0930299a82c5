/**
 * Jenkins readiness/liveness probe: `GET <url>/login` must answer (< 400) with an `X-Jenkins`
 * header. A live pid with a dead web server is not healthy.
 *
 * Plain node:http/https rather than fetch(): fetch loads undici (~6 MB of resident memory in an
 * otherwise idle controller), and a probe needs one request without keep-alive.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export interface ProbeResult {
  ok: boolean;
  status?: number;
  version?: string;
  error?: string;
}

export function probeJenkins(baseUrl: string, timeoutMs: number): Promise<ProbeResult> {
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
