/**
 * The operations page's script (inlined in the page, allowed by its hash in the CSP). It
 * opens `/api/events` (server-sent events) and re-renders a section when its event arrives:
 * `members`, `services`, `timeline`, `proxy`. Nothing is polled; a 1 s timer only refreshes
 * the "… ago" texts. Values are inserted as text, never as HTML. Written without template
 * literals: it lives inside one.
 */
export const UI_SCRIPT = `
(function () {
  'use strict';
  var ST_ALIVE = 0, ST_TOMBSTONE = 1, ST_UNHEALTHY = 2, ST_UNKNOWN = 3, ST_DRAINING = 4;
  var NAMES = ['ALIVE', 'TOMBSTONE', 'UNHEALTHY', 'UNKNOWN', 'DRAINING'];
  var TOKEN_KEY = 'sidecar-api-token';
  var MEMBER_VERBS = { alive: 'is alive', suspect: 'is suspected of failing', dead: 'failed (dead)', left: 'left the cluster' };
  var $ = function (id) { return document.getElementById(id); };
  var data = { members: null, services: null, timeline: [], proxy: null };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function cell(text, className) { return el('td', className || '', text); }
  function agoText(ms) {
    if (!ms || ms <= 0) return 'never';
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + 's ago';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's ago';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm ago';
    return Math.floor(s / 86400) + 'd ago';
  }
  function ago(ms) {
    var td = el('td', '', agoText(ms));
    td.setAttribute('data-ago', String(ms));
    if (ms > 0) td.title = new Date(ms).toISOString();
    return td;
  }
  function badge(text, className) { return el('span', 'badge ' + className, text); }
  function row(cells) {
    var tr = el('tr');
    cells.forEach(function (c) { tr.appendChild(c); });
    return tr;
  }
  function head(table, names) {
    var tr = el('tr');
    names.forEach(function (n) { tr.appendChild(el('th', /^(Req\\/s|p50|p99|Errors|Active|Services|Incarnation)$/.test(n) ? 'num' : '', n)); });
    table.appendChild(tr);
  }
  function statusName(code) { return NAMES[code] || 'TOMBSTONE'; }
  function localHost() { return (data.services && data.services.local) || (data.members && data.members.local) || ''; }

  function renderMembers() {
    var body = $('members-body');
    body.textContent = '';
    var list = (data.members && data.members.members) || [];
    var alive = list.filter(function (m) { return m.state === 'alive'; }).length;
    var current = list.filter(function (m) { return m.state === 'alive' || m.state === 'suspect'; }).length;
    $('members-count').textContent = alive + ' alive of ' + current + (list.length > current ? ' (' + (list.length - current) + ' failed or departed)' : '');
    list.forEach(function (m) {
      var local = m.name === localHost();
      var state = el('td');
      state.appendChild(badge(m.state, 'm-' + m.state));
      var tr = row([cell(m.name + (local ? ' (this host)' : ''), 'mono'), state, cell(m.address, 'mono'), cell(m.incarnation, 'num'), ago(m.lastChangeMs), cell(m.services, 'num')]);
      tr.setAttribute('data-member', m.name);
      tr.setAttribute('data-state', m.state);
      tr.className = (local ? 'local ' : '') + (m.state === 'alive' || m.state === 'suspect' ? '' : 'departed');
      body.appendChild(tr);
    });
    if (list.length === 0) body.appendChild(row([cell('No cluster members reported', 'empty')]));
  }

  function portsText(ports) {
    return (ports || []).map(function (p) {
      return (p.servicePort ? p.servicePort + '→' : '') + p.ip + ':' + p.port + (p.type === 'udp' ? '/udp' : '');
    }).join(', ');
  }
  function checkCell(svc) {
    var td = el('td', 'check');
    var c = svc.check;
    if (!c) {
      td.appendChild(el('span', 'empty', svc.host === localHost() ? 'no check' : 'checked on ' + svc.host));
      return td;
    }
    td.appendChild(el('span', 'mono', c.type + ': ' + (c.result || 'not run yet')));
    if (c.consecutiveFailures > 1) td.appendChild(el('small', '', ' ×' + c.consecutiveFailures));
    if (c.reason) td.appendChild(el('div', 'reason', c.reason));
    return td;
  }
  function matches(svc, needle) {
    if (!needle) return true;
    if (svc.name.toLowerCase().indexOf(needle) >= 0) return true;
    return svc.instances.some(function (i) { return (i.host + ' ' + i.image + ' ' + i.id).toLowerCase().indexOf(needle) >= 0; });
  }
  function renderServices() {
    var box = $('services');
    box.textContent = '';
    var list = (data.services && data.services.services) || [];
    var needle = $('filter').value.trim().toLowerCase();
    var shown = 0, totalAlive = 0, totalLive = 0;
    list.forEach(function (svc) {
      var live = svc.instances.filter(function (i) { return i.status !== ST_TOMBSTONE; });
      var alive = live.filter(function (i) { return i.status === ST_ALIVE; }).length;
      totalAlive += alive;
      totalLive += live.length;
      if (!matches(svc, needle)) return;
      shown++;
      var tombstones = svc.instances.length - live.length;
      var card = el('div', 'card' + (live.length > 0 && alive < live.length ? ' down' : ''));
      card.setAttribute('data-service', svc.name);
      var title = el('h3');
      title.appendChild(el('span', 'mono', svc.name));
      title.appendChild(el('small', 'count', alive + ' alive of ' + live.length + (tombstones > 0 ? ' · ' + tombstones + ' removed (tombstones)' : '')));
      card.appendChild(title);
      var table = el('table');
      head(table, ['Host', 'ID', 'Image', 'Ports', 'Status', 'Health check', 'Updated', '']);
      svc.instances.forEach(function (i) {
        var local = i.host === localHost();
        var status = el('td');
        status.appendChild(badge(statusName(i.status), 'st-' + i.status));
        var actions = el('td', 'actions');
        if (local && (i.status === ST_ALIVE || i.status === ST_UNHEALTHY || i.status === ST_UNKNOWN)) actions.appendChild(actionButton(svc.name, i.id, 'drain', 'Drain'));
        if (local && i.status === ST_DRAINING) actions.appendChild(actionButton(svc.name, i.id, 'undrain', 'Undrain'));
        var tr = row([cell(i.host, 'mono'), cell(i.id, 'mono id'), cell(i.image, 'mono'), cell(portsText(i.ports), 'mono'), status, checkCell(i), ago(i.updatedMs), actions]);
        tr.setAttribute('data-instance', i.id);
        tr.setAttribute('data-status', statusName(i.status));
        tr.className = (local ? 'local ' : '') + (i.status === ST_TOMBSTONE ? 'tombstone' : i.status === ST_UNHEALTHY ? 'down' : '');
        table.appendChild(tr);
      });
      card.appendChild(table);
      box.appendChild(card);
    });
    $('services-count').textContent = totalAlive + ' alive of ' + totalLive + ' instances';
    if (shown === 0) box.appendChild(el('p', 'empty', needle ? 'No service matches the filter' : 'No services known'));
  }

  // POSTs a mutation; when the agent asks for its API token (401/403), asks the user once and
  // retries with it. The token is kept in sessionStorage only (gone with the tab).
  function mutate(path, label, retried) {
    var headers = {};
    var token = null;
    try { token = window.sessionStorage.getItem(TOKEN_KEY); } catch (e) { token = null; }
    if (token) headers['Authorization'] = 'Bearer ' + token;
    return fetch(path, { method: 'POST', headers: headers }).then(function (r) {
      if ((r.status === 401 || r.status === 403) && !retried) {
        var given = window.prompt((r.status === 401 ? 'This agent needs its API token to ' : 'The agent refused; enter its API token to ') + label + ':');
        if (!given) return r.json().then(function (body) { throw new Error(body.message || ('HTTP ' + r.status)); });
        try { window.sessionStorage.setItem(TOKEN_KEY, given.trim()); } catch (e) { /* storage off: not kept */ }
        return mutate(path, label, true);
      }
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.message || ('HTTP ' + r.status));
        return body;
      });
    });
  }
  function actionButton(name, id, action, text) {
    var button = el('button', '', text);
    button.setAttribute('data-action', action);
    button.title = action === 'drain' ? 'Stop routing new work to ' + name + ' ' + id + ' and let it finish in-flight work' : 'Route to ' + name + ' ' + id + ' again once its health check passes';
    button.addEventListener('click', function () {
      if (!window.confirm(text + ' ' + name + ' instance ' + id + '?')) return;
      button.disabled = true;
      mutate('/api/services/' + encodeURIComponent(id) + '/' + action, action + ' ' + name)
        .then(function (body) { showNotice(body.Message || body.message || 'Done'); })
        .catch(function (e) { showNotice(text + ' failed: ' + e.message); button.disabled = false; });
    });
    return button;
  }

  function fmt(n) { return n === null || n === undefined ? '–' : String(n); }
  function renderProxy() {
    var box = $('proxy');
    box.textContent = '';
    var p = data.proxy;
    if (!p) { box.appendChild(el('p', 'empty', 'No load balancer figures (disabled, or not received yet)')); return; }
    $('proxy-window').textContent = 'bound on ' + p.bindIp + ' · rates and percentiles over the last ' + Math.round(p.windowMs / 1000) + ' s';
    if (p.ports.length === 0) box.appendChild(el('p', 'empty', 'No ServicePort routed on this host'));
    p.ports.forEach(function (port) {
      var card = el('div', 'card');
      card.setAttribute('data-service-port', String(port.servicePort));
      var title = el('h3');
      title.appendChild(el('span', 'mono', ':' + port.servicePort + ' ' + port.service));
      title.appendChild(el('small', '', port.mode + ' · listener ' + port.listener + ' · ' + port.active + ' active · ' + port.ratePerSec + (port.mode === 'tcp' ? ' conn/s' : ' req/s')));
      card.appendChild(title);
      if (port.bindError) card.appendChild(el('div', 'collision', 'cannot listen: ' + port.bindError));
      if (port.rejected.length > 0) card.appendChild(el('div', 'collision', 'Port collision: also claimed by ' + port.rejected.join(', ') + ' (not routed; the oldest claim keeps the port)'));
      var table = el('table');
      head(table, ['Endpoint', 'Host', 'State', 'Req/s', 'p50', 'p99', 'Errors', 'Active']);
      port.endpoints.forEach(function (e) {
        var ejected = e.ejectedUntilMs > Date.now();
        var state = el('td');
        state.appendChild(badge(ejected ? 'ejected' : e.warming ? 'slow start' : 'in rotation', ejected ? 'e-ejected' : e.warming ? 'e-warming' : 'e-ok'));
        var tr = row([cell(e.key, 'mono'), cell(e.host, 'mono'), state, cell(e.ratePerSec, 'num'), cell(e.p50Ms === null ? '–' : e.p50Ms + ' ms', 'num'), cell(e.p99Ms === null ? '–' : e.p99Ms + ' ms', 'num'), cell(fmt(e.errors), 'num'), cell(fmt(e.active), 'num')]);
        tr.setAttribute('data-endpoint', e.key);
        table.appendChild(tr);
      });
      if (port.endpoints.length === 0) table.appendChild(row([cell('no healthy endpoint', 'empty')]));
      card.appendChild(table);
      box.appendChild(card);
    });
  }

  function renderTimeline() {
    var list = $('timeline');
    list.textContent = '';
    var entries = data.timeline.slice().reverse();
    entries.forEach(function (t) {
      var li = el('li', 't-' + (t.kind === 'status' ? (String(t.to).toUpperCase() === 'ALIVE' ? 'good' : 'bad') : t.kind));
      var time = el('time', '', new Date(t.timeMs).toLocaleTimeString());
      time.setAttribute('datetime', new Date(t.timeMs).toISOString());
      li.appendChild(time);
      var text = t.kind === 'member'
        ? 'host ' + t.subject + ' ' + (MEMBER_VERBS[t.to] || 'is ' + t.to)
        : t.subject + ' ' + (t.id || '') + ' on ' + t.host + ': ' + (t.from ? t.from + ' → ' : '') + t.to;
      li.appendChild(document.createTextNode(text));
      li.setAttribute('data-kind', t.kind);
      list.appendChild(li);
    });
    if (entries.length === 0) list.appendChild(el('li', 'empty', 'No changes since the agent started'));
  }

  function showNotice(text) {
    $('notice').textContent = text;
    $('notice').hidden = false;
  }
  function setLive(on, text) {
    var live = $('live');
    live.className = on ? 'on' : 'off';
    live.textContent = text;
  }

  var source = new EventSource('/api/events');
  source.onopen = function () { setLive(true, 'live'); };
  source.onerror = function () { setLive(false, 'reconnecting…'); };
  function on(kind, render) {
    source.addEventListener(kind, function (ev) {
      data[kind] = JSON.parse(ev.data);
      render();
      if (kind === 'services') renderMembers();
    });
  }
  on('members', renderMembers);
  on('services', renderServices);
  on('timeline', renderTimeline);
  on('proxy', renderProxy);
  $('filter').addEventListener('input', renderServices);
  window.setInterval(function () {
    var cells = document.querySelectorAll('[data-ago]');
    for (var i = 0; i < cells.length; i++) cells[i].textContent = agoText(Number(cells[i].getAttribute('data-ago')));
  }, 1000);
})();
`;
