/**
 * The API port is taken before the node joins (src/api/listen.ts, docs/safety.md "Start-up order"):
 * a port another process holds is exit 2 naming api.port and the address, and the node never
 * touched the election; the socket held from before the join serves the API, over HTTPS too.
 * Real ZooKeeper, real controller processes, the journal check after each test (haSuite).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { readJournal } from '../helpers/journal';
import { RawZk } from '../helpers/raw-zk';
import { selfSignedCert } from '../helpers/self-signed';
import { haSuite } from '../helpers/suite';
import { waitFor } from '../helpers/wait';

const suite = haSuite();

test('a busy api.port ends the node with exit 2 naming api.port and the address, before it creates any znode', async () => {
  const port = suite.fx.apiBase;
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  try {
    const a = suite.fx.start('a', { apiPort: port });
    expect(await a.exited).toEqual({ code: 2, signal: null });
    // stderr is read after the exit is seen: wait for its line.
    const said = await waitFor(() => a.logs.find((l) => l.message.includes('configuration error')), { timeoutMs: 5000, what: 'the configuration error on stderr' });
    expect(said.message).toBe(
      `jenkins-ha: configuration error: api.port: 127.0.0.1:${port} is already in use by another process (EADDRINUSE); stop that process, or set api.port (or api.host) to a free address. This node did not join the election`,
    );
    expect(a.events('election.joined')).toEqual([]);
    // Nothing of this cluster in ZooKeeper: no election path (a join makes it), no epoch.
    const zk = await RawZk.connect(suite.zk.connect);
    try {
      expect(await zk.exists(`/jenkins-ha/${a.opts.cluster}`)).toBe(false);
    } finally {
      zk.close();
    }
    expect(readJournal(suite.fx.home)).toEqual([]);
  } finally {
    await new Promise((r) => squatter.close(r));
  }
});

test('the API served from the socket held before the join works over HTTPS', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-tls-'));
  try {
    const { cert, key } = selfSignedCert(dir);
    const a = suite.fx.start('a', { env: { JHA_API_TLS_CERT: cert, JHA_API_TLS_KEY: key }, tlsCa: fs.readFileSync(cert, 'utf8') });
    const s = await a.waitLeaderReady();
    expect(s.node.apiUrl).toBe(`https://127.0.0.1:${a.opts.apiPort}`);
    expect(s.epoch).toBe(1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('api.port 0 advertises the port the kernel chose, in the log and the member record, and serves there', async () => {
  const a = suite.fx.start('a', { apiPort: 0 });
  const started = await waitFor(() => a.events('started')[0], { timeoutMs: 20000, what: 'the started line' });
  const api = String(started.api);
  expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(api.endsWith(':0')).toBe(false);
  const s = await waitFor(
    async () => {
      const res = await fetch(`${api}/status`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
      const body = res?.ok ? ((await res.json()) as { node: { role: string; apiUrl: string }; members: { id: string; apiUrl: string }[] }) : null;
      // the cluster view reads the member records a moment after the lead: wait for a's
      return body && body.node.role === 'leader' && body.members.some((m) => m.id === 'a') ? body : null;
    },
    { timeoutMs: 20000, what: 'a leading and listed, its /status at the advertised URL' },
  );
  expect(s.node.apiUrl).toBe(api);
  expect(s.members.find((m) => m.id === 'a')?.apiUrl).toBe(api);
});
