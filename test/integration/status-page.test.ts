/**
 * The status page (GET /, src/api/page.ts) in a real browser: Debian's chromium (installed by
 * scripts/dev/install-chromium.sh) driven by playwright-core, against a real ZooKeeper and a real
 * leader/standby pair of controllers.
 *
 * Writes test-output/status-page.png (the standby's page) for a human to look at.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeFixture, logsOf, REPO, type Fixture, type HaNode, type HaNodeOptions } from '../helpers/ha-node';
import { assertNeverTwoAlive } from '../helpers/journal';
import { waitFor } from '../helpers/wait';
import { startZk, type ZkCluster } from '../helpers/zk';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = path.join(REPO, 'test-output', 'status-page.png');
const PREFIX = '/jenkins-ha';
/** Generous for a 2 s poll: the page shows its first data at once, then every 2 s. */
const UI_TIMEOUT_MS = 8000;
/** api.token of both controllers, for POST /pause and /resume. */
const TOKEN = 'status-page-test-token';

let zk: ZkCluster | undefined;
let fx: Fixture | undefined;
let leader: HaNode;
let standby: HaNode;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run 'bash scripts/dev/install-chromium.sh' (CI does)`);
  }
  zk = await startZk();
  fx = await makeFixture(zk.connect);
  const env = { JHA_API_TOKEN: TOKEN };
  leader = fx.start('node-a', { env });
  await leader.waitLeaderReady();
  standby = fx.start('node-b', { env });
  await standby.waitRole('standby');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60000);

afterAll(async () => {
  try {
    await browser?.close();
    if (fx) assertNeverTwoAlive(fx.home);
  } finally {
    await fx?.cleanup();
    await zk?.stop();
  }
});

function apiBase(n: HaNode): string {
  return `http://127.0.0.1:${n.opts.apiPort}`;
}

interface Watched {
  page: Page;
  /** Every URL the page requested (document, fetches, favicon). */
  requests: string[];
  /** Uncaught exceptions in the page. */
  errors: string[];
}

async function openPage(): Promise<Watched> {
  if (!browser) throw new Error('no browser');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const w: Watched = { page, requests: [], errors: [] };
  page.on('request', (r) => w.requests.push(r.url()));
  page.on('pageerror', (e) => w.errors.push(String(e)));
  return w;
}

async function waitText(page: Page, selector: string, text: string | RegExp): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
}

/**
 * A reverse proxy that mounts one controller's API under PREFIX (as an operator's nginx would),
 * and can play dead: while `down`, every request's connection is destroyed without an answer.
 */
async function startPrefixProxy(target: HaNode): Promise<{ base: string; paths: string[]; setDown(d: boolean): void; close(): Promise<void> }> {
  let down = false;
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    paths.push(url);
    if (down) {
      req.socket.destroy();
      return;
    }
    if (url === PREFIX) {
      res.writeHead(301, { location: `${PREFIX}/` }).end();
      return;
    }
    if (!url.startsWith(`${PREFIX}/`)) {
      res.writeHead(404).end();
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: target.opts.apiPort, method: req.method, path: url.slice(PREFIX.length), headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}`,
    paths,
    setDown(d) {
      down = d;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test("the standby's page at GET / shows the leader, both members and the details, from its own API only", async () => {
  const root = await fetch(`${apiBase(standby)}/`);
  if (!(root.headers.get('content-type') ?? '').startsWith('text/html')) {
    throw new Error(
      `GET / on the controller answered ${root.status} ${root.headers.get('content-type') ?? ''}, not the status page: ` +
        `src/api/app.ts must mount it (res.type('html').send(STATUS_PAGE_HTML))`,
    );
  }
  const expected = await standby.status();
  expect(expected?.leader?.id).toBe(leader.id);

  const { page, requests, errors } = await openPage();
  try {
    await page.goto(`${apiBase(standby)}/`);
    await waitText(page, '#leader-id', new RegExp(`^${leader.id}$`));
    await waitText(page, '#me-role', /^standby$/);
    await waitText(page, '#cluster', expected!.cluster);

    // Members: both nodes, in sequence order, the leader marked, each with its API URL and sequence.
    const rows = page.locator('#members-body tr');
    expect(await rows.count()).toBe(2);
    const members = [...expected!.members].sort((a, b) => a.sequence - b.sequence);
    for (const [i, m] of members.entries()) {
      const row = rows.nth(i);
      expect(await row.getAttribute('data-node')).toBe(m.id);
      expect(await row.locator('td').nth(0).innerText()).toBe(m.role);
      expect(await row.locator('td').nth(1).innerText()).toBe(m.apiUrl);
      expect(await row.locator('td').nth(2).innerText()).toBe(String(m.sequence));
    }
    expect(await rows.nth(0).getAttribute('data-node')).toBe(leader.id);
    expect(await page.locator('#members-body tr.is-leader').count()).toBe(1);
    expect(await page.locator('#members-body tr.is-leader').getAttribute('data-node')).toBe(leader.id);
    expect(await page.locator(`#members-body tr[data-node="${standby.id}"] th`).innerText()).toContain('(this node)');

    // This node's Jenkins (stopped on a standby) and ZooKeeper.
    expect(await page.locator('#j-state').innerText()).toBe('stopped');
    expect(await page.locator('#j-ready').innerText()).toBe('no');
    expect(await page.locator('#z-state').innerText()).toBe('connected');
    expect(await page.locator('#z-heard').innerText()).toMatch(/^\d+ ms ago$/);
    expect(await page.locator('#banner-error').isHidden()).toBe(true);
    expect(await page.locator('#banner-paused').isHidden()).toBe(true);
    expect(await page.locator('#banner-switchover').isHidden()).toBe(true);
    // A healthy standby has nothing to explain: no notes.
    expect(expected!.notes).toEqual([]);
    expect(await page.locator('#me-notes').isHidden()).toBe(true);
    // The standby holds no term but shows the cluster's epoch (GET /status clusterEpoch), and no
    // sync card in shared mode.
    expect(expected!.clusterEpoch).toBe(1);
    await waitText(page, '#n-cluster-epoch', /^1$/);
    expect(await page.locator('#sync-section').isHidden()).toBe(true);
    // Accessibility basics: a language, a status region, column headers.
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('[role="status"]').count()).toBe(1);
    expect(await page.locator('#members thead th[scope="col"]').count()).toBe(7); // Node, Role, API, Sequence, Host, Version, Notes

    // The history section: shown with entries when the API has /history, hidden when it 404s.
    const history = await fetch(`${apiBase(standby)}/history?limit=20`);
    if (history.status === 404) {
      await page.locator('#history-section').waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    } else {
      expect(history.status).toBe(200);
      await waitText(page, '#history-body td.event', /elected/);
    }

    // Self-contained: nothing but this node's own API was requested, and no script error.
    const origins = new Set(requests.map((u) => new URL(u).origin));
    expect([...origins]).toEqual([apiBase(standby)]);
    expect(requests.some((u) => new URL(u).pathname === '/status')).toBe(true);
    expect(errors).toEqual([]);

    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  } catch (e) {
    console.log(logsOf(fx!.nodes));
    throw e;
  } finally {
    await page.close();
  }
});

test('behind a path prefix the page fetches relative URLs, says when the API is unreachable and recovers', async () => {
  const proxy = await startPrefixProxy(standby);
  const { page, errors } = await openPage();
  try {
    await page.goto(`${proxy.base}${PREFIX}/`);
    await waitText(page, '#leader-id', new RegExp(`^${leader.id}$`));
    expect(proxy.paths).toContain(`${PREFIX}/status`);
    expect(proxy.paths).toContain(`${PREFIX}/history?limit=20`);
    expect(proxy.paths.filter((p) => !p.startsWith(`${PREFIX}/`) && p !== '/favicon.ico')).toEqual([]);

    proxy.setDown(true);
    await waitText(page, '#banner-error', /this node's API is unreachable/i);
    await waitText(page, '#conn-text', /^unreachable$/);
    // The last data stays on screen (dimmed).
    expect(await page.locator('#leader-id').innerText()).toBe(leader.id);
    expect(await page.locator('main.stale').count()).toBe(1);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-unreachable.png'), fullPage: true });

    proxy.setDown(false);
    await page.locator('#banner-error').waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    expect(await page.locator('main.stale').count()).toBe(0);
    expect(errors).toEqual([]);
  } finally {
    await page.close();
    await proxy.close();
  }
});

test('a cluster-wide pause shows a banner with who paused it, why and until when, gone after resume', async () => {
  const post = async (p: string, body: unknown): Promise<number> => {
    const res = await fetch(`${apiBase(leader)}${p}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return res.status;
  };
  const { page, errors } = await openPage();
  try {
    await page.goto(`${apiBase(standby)}/`);
    await waitText(page, '#leader-id', new RegExp(`^${leader.id}$`));
    // Reload rather than wait for the next 2 s poll (the polling itself is covered above).
    expect(await post('/pause', { ttlSeconds: 600, reason: 'storage maintenance' })).toBe(200);
    await page.reload();
    await waitText(page, '#banner-paused', /Failover is paused by .+ until /);
    expect(await page.locator('#banner-paused').innerText()).toContain('storage maintenance');
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-paused.png'), fullPage: true });
    expect(await post('/resume', {})).toBe(200);
    await page.reload();
    await page.locator('#banner-paused').waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    expect(errors).toEqual([]);
  } finally {
    await page.close();
  }
});

/**
 * Runs `body` with a third node, node-c (started with `opts`), and a watched page; then saves the
 * page's screenshot as status-page-<name>.png and requires no script error. On a failure the
 * nodes' logs are printed; the page is closed and node-c stopped whatever happens.
 */
async function withNodeC(opts: Partial<HaNodeOptions>, name: string, body: (c: HaNode, w: Watched) => Promise<void>): Promise<void> {
  const c = fx!.start('node-c', opts);
  const w = await openPage();
  try {
    await body(c, w);
    await w.page.screenshot({ path: SCREENSHOT.replace(/\.png$/, `-${name}.png`), fullPage: true });
    expect(w.errors).toEqual([]);
  } catch (e) {
    console.log(logsOf(fx!.nodes));
    throw e;
  } finally {
    await w.page.close();
    await c.stop();
  }
}

test("a node that is not eligible says why on its own page, as GET /status words it", async () => {
  // eligibility.preflightCommand `false`: the site check fails, the node stays out of the election.
  await withNodeC({ env: { JHA_API_TOKEN: TOKEN, JHA_ELIGIBILITY_PREFLIGHT_COMMAND: 'false' } }, 'not-eligible', async (c, { page }) => {
    const s = await c.waitRole('stopped');
    await page.goto(`${apiBase(c)}/`);
    await waitText(page, '#me-role', /^stopped$/);
    await waitText(page, '#me-notes li', /^not eligible: preflight command failed: exit 1$/);
    const shown = await page.locator('#me-notes li').allInnerTexts();
    const served = (await c.status())?.notes;
    expect(shown).toEqual(served);
    expect(s.eligibility?.eligible).toBe(false);
    // The leader it does not replace still leads; the members table does not list node-c.
    await waitText(page, '#leader-id', new RegExp(`^${leader.id}$`));
    expect(await page.locator('#members-body tr[data-node="node-c"]').count()).toBe(0);
    expect(await page.locator('#live').textContent()).toContain('not eligible: preflight command failed');
  });
});

test('in git sync mode the page shows the sync state: the gate, the recorded commit, this home and the last push', async () => {
  // A cluster of its own (another fixture, same ZooKeeper): one leader in git mode.
  const repoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-page-repo-'));
  const remote = path.join(repoDir, 'config.git');
  execFileSync('git', ['init', '--quiet', '--bare', remote]);
  const gfx = await makeFixture(zk!.connect);
  const { page, errors } = await openPage();
  try {
    const g = gfx.start('git-a', {
      ownHome: true,
      env: { JHA_SYNC_MODE: 'git', JHA_SYNC_REPO: remote, JHA_SYNC_INTERVAL_MS: '300', JHA_SYNC_GIT_TIMEOUT_MS: '15000' },
    });
    await g.waitLeaderReady();
    const pushed = await waitForPush(g);
    await page.goto(`${apiBase(g)}/`);
    await page.locator('#sync-section').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await waitText(page, '#s-push', new RegExp(`^${pushed.slice(0, 8)} \\(epoch 1, `));
    expect(await page.locator('#s-state').innerText()).toMatch(/^ready \(epoch 1\)/);
    expect(await page.locator('#s-recorded').innerText()).toMatch(new RegExp(`^${pushed.slice(0, 8)} \\(epoch 1, git-a, `));
    expect(await page.locator('#s-local').innerText()).toMatch(/^[0-9a-f]{8}/);
    expect(await page.locator('#s-repo').innerText()).toBe(`${remote} · main`);
    expect(await page.locator('#s-error').innerText()).toBe('–');
    expect(errors).toEqual([]);
  } catch (e) {
    console.log(logsOf(gfx.nodes));
    throw e;
  } finally {
    await page.close();
    assertNeverTwoAlive(gfx.home);
    await gfx.cleanup();
    fs.rmSync(repoDir, { recursive: true, force: true });
  }
});

/** The commit a git-mode leader pushed and recorded (its /status lastPush), once it has. */
function waitForPush(n: HaNode): Promise<string> {
  return waitFor(
    async () => {
      const s = await n.status();
      const c = s?.sync?.lastPush?.commit;
      return c && s?.sync?.recorded?.commit === c ? c : null;
    },
    { timeoutMs: 20_000, what: `${n.id}'s first push recorded in its /status` },
  );
}

test("the page shows every member's notes, from the records they publish in ZooKeeper (no call to another node)", async () => {
  // node-c's longer session timeout breaks the storage-lease rule against the others (issue 16 item 3).
  await withNodeC({ sessionTimeoutMs: 4000, env: { JHA_API_TOKEN: TOKEN } }, 'member-notes', async (c, { page, requests }) => {
    await c.waitRole('standby');
    await page.goto(`${apiBase(leader)}/`);
    await waitText(page, '#members-body tr[data-node="node-c"] td.member-notes li', /^refusing to lead: zk\.sessionTimeoutMs: this node 4000, node node-[ab] 2000/);
    // This node's row: its own current notes (the drift it sees).
    await waitText(page, '#members-body tr[data-node="node-a"] td.member-notes li', /^safety settings differ between members: zk\.sessionTimeoutMs 2000 here, 4000 on node-c/);
    // What node-c shows is what it published, served in the leader's own /status members list.
    const served = (await leader.status())?.members.find((m) => m.id === 'node-c')?.notes ?? [];
    expect(served.some((n) => n.startsWith('refusing to lead:'))).toBe(true);
    // The browser only ever talked to the node that serves the page.
    expect(requests.every((u) => u.startsWith(apiBase(leader)))).toBe(true);
  });
});
