/**
 * Test-side calls: a node's jenkins-ha API (responses checked against docs/openapi.yaml) and the
 * Jenkins stand-in's test endpoints (start a build, read its state).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HaNode } from './ha-node';
import { OpenApiChecker } from './openapi';

export interface Answer {
  status: number;
  body: unknown;
}

/** The checker of every api() response of the test file (its `seen` lists what was checked). */
export const checker = new OpenApiChecker();

/** One request to a node's API; the response is checked against docs/openapi.yaml. */
export async function api(node: HaNode, method: 'GET' | 'HEAD' | 'POST' | 'DELETE', p: string, o: { token?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${node.opts.apiPort}${p}`, {
    method,
    headers,
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? undefined;
  const body: unknown = type?.startsWith('application/json') && text !== '' ? JSON.parse(text) : text;
  checker.check(method, new URL(p, 'http://x').pathname, res.status, type, body);
  return { status: res.status, body };
}

/** Start a build on the stand-in that finishes after `ms`. */
export async function startBuild(port: number, ms: number, name: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/test/build?ms=${ms}&name=${encodeURIComponent(name)}`, { method: 'POST', signal: AbortSignal.timeout(5000) });
  await res.text();
  return res.status;
}

export async function standinInfo(port: number): Promise<{ pid: number; quietingDown: boolean; builds: number } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/standin/info`, { signal: AbortSignal.timeout(2000) });
    return res.status === 200 ? ((await res.json()) as { pid: number; quietingDown: boolean; builds: number }) : null;
  } catch {
    return null;
  }
}

/**
 * The stand-in's API credentials, its token in a file as a real Jenkins keeps it (in its home, not
 * its environment): jenkins-ha scrubs every variable holding a secret value, jenkins.apiToken's
 * included, from the environment of the Jenkins it starts.
 */
export function standinAuthEnv(user: string, token: string): { STANDIN_USER: string; STANDIN_TOKEN_FILE: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-standin-token-'));
  const file = path.join(dir, 'token');
  fs.writeFileSync(file, token, { mode: 0o644 });
  return { STANDIN_USER: user, STANDIN_TOKEN_FILE: file };
}
