/**
 * Debian's haproxy on loopback for integration tests: a config of its own in a temp dir, a
 * random frontend port, one backend server per node with `option httpchk GET /leader` against
 * the node's API port (the same shape as docker/haproxy.cfg). Always stop() what you start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from './wait';
import { freePortBlock } from './zk';

export const HAPROXY = '/usr/sbin/haproxy';

export interface Backend {
  name: string;
  /** Jenkins' HTTP port on 127.0.0.1. */
  port: number;
  /** The node's API port: HAProxy's health check asks GET /leader there. */
  checkPort: number;
}

export interface Haproxy {
  port: number;
  config: string;
  /** What haproxy printed (stderr + stdout). */
  output(): string;
  stop(): Promise<void>;
}

/** The config: a check every `interMs`; one failed check takes a server out, one good one in. */
export function haproxyConfig(frontendPort: number, backends: readonly Backend[], interMs: number): string {
  return [
    'global',
    '  maxconn 256',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 10s',
    '  timeout server 10s',
    '  timeout check 1s',
    // No retries: a request that hits a server that just died answers 503 at once instead of
    // waiting for HAProxy's 1 s turn-around, so the test sees the switch when it happens.
    '  retries 0',
    '',
    'frontend jenkins',
    `  bind 127.0.0.1:${frontendPort}`,
    '  default_backend jenkins_active',
    '',
    'backend jenkins_active',
    '  option httpchk GET /leader',
    '  http-check expect status 200',
    `  default-server inter ${interMs} fastinter ${interMs} downinter ${interMs} fall 1 rise 1`,
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check port ${b.checkPort}`),
    '',
  ].join('\n');
}

/** `haproxy -c -f file`: exit status and output. */
export function checkConfig(file: string): { status: number | null; output: string } {
  const r = spawnSync(HAPROXY, ['-c', '-f', file], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startHaproxy(backends: readonly Backend[], interMs = 200): Promise<Haproxy> {
  if (!fs.existsSync(HAPROXY)) throw new Error(`${HAPROXY} is missing: run scripts/dev/install-haproxy.sh (npm test's pretest does)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-haproxy-'));
  const port = await freePortBlock(1);
  const config = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(config, haproxyConfig(port, backends, interMs));
  const checked = checkConfig(config);
  if (checked.status !== 0) throw new Error(`haproxy -c rejected the config:\n${checked.output}`);
  let out = '';
  // -db: foreground, no daemon; the process is ours to stop.
  const proc: ChildProcess = spawn(HAPROXY, ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    proc.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  await waitFor(
    async () => {
      if (exited) throw new Error(`haproxy exited:\n${out}`);
      return accepts(port);
    },
    { timeoutMs: 10000, what: `haproxy to listen on ${port}` },
  );
  return {
    port,
    config,
    output: () => out,
    async stop() {
      if (!exited) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
        await exit;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
