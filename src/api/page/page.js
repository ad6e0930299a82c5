/* The status page's script (src/api/page/index.html loads it as "page.js", relative to the page).
 * Plain browser JavaScript, no build step, no framework: it polls this node's own API (`status` and
 * `history?limit=20`, relative URLs) every 2 s and renders with textContent / DOM nodes only. */
/* global document, AbortController */
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
    // The cluster's epoch from this node's watch of the epoch znode (a standby holds none itself).
    setText('n-cluster-epoch', s.clusterEpoch);
    renderSync(s.sync);
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

    renderMembers(s.members || [], leader ? leader.id : null, me.id, s.notes);

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
        so.state === 'scheduled' ? 'Switchover scheduled for ' + fmtTime(so.at) + ': the leader then → ' + (so.candidate || 'next in line') + (so.by ? ' (by ' + so.by + ')' : '') + '.' +
          (p.paused ? ' Failover is paused: it waits for resume and runs at resume once its time has come.' : '') :
        'Switchover ' + (so.state === 'running' ? 'in progress' : 'requested') + ': ' + (so.from || '?') + ' → ' + (so.candidate || 'next in line') + '.',
        (so.reason ? 'Reason: ' + so.reason + '. ' : '') + (so.requestedAt ? 'Requested at ' + fmtTime(so.requestedAt) + '.' : ''));
    } else {
      showBanner('banner-switchover', null);
    }

    document.title = (leader && leader.id ? leader.id + ' leads' : 'no leader') + ' · ' + (s.cluster || '') + ' · jenkins-ha';
    announce((leader && leader.id ? 'Leader: ' + leader.id + '. ' : 'No leader. ') + 'This node (' + me.id + ') is ' + me.role + '.' +
      (notes.length ? ' ' + notes.join('. ') + '.' : ''));
  }

  /** sync.mode git: this node's sync state (gate, recorded commit, its home, last push); hidden otherwise. */
  function renderSync(y) {
    var section = byId('sync-section');
    if (!y || typeof y !== 'object') {
      section.hidden = true;
      return;
    }
    section.hidden = false;
    var short = function (c) { return c ? String(c).slice(0, 8) : ''; };
    var g = y.gate || {};
    setText('s-state', (g.state || 'unknown') + (g.epoch !== null && g.epoch !== undefined ? ' (epoch ' + g.epoch + ')' : '') +
      (g.stale ? ', STALE start' : '') + (g.reason ? ': ' + g.reason : ''));
    var r = y.recorded;
    setText('s-recorded', r ? short(r.commit) + ' (epoch ' + r.epoch + (r.nodeId ? ', ' + r.nodeId : '') + (r.at ? ', ' + fmtTime(r.at) : '') + ')' : 'none recorded');
    var l = y.local || {};
    var behind = l.commitsBehind === 0 ? 'up to date' : l.commitsBehind === null || l.commitsBehind === undefined ? '' : l.commitsBehind + ' commit(s) behind';
    setText('s-local', (l.checkedOut ? short(l.checkedOut) : 'nothing checked out') + (behind ? ' · ' + behind : ''));
    var p = y.lastPush;
    setText('s-push', p ? short(p.commit) + ' (epoch ' + p.epoch + ', ' + fmtTime(p.at) + ')' : 'none from this node');
    setText('s-repo', (y.repo || '') + (y.branch ? ' · ' + y.branch : ''));
    var err = byId('s-error');
    err.className = y.lastError ? 'err' : '';
    setText('s-error', y.lastError);
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

  /** Every member's notes, as each published them in its election znode (this node's: its own, current). */
  function memberNotes(m, meId, myNotes) {
    var list = m.id === meId && Array.isArray(myNotes) ? myNotes : Array.isArray(m.notes) ? m.notes : [];
    var td = el('td', 'member-notes');
    if (!list.length) { td.textContent = '–'; return td; }
    var ul = el('ul', 'notes');
    list.forEach(function (n) { ul.appendChild(el('li', '', String(n))); });
    td.appendChild(ul);
    return td;
  }

  function renderMembers(members, leaderId, meId, myNotes) {
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
      // election.priority / noFailover, only when set (older members report neither).
      if (m.priority) roleTd.appendChild(el('span', 'you', 'priority ' + m.priority));
      if (m.noFailover === true) roleTd.appendChild(el('span', 'you', 'never leads (noFailover)'));
      tr.appendChild(roleTd);
      var apiTd = el('td', '');
      apiTd.appendChild(link(m.apiUrl));
      tr.appendChild(apiTd);
      tr.appendChild(el('td', 'num', m.sequence));
      tr.appendChild(el('td', '', m.host || '–'));
      tr.appendChild(el('td', '', m.version || '–'));
      tr.appendChild(memberNotes(m, meId, myNotes));
      rows.push(tr);
    });
    if (!rows.length) {
      var tr = el('tr', '');
      var td = el('td', 'empty', 'No members registered in the election.');
      td.colSpan = 7;
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
