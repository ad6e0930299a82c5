/**
 * The Jenkins version another member runs, from its API's GET /status (`jenkins.version`, the
 * X-Jenkins header its probe saw). Null when it does not answer, runs no ready Jenkins, or does
 * not say: the eligibility check then reports the version as unknown.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export function peerJenkinsVersion(apiUrl: string, token: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(apiUrl.replace(/\/+$/, '') + '/status');
    } catch {
      resolve(null);
      return;
    }
    const lib = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { Connection: 'close', Accept: 'application/json' };
    if (token !== '') headers.Authorization = `Bearer ${token}`;
    const req = lib.request(url, { method: 'GET', agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 1024 * 1024) body += c;
      });
      res.on('end', () => {
        clearTimeout(timer);
        try {
          const s = JSON.parse(body) as { jenkins?: { version?: unknown; ready?: unknown } };
          resolve(res.statusCode === 200 && s.jenkins?.ready === true && typeof s.jenkins.version === 'string' ? s.jenkins.version : null);
        } catch {
          resolve(null);
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(null);
    }, timeoutMs);
    req.on('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
    req.end();
  });
}
