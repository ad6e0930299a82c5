/**
 * The status page served at `GET /`: one self-contained HTML document (inline CSS and JS, no CDN,
 * no external fonts, no framework) that polls this node's own API every 2 s and shows who leads,
 * this node's role, the members, Jenkins, ZooKeeper, pause/switchover banners and the recent
 * cluster history.
 *
 * - Under this node's role it lists the `notes` of its /status: why it is not doing what one would
 *   expect (held back by a gate, not eligible, draining, ...), worded by the server
 *   (controller/notes.ts) so the page and `jenkins-ha status` say the same. The page asks only its
 *   own node, so other members' notes are on their own pages (or in `jenkins-ha status`).
 *
 * - It fetches `status` and `history?limit=20` RELATIVE to the page URL, so it works behind a
 *   reverse proxy that mounts the API under a prefix, as long as the page URL ends with a slash
 *   (`https://ops.example/jenkins-ha/`; `.../jenkins-ha` without the slash would resolve to the
 *   parent path, as for any relative link).
 * - A missing `/history` (404, older builds) hides the history section; any other failure keeps
 *   the last data on screen, dimmed, with "this node's API is unreachable" and keeps retrying.
 * - Read token: a browser cannot add an `Authorization: Bearer` header to a page load or to the
 *   page's own fetches, so with `api.readToken` set the page is unusable straight from a browser
 *   (GET / itself answers 401 there). Put a proxy that adds the header in front of it, or leave
 *   reads open on a trusted network. Should /status alone answer 401/403, the page says so.
 * - Data is rendered with textContent / DOM nodes only (never innerHTML), so values such as a
 *   reason or a node id cannot inject markup. Links are shown only for http(s) URLs.
 * - Inline <script>/<style>: a Content-Security-Policy on `/` must allow them (e.g. a nonce or
 *   'unsafe-inline'), and `connect-src 'self'`.
 *
 * Written as a template literal: the embedded code must not contain backticks, "${" or
 * backslashes (they would be interpreted by TypeScript, not by the browser).
 *
 * Send it with `res.type('html').send(STATUS_PAGE_HTML)`.
 */
export const STATUS_PAGE_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="robots" content="noindex">
<title>jenkins-ha status</title>
<style>
  :root {
    --bg: #f5f7fa; --card: #ffffff; --text: #1b2330; --muted: #5b6675; --line: #e2e7ee;
    --green: #137a3b; --green-bg: #e5f5eb; --blue: #1d5fbf; --blue-bg: #e7effb;
    --amber: #8a5a00; --amber-bg: #fff4d6; --red: #b3261e; --red-bg: #fde8e7;
    --grey: #4b5563; --grey-bg: #eceff3;
  }
  * { box-sizing: border-box; }
  html { background: var(--bg); color: var(--text); }
  body {
    margin: 0; padding: 24px 28px 40px; max-width: 1180px; margin-inline: auto;
    font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  }
  a { color: var(--blue); text-decoration: none; }
  a:hover, a:focus-visible { text-decoration: underline; }
  code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
  header { display: flex; align-items: baseline; justify-content: space-between; gap: 16px; flex-wrap: wrap; margin-bottom: 16px; }
  header h1 { margin: 0; font-size: 20px; font-weight: 600; }
  header h1 .brand { color: var(--muted); font-weight: 500; }
  #conn { color: var(--muted); font-size: 13px; display: flex; align-items: center; gap: 8px; }
  .dot { width: 9px; height: 9px; border-radius: 50%; background: var(--grey); display: inline-block; flex: none; }
  .dot.ok { background: #22a559; box-shadow: 0 0 0 3px #22a55926; }
  .dot.bad { background: var(--red); box-shadow: 0 0 0 3px #b3261e26; }
  .banner { border-radius: 10px; padding: 11px 16px; margin: 0 0 12px; border: 1px solid; font-weight: 500; }
  .banner small { font-weight: 400; display: block; margin-top: 2px; }
  .banner.error { background: var(--red-bg); border-color: #f3b7b3; color: var(--red); }
  .banner.warn { background: var(--amber-bg); border-color: #f0d58a; color: var(--amber); }
  .banner.info { background: var(--blue-bg); border-color: #b9cff0; color: var(--blue); }
  [hidden] { display: none !important; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; box-shadow: 0 1px 2px #1b23300d; }
  .card h2 { margin: 0 0 10px; font-size: 12px; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; color: var(--muted); }
  .hero { display: flex; align-items: center; justify-content: space-between; gap: 24px; flex-wrap: wrap; padding: 20px 24px; margin-bottom: 16px; border-left: 6px solid var(--green); }
  .hero.none { border-left-color: var(--red); }
  .hero .leader-name { font-size: 40px; font-weight: 700; line-height: 1.1; margin: 2px 0 6px; word-break: break-all; }
  .hero.none .leader-name { color: var(--red); }
  .hero .sub { color: var(--muted); margin: 0; }
  .hero .me { text-align: right; }
  .hero .me .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .06em; font-weight: 600; }
  .hero .me .role-big { margin-top: 6px; }
  .hero .me .role-big .badge { font-size: 16px; padding: 4px 14px; }
  .hero .me .since { color: var(--muted); font-size: 12.5px; margin-top: 6px; }
  .hero .me .notes { list-style: none; margin: 8px 0 0 auto; padding: 0; max-width: 520px; font-size: 13px; }
  .hero .me .notes li { margin-top: 3px; overflow-wrap: anywhere; }
  .hero .me .notes li::before { content: ""; display: inline-block; width: 7px; height: 7px; border-radius: 50%; background: #d99a00; margin-right: 7px; vertical-align: 1px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 16px; margin-bottom: 16px; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
  dt { color: var(--muted); }
  dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
  .badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12.5px; font-weight: 600; background: var(--grey-bg); color: var(--grey); white-space: nowrap; }
  .badge.leader, .badge.connected, .badge.running, .badge.yes { background: var(--green-bg); color: var(--green); }
  .badge.standby, .badge.starting, .badge.connecting { background: var(--blue-bg); color: var(--blue); }
  .badge.neutral, .badge.candidate, .badge.stopping, .badge.disconnected, .badge.no { background: var(--amber-bg); color: var(--amber); }
  .badge.stopped, .badge.expired, .badge.closed { background: var(--red-bg); color: var(--red); }
  .badge.quiet { background: var(--grey-bg); color: var(--grey); }
  .badge.ev-good { background: var(--green-bg); color: var(--green); }
  .badge.ev-bad { background: var(--red-bg); color: var(--red); }
  .badge.ev-warn { background: var(--amber-bg); color: var(--amber); }
  .badge.ev-info { background: var(--blue-bg); color: var(--blue); }
  .decision { margin: 12px 0 0; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted); font-size: 13px; }
  .decision b { color: var(--text); font-weight: 500; }
  .err { color: var(--red); }
  section.table-card { margin-bottom: 16px; padding-bottom: 8px; }
  .table-wrap { overflow-x: auto; }
  table { width: 100%; border-collapse: collapse; }
  caption { text-align: left; color: var(--muted); font-size: 12.5px; padding-bottom: 6px; }
  th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: baseline; }
  th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; background: #fafbfc; }
  tbody tr:last-child th, tbody tr:last-child td { border-bottom: none; }
  tbody th { font-size: 14px; font-weight: 600; color: var(--text); text-transform: none; letter-spacing: 0; background: transparent; white-space: nowrap; }
  tr.is-leader th, tr.is-leader td { background: #f3fbf6; }
  tr.is-leader th { box-shadow: inset 3px 0 0 var(--green); }
  td.num { font-variant-numeric: tabular-nums; }
  .you { color: var(--muted); font-size: 12px; margin-left: 6px; }
  .star { color: var(--green); margin-right: 4px; }
  td.when { white-space: nowrap; font-variant-numeric: tabular-nums; color: var(--muted); }
  td.event { white-space: nowrap; }
  .empty { color: var(--muted); padding: 12px 10px; }
  main.stale .card { opacity: .55; }
  footer { color: var(--muted); font-size: 12px; margin-top: 8px; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
</style>
</head>
<body>
<header>
  <h1><span class="brand">jenkins-ha</span> · <span id="cluster">…</span></h1>
  <div id="conn"><span class="dot" id="conn-dot" aria-hidden="true"></span><span id="conn-text">connecting…</span></div>
</header>

<div id="live" role="status" aria-live="polite" class="sr-only"></div>
<div id="banner-error" class="banner error" role="alert" hidden></div>
<div id="banner-paused" class="banner warn" hidden></div>
<div id="banner-switchover" class="banner info" hidden></div>

<main id="main">
  <section class="card hero none" id="hero" aria-labelledby="leader-heading">
    <div>
      <h2 id="leader-heading">Leader</h2>
      <p class="leader-name" id="leader-id">…</p>
      <p class="sub" id="leader-sub">waiting for this node's status</p>
    </div>
    <div class="me">
      <div class="label">This node</div>
      <div class="role-big"><span id="me-id" class="mono"></span> <span id="me-role" class="badge">…</span></div>
      <div class="since" id="me-since"></div>
      <ul class="notes" id="me-notes" aria-label="Notes on this node" hidden></ul>
    </div>
  </section>

  <div class="grid">
    <section class="card" aria-labelledby="h-node">
      <h2 id="h-node">This node</h2>
      <dl>
        <dt>Node</dt><dd id="n-id">–</dd>
        <dt>Role</dt><dd id="n-role">–</dd>
        <dt>Host</dt><dd id="n-host">–</dd>
        <dt>API</dt><dd id="n-api">–</dd>
        <dt>Election</dt><dd id="n-election">–</dd>
        <dt>Leader changes</dt><dd id="n-changes">–</dd>
      </dl>
      <p class="decision">Last decision: <b id="n-decision">–</b></p>
    </section>

    <section class="card" aria-labelledby="h-jenkins">
      <h2 id="h-jenkins">Jenkins on this node</h2>
      <dl>
        <dt>State</dt><dd id="j-state">–</dd>
        <dt>Ready</dt><dd id="j-ready">–</dd>
        <dt>PID</dt><dd id="j-pid" class="mono">–</dd>
        <dt>Epoch</dt><dd id="j-epoch">–</dd>
        <dt>Version</dt><dd id="j-version">–</dd>
        <dt>Restarts</dt><dd id="j-restarts">–</dd>
        <dt>URL</dt><dd id="j-url">–</dd>
        <dt>Last exit</dt><dd id="j-exit">–</dd>
        <dt>Last probe error</dt><dd id="j-probe">–</dd>
      </dl>
    </section>

    <section class="card" aria-labelledby="h-zk">
      <h2 id="h-zk">ZooKeeper</h2>
      <dl>
        <dt>State</dt><dd id="z-state">–</dd>
        <dt>Last reply</dt><dd id="z-heard">–</dd>
        <dt>Fences after</dt><dd id="z-fence">–</dd>
        <dt>Session timeout</dt><dd id="z-timeout">–</dd>
        <dt>Session</dt><dd id="z-session" class="mono">–</dd>
      </dl>
    </section>
  </div>

  <section class="card table-card" aria-labelledby="h-members">
    <h2 id="h-members">Members</h2>
    <div class="table-wrap">
      <table id="members">
        <caption>Election order as ZooKeeper sees it: the lowest sequence leads.</caption>
        <thead><tr><th scope="col">Node</th><th scope="col">Role</th><th scope="col">API</th><th scope="col">Sequence</th><th scope="col">Host</th><th scope="col">Version</th></tr></thead>
        <tbody id="members-body"><tr><td colspan="6" class="empty">no data yet</td></tr></tbody>
      </table>
    </div>
  </section>

  <section class="card table-card" id="history-section" aria-labelledby="h-history">
    <h2 id="h-history">Recent history</h2>
    <div class="table-wrap">
      <table id="history">
        <caption id="history-caption">Cluster-wide transitions, newest first.</caption>
        <thead><tr><th scope="col">Time</th><th scope="col">Node</th><th scope="col">Event</th><th scope="col">Reason</th></tr></thead>
        <tbody id="history-body"><tr><td colspan="4" class="empty">no data yet</td></tr></tbody>
      </table>
    </div>
  </section>
</main>

<footer id="footer">Refreshes every 2 s from this node's API.</footer>

<script>
(function () {
  'use strict';
  var POLL_MS = 2000;
  var TIMEOUT_MS = 1800;
  var HISTORY_LIMIT = 20;

  var lastOkAt = null;
  var lastLive = '';

  function byId(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function setText(id, value) {
    var e = byId(id);
    var t = value === undefined || value === null || value === '' ? '–' : String(value);
    if (e.textContent !== t) e.textContent = t;
  }

  function setNode(id, node) {
    var e = byId(id);
    e.replaceChildren(node);
  }

  function badge(value, cls) {
    return el('span', 'badge ' + (cls || String(value)), value);
  }

  function link(href, text) {
    if (typeof href !== 'string' || !/^https?:/i.test(href)) return document.createTextNode(href ? String(href) : '–');
    var a = el('a', 'mono', text || href);
    a.href = href;
    a.rel = 'noopener noreferrer';
    return a;
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function fmtTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso || '–');
    var t = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    var now = new Date();
    if (d.toDateString() === now.toDateString()) return t;
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + t;
  }

  function fmtDuration(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '–';
    ms = Math.max(0, Math.round(ms));
    if (ms < 1000) return ms + ' ms';
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + (s % 60) + ' s';
    var h = Math.floor(m / 60);
    if (h < 48) return h + ' h ' + (m % 60) + ' min';
    return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  }

  function announce(text) {
    if (text !== lastLive) { lastLive = text; byId('live').textContent = text; }
  }

  function showBanner(id, title, detail) {
    var b = byId(id);
    if (!title) { b.hidden = true; b.replaceChildren(); return; }
    b.replaceChildren(document.createTextNode(title));
    if (detail) b.appendChild(el('small', '', detail));
    b.hidden = false;
  }

  function getJson(path) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, TIMEOUT_MS);
    return fetch(new URL(path, document.baseURI).toString(), {
      cache: 'no-store',
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      signal: ctl.signal
    }).then(function (res) {
      if (!res.ok) {
        var e = new Error('HTTP ' + res.status);
        e.status = res.status;
        throw e;
      }
      return res.json();
    }).finally(function () { clearTimeout(timer); });
  }

  function renderStatus(s) {
    var me = s.node || {};
    var leader = s.leader;
    var iLead = me.role === 'leader';

    setText('cluster', s.cluster);

    var hero = byId('hero');
    if (leader && leader.id) {
      hero.classList.remove('none');
      setText('leader-id', leader.id);
      var sub;
      if (iLead) {
        sub = 'This node leads. Jenkins ' + (s.jenkins && s.jenkins.ready ? 'is ready' : 'is ' + (s.jenkins ? s.jenkins.state : 'unknown') + ', not ready yet') +
          (s.epoch !== null && s.epoch !== undefined ? ' · epoch ' + s.epoch : '') + '.';
      } else if (leader.id === me.id) {
        sub = 'Lowest sequence is this node, but it is ' + me.role + ' right now.';
      } else {
        sub = 'Leads the election (lowest sequence). This node is ' + me.role + '.';
      }
      var subEl = byId('leader-sub');
      subEl.replaceChildren(document.createTextNode(sub));
      if (!iLead && leader.apiUrl && /^https?:/i.test(leader.apiUrl)) {
        subEl.appendChild(document.createTextNode(' '));
        var a = link(leader.apiUrl, 'Open its status page');
        a.className = '';
        subEl.appendChild(a);
      }
    } else {
      hero.classList.add('none');
      setText('leader-id', 'No leader');
      setText('leader-sub', 'No member is in the election right now (as far as this node can see).');
    }

    setText('me-id', me.id);
    var roleEl = byId('me-role');
    roleEl.className = 'badge ' + me.role;
    setText('me-role', me.role);
    setText('me-since', me.role ? me.role + ' for ' + fmtDuration(me.sinceMs) : '');
    var notes = renderNotes(s.notes);

    setText('n-id', me.id);
    setNode('n-role', badge(me.role));
    setText('n-host', me.host);
    setNode('n-api', link(me.apiUrl));
    var e = s.election || {};
    setText('n-election', e.sequence === null || e.sequence === undefined ? e.role : e.role + ', sequence ' + e.sequence +
      (e.predecessor ? ', watching ' + memberName(s.members || [], e.predecessor) : ''));
    setText('n-changes', s.leaderChanges);
    setText('n-decision', s.decision);

    var j = s.jenkins || {};
    // A stopped Jenkins is the normal state of a standby: grey, not red.
    setNode('j-state', badge(j.state, j.state === 'stopped' && !iLead ? 'quiet' : j.state));
    setNode('j-ready', j.ready ? badge('yes') : badge('no', iLead ? 'no' : 'quiet'));
    setText('j-pid', j.pid);
    setText('j-epoch', j.epoch);
    setText('j-version', j.version);
    setText('j-restarts', j.restarts);
    setNode('j-url', link(j.url));
    var x = j.lastExit;
    setText('j-exit', x ? ((x.signal ? 'signal ' + x.signal : 'code ' + x.code) + (x.expected ? ' (expected)' : ' (unexpected)') + (x.reason ? ': ' + x.reason : '')) : '');
    var probe = byId('j-probe');
    probe.className = j.lastProbeError ? 'err' : '';
    setText('j-probe', j.lastProbeError);

    var z = s.zookeeper || {};
    setNode('z-state', badge(z.state));
    var heard = z.msSinceHeard;
    var heardEl = byId('z-heard');
    heardEl.className = heard !== null && heard !== undefined && z.fenceAfterMs && heard > z.fenceAfterMs / 2 ? 'err' : '';
    setText('z-heard', heard === null || heard === undefined ? 'never' : heard + ' ms ago');
    setText('z-fence', z.fenceAfterMs === undefined ? '' : z.fenceAfterMs + ' ms of silence');
    setText('z-timeout', z.sessionTimeoutMs === undefined ? '' : z.sessionTimeoutMs + ' ms');
    setText('z-session', z.sessionId);

    renderMembers(s.members || [], leader ? leader.id : null, me.id);

    var p = s.paused || {};
    if (p.paused) {
      showBanner('banner-paused',
        'Failover is paused' + (p.by ? ' by ' + p.by : '') + (p.until ? ' until ' + fmtTime(p.until) : ' until resumed') + '.',
        (p.reason ? 'Reason: ' + p.reason + '. ' : '') + (p.since ? 'Since ' + fmtTime(p.since) + '.' : ''));
    } else {
      showBanner('banner-paused', null);
    }

    var so = s.switchover;
    if (so) {
      showBanner('banner-switchover',
        'Switchover ' + (so.state === 'running' ? 'in progress' : 'requested') + ': ' + (so.from || '?') + ' → ' + (so.candidate || 'next in line') + '.',
        (so.reason ? 'Reason: ' + so.reason + '. ' : '') + (so.requestedAt ? 'Requested at ' + fmtTime(so.requestedAt) + '.' : ''));
    } else {
      showBanner('banner-switchover', null);
    }

    document.title = (leader && leader.id ? leader.id + ' leads' : 'no leader') + ' · ' + (s.cluster || '') + ' · jenkins-ha';
    announce((leader && leader.id ? 'Leader: ' + leader.id + '. ' : 'No leader. ') + 'This node (' + me.id + ') is ' + me.role + '.' +
      (notes.length ? ' ' + notes.join('. ') + '.' : ''));
  }

  /** This node's notes (why it is not doing what one would expect), one item each; hidden when none. */
  function renderNotes(notes) {
    var list = Array.isArray(notes) ? notes.map(String) : [];
    var ul = byId('me-notes');
    var shown = Array.prototype.map.call(ul.children, function (li) { return li.textContent; });
    if (JSON.stringify(shown) !== JSON.stringify(list)) {
      ul.replaceChildren.apply(ul, list.map(function (n) { return el('li', '', n); }));
    }
    ul.hidden = list.length === 0;
    return list;
  }

  /** The node id of a znode path or name, from the members list (else the znode's name). */
  function memberName(members, znode) {
    var name = String(znode).split('/').pop();
    for (var i = 0; i < members.length; i++) {
      if (members[i].znode && String(members[i].znode).split('/').pop() === name) return members[i].id;
    }
    return name;
  }

  function eventClass(ev) {
    ev = String(ev);
    if (ev === 'elected' || ev === 'jenkins.ready' || ev === 'resumed' || ev === 'switchover.completed') return 'ev-good';
    if (ev === 'fenced' || ev === 'jenkins.crashed' || ev === 'lock.refused' || ev === 'switchover.abandoned' || ev.indexOf('fail') >= 0) return 'ev-bad';
    if (ev === 'demoted' || ev === 'resigned' || ev === 'paused' || ev.indexOf('stop') >= 0 || ev.indexOf('expired') >= 0) return 'ev-warn';
    if (ev.indexOf('switchover') === 0) return 'ev-info';
    return 'quiet';
  }

  function renderMembers(members, leaderId, meId) {
    var body = byId('members-body');
    var rows = [];
    members.slice().sort(function (a, b) { return a.sequence - b.sequence; }).forEach(function (m) {
      var isLeader = m.role === 'leader' || m.id === leaderId;
      var tr = el('tr', isLeader ? 'is-leader' : '');
      tr.setAttribute('data-node', m.id);
      var th = el('th', '');
      th.scope = 'row';
      if (isLeader) {
        th.appendChild(el('span', 'star', '★'));
        th.lastChild.setAttribute('aria-hidden', 'true');
      }
      th.appendChild(el('span', 'mono', m.id));
      if (m.id === meId) th.appendChild(el('span', 'you', '(this node)'));
      tr.appendChild(th);
      var roleTd = el('td', '');
      roleTd.appendChild(badge(m.role));
      tr.appendChild(roleTd);
      var apiTd = el('td', '');
      apiTd.appendChild(link(m.apiUrl));
      tr.appendChild(apiTd);
      tr.appendChild(el('td', 'num', m.sequence));
      tr.appendChild(el('td', '', m.host || '–'));
      tr.appendChild(el('td', '', m.version || '–'));
      rows.push(tr);
    });
    if (!rows.length) {
      var tr = el('tr', '');
      var td = el('td', 'empty', 'No members registered in the election.');
      td.colSpan = 6;
      tr.appendChild(td);
      rows.push(tr);
    }
    body.replaceChildren.apply(body, rows);
  }

  function historyEntries(body) {
    if (Array.isArray(body)) return body;
    if (body && typeof body === 'object') {
      var keys = ['history', 'entries', 'items'];
      for (var i = 0; i < keys.length; i++) if (Array.isArray(body[keys[i]])) return body[keys[i]];
    }
    return [];
  }

  function renderHistory(entries) {
    var body = byId('history-body');
    var rows = [];
    // The API returns newest last; show newest first.
    entries.slice(-HISTORY_LIMIT).reverse().forEach(function (h) {
      var tr = el('tr', '');
      var when = el('td', 'when');
      var t = el('time', '', fmtTime(h.at));
      t.setAttribute('datetime', String(h.at));
      t.title = String(h.at);
      when.appendChild(t);
      tr.appendChild(when);
      tr.appendChild(el('td', 'mono', h.node));
      var ev = el('td', 'event');
      ev.appendChild(badge(h.event, eventClass(h.event)));
      tr.appendChild(ev);
      var reason = String(h.reason || '');
      // Add the duration and epoch unless the reason already says them.
      if (typeof h.durationMs === 'number' && reason.indexOf(String(h.durationMs)) < 0) reason += (reason ? ' ' : '') + '(took ' + fmtDuration(h.durationMs) + ')';
      if (h.epoch !== null && h.epoch !== undefined && reason.indexOf('epoch ' + h.epoch) < 0) reason += (reason ? ' · ' : '') + 'epoch ' + h.epoch;
      tr.appendChild(el('td', '', reason || '–'));
      rows.push(tr);
    });
    if (!rows.length) {
      var tr = el('tr', '');
      var td = el('td', 'empty', 'No transitions recorded yet.');
      td.colSpan = 4;
      tr.appendChild(td);
      rows.push(tr);
    }
    body.replaceChildren.apply(body, rows);
  }

  function setConn(ok, text) {
    byId('conn-dot').className = 'dot ' + (ok ? 'ok' : 'bad');
    setText('conn-text', text);
  }

  async function pollStatus() {
    try {
      var s = await getJson('status');
      lastOkAt = new Date();
      renderStatus(s);
      byId('main').classList.remove('stale');
      showBanner('banner-error', null);
      setConn(true, 'live · updated ' + fmtTime(lastOkAt.toISOString()));
    } catch (err) {
      var status = err && err.status;
      var title;
      if (status === 401 || status === 403) {
        title = "This node's API refused the request (HTTP " + status + '): it requires a read token, which this page cannot send.';
      } else if (!status || status === 502 || status === 503 || status === 504) {
        title = "This node's API is unreachable.";
      } else {
        title = "This node's API answered HTTP " + status + ' for /status.';
      }
      var detail = 'Retrying every ' + POLL_MS / 1000 + ' s.' +
        (lastOkAt ? ' Showing the last data received, at ' + fmtTime(lastOkAt.toISOString()) + '.' : ' No data received yet.');
      showBanner('banner-error', title, detail);
      byId('main').classList.add('stale');
      setConn(false, 'unreachable');
      announce(title);
    }
  }

  async function pollHistory() {
    var section = byId('history-section');
    try {
      var body = await getJson('history?limit=' + HISTORY_LIMIT);
      renderHistory(historyEntries(body));
      section.hidden = false;
      setText('history-caption', 'Cluster-wide transitions, newest first.');
    } catch (err) {
      if (err && err.status === 404) {
        // Older builds have no /history: hide the section rather than show an error.
        section.hidden = true;
      } else if (!section.hidden) {
        setText('history-caption', 'Could not refresh the history' + (err && err.status ? ' (HTTP ' + err.status + ')' : '') + '; showing the last one received.');
      }
    }
  }

  async function tick() {
    try {
      await Promise.all([pollStatus(), pollHistory()]);
    } finally {
      setTimeout(tick, POLL_MS);
    }
  }

  document.addEventListener('visibilitychange', function () {
    // Background tabs throttle timers; refresh at once when the page is shown again.
    if (document.visibilityState === 'visible') { pollStatus(); pollHistory(); }
  });

  tick();
})();
</script>
</body>
</html>
`;
