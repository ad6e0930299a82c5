/**
 * The status page served at `GET /`: real asset files in src/api/page/ (index.html, page.css,
 * page.js; no CDN, no external fonts, no framework), read once when this module loads and
 * served from memory by routes/read.ts. The page polls this node's own API every 2 s and shows
 * who leads, this node's role, the members, Jenkins, ZooKeeper, pause/switchover banners and the
 * recent cluster history.
 *
 * - Under this node's role it lists the `notes` of its /status: why it is not doing what one would
 *   expect (held back by a gate, not eligible, draining, ...), worded by the server
 *   (controller/notes.ts) so the page and `jenkins-ha status` say the same. The page asks only its
 *   own node, so other members' notes are on their own pages (or in `jenkins-ha status`).
 * - With sync.mode git a card shows this node's `sync` block (gate, recorded commit, its home's
 *   commit, last push, last error); the "This node" card shows `clusterEpoch` (a standby's too).
 * - It loads `page.css` and `page.js` and fetches `status` and `history?limit=20` RELATIVE to the
 *   page URL, so it works behind a reverse proxy that mounts the API under a prefix, as long as
 *   the page URL ends with a slash (`https://ops.example/jenkins-ha/`; `.../jenkins-ha` without
 *   the slash would resolve to the parent path, as for any relative link).
 * - A missing `/history` (404, older builds) hides the history section; any other failure keeps
 *   the last data on screen, dimmed, with "this node's API is unreachable" and keeps retrying.
 * - Read token: a browser cannot add an `Authorization: Bearer` header to a page load or to the
 *   page's own fetches, so with `api.readToken` set the page (and its two assets) answer 401 straight
 *   from a browser. Put a proxy that adds the header in front of it, or leave reads open on a
 *   trusted network. Should /status alone answer 401/403, the page says so.
 * - Data is rendered with textContent / DOM nodes only (never innerHTML), so values such as a
 *   reason or a node id cannot inject markup. Links are shown only for http(s) URLs.
 * - No inline script or style: a Content-Security-Policy of `default-src 'self'` fits the page.
 * - The files are static: nothing is templated into them, so no token or secret can end up there.
 *
 * `npm run build` copies src/api/page/ to dist/api/page/ (tsc copies only what it compiles);
 * scripts/install.sh and docker/Dockerfile ship dist/ whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HaError } from '../errors';

/** Where the assets are: src/api/page/ under ts-jest, dist/api/page/ when built. */
export const PAGE_DIR = path.join(__dirname, 'page');

function asset(name: string): string {
  const file = path.join(PAGE_DIR, name);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new HaError('NOT_FOUND', `status page asset ${file} cannot be read (${(err as Error).message}): ` +
      `run 'npm run build', which copies src/api/page/ into dist/api/page/, or reinstall`, { cause: err });
  }
}

/** GET /: the document. */
export const STATUS_PAGE_HTML: string = asset('index.html');
/** GET /page.css */
export const STATUS_PAGE_CSS: string = asset('page.css');
/** GET /page.js */
export const STATUS_PAGE_JS: string = asset('page.js');
