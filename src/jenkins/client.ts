/**
 * A small client of Jenkins' own HTTP API: quiet-down (drain), running builds, who am I. Plain
 * node:http/https (no fetch: see health.ts), one request per call without keep-alive, every call
 * bounded by a timeout, failures as JenkinsApiError with a stable code.
 *
 * Authentication: HTTP basic with jenkins.user + jenkins.apiToken when configured. CSRF: a POST
 * that Jenkins refuses with 403 is retried once with a crumb from /crumbIssuer/api/json (and the
 * session cookie that came with it, since Jenkins binds crumbs to the web session).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { JenkinsApiError } from '../errors';

export interface JenkinsCredentials {
  user: string;
  apiToken: string;
}

export interface RunningBuild {
  name: string;
  url: string;
}

export interface BuildsReport {
  /** Distinct builds on regular and one-off (flyweight, e.g. Pipeline) executors. */
  running: number;
  /** Jenkins' own busyExecutors count (regular executors only), when it says. */
  busyExecutors: number | null;
  builds: RunningBuild[];
}

export interface WhoAmI {
  name: string;
  anonymous: boolean;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const MAX_BODY = 1024 * 1024;

/** `tree` of /computer/api/json: the executors' current builds, regular and one-off. */
export const COMPUTER_TREE =
  'busyExecutors,computer[executors[currentExecutable[url,fullDisplayName]],oneOffExecutors[currentExecutable[url,fullDisplayName]]]';

export class JenkinsClient {
  private readonly base: string;
  private crumb: { field: string; value: string; cookie: string | null } | null = null;

  constructor(
    baseUrl: string,
    private readonly credentials: JenkinsCredentials | null,
    private readonly timeoutMs: number,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  /** Whether calls are authenticated (jenkins.user + jenkins.apiToken configured). */
  get authenticated(): boolean {
    return this.credentials !== null;
  }

  /** POST /quietDown: Jenkins starts no new builds; running ones continue. */
  async quietDown(): Promise<void> {
    await this.post('/quietDown');
  }

  /** POST /cancelQuietDown: back to normal. */
  async cancelQuietDown(): Promise<void> {
    await this.post('/cancelQuietDown');
  }

  /** The builds running right now (from /computer/api/json). */
  async runningBuilds(): Promise<BuildsReport> {
    const a = await this.send('GET', `/computer/api/json?tree=${encodeURIComponent(COMPUTER_TREE)}`);
    this.expectOk(a, 'GET /computer/api/json');
    return parseComputers(parseJson(a.body, 'GET /computer/api/json'));
  }

  /** GET /whoAmI/api/json: the user Jenkins sees for our credentials. */
  async whoAmI(): Promise<WhoAmI> {
    const a = await this.send('GET', '/whoAmI/api/json');
    this.expectOk(a, 'GET /whoAmI/api/json');
    const v = parseJson(a.body, 'GET /whoAmI/api/json');
    const name = typeof v.name === 'string' ? v.name : '';
    return { name, anonymous: v.anonymous === true || name === 'anonymous' };
  }

  private async post(path: string): Promise<void> {
    let a = await this.send('POST', path, this.crumbHeaders());
    if (a.status === 403) {
      // Jenkins asks for a crumb (CSRF protection): fetch one and try once more.
      this.crumb = await this.fetchCrumb();
      if (this.crumb) a = await this.send('POST', path, this.crumbHeaders());
    }
    // Jenkins answers a successful form POST with a redirect.
    if (a.status >= 200 && a.status < 400) return;
    this.expectOk(a, `POST ${path}`);
  }

  private crumbHeaders(): Record<string, string> {
    if (!this.crumb) return {};
    return { [this.crumb.field]: this.crumb.value, ...(this.crumb.cookie ? { Cookie: this.crumb.cookie } : {}) };
  }

  private async fetchCrumb(): Promise<{ field: string; value: string; cookie: string | null } | null> {
    const a = await this.send('GET', '/crumbIssuer/api/json');
    if (a.status === 404) return null; // no crumb issuer: the 403 was not about CSRF
    this.expectOk(a, 'GET /crumbIssuer/api/json');
    const v = parseJson(a.body, 'GET /crumbIssuer/api/json');
    if (typeof v.crumb !== 'string' || typeof v.crumbRequestField !== 'string') {
      throw new JenkinsApiError('JENKINS_HTTP', 'GET /crumbIssuer/api/json: no crumb in the answer', a.status);
    }
    const cookies = (a.headers['set-cookie'] ?? []).map((c) => c.split(';')[0] ?? '').filter((c) => c !== '');
    return { field: v.crumbRequestField, value: v.crumb, cookie: cookies.length > 0 ? cookies.join('; ') : null };
  }

  private expectOk(a: Answer, what: string): void {
    if (a.status >= 200 && a.status < 300) return;
    const detail = a.body.trim().split('\n')[0]?.slice(0, 200) ?? '';
    if (a.status === 401 || a.status === 403) {
      throw new JenkinsApiError('JENKINS_AUTH', `${what}: HTTP ${a.status}${this.credentials ? ` for user ${this.credentials.user}` : ' (no jenkins.user/apiToken configured)'}${detail ? `: ${detail}` : ''}`, a.status);
    }
    throw new JenkinsApiError('JENKINS_HTTP', `${what}: HTTP ${a.status}${detail ? `: ${detail}` : ''}`, a.status);
  }

  private send(method: 'GET' | 'POST', path: string, extra: Record<string, string> = {}): Promise<Answer> {
    const url = new URL(this.base + path);
    const lib = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { Connection: 'close', Accept: 'application/json', ...extra };
    if (this.credentials) {
      headers.Authorization = `Basic ${Buffer.from(`${this.credentials.user}:${this.credentials.apiToken}`).toString('base64')}`;
    }
    if (method === 'POST') headers['Content-Length'] = '0';
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err: JenkinsApiError | null, a?: Answer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else if (a) resolve(a);
      };
      const req = lib.request(url, { method, agent: false, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_BODY) chunks.push(c);
        });
        res.on('end', () => finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => finish(new JenkinsApiError('JENKINS_UNREACHABLE', `${method} ${path}: ${e.message}`)));
      });
      const timer = setTimeout(() => {
        req.destroy();
        finish(new JenkinsApiError('JENKINS_TIMEOUT', `${method} ${path}: no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => finish(new JenkinsApiError('JENKINS_UNREACHABLE', `${method} ${path}: ${e.code ?? e.message}`)));
      req.end();
    });
  }
}

function parseJson(body: string, what: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new JenkinsApiError('JENKINS_HTTP', `${what}: the answer is not a JSON object`);
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Builds of /computer/api/json (tree COMPUTER_TREE), each counted once. Pure. */
export function parseComputers(v: Record<string, unknown>): BuildsReport {
  const seen = new Map<string, RunningBuild>();
  for (const c of asArray(v.computer)) {
    if (typeof c !== 'object' || c === null) continue;
    const comp = c as Record<string, unknown>;
    for (const e of [...asArray(comp.executors), ...asArray(comp.oneOffExecutors)]) {
      const cur = typeof e === 'object' && e !== null ? (e as Record<string, unknown>).currentExecutable : null;
      if (typeof cur !== 'object' || cur === null) continue;
      const b = cur as Record<string, unknown>;
      const url = typeof b.url === 'string' ? b.url : '';
      const name = typeof b.fullDisplayName === 'string' ? b.fullDisplayName : url;
      seen.set(url || name, { name, url });
    }
  }
  return {
    running: seen.size,
    busyExecutors: typeof v.busyExecutors === 'number' ? v.busyExecutors : null,
    builds: [...seen.values()],
  };
}
