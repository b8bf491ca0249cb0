import { createHash } from 'node:crypto';
import { escapeHtml } from './html-escape.js';

/**
 * The built-in web UI at `/ui/`: one self-contained page (no external assets, no
 * framework) in place of the Go Sidecar's AngularJS app. It polls `/api/services.json`
 * every 4 s (as the Go UI did) and shows the cluster hosts and every service with its
 * instances, status colour-coded; instances on this host get a Drain button that POSTs to
 * `/api/services/<id>/drain` (and DRAINING ones an Undrain button: `…/undrain`); when the
 * agent answers 401/403 the page asks for the API token and retries with it (kept in
 * sessionStorage only). Values are inserted as text, never as HTML. The page is
 * served with a Content-Security-Policy that allows only its own inline script and style.
 */
export interface UiPage {
  readonly html: string;
  /** The `Content-Security-Policy` header value for this page. */
  readonly contentSecurityPolicy: string;
}

/** Poll period of the page, as in the Go Sidecar's UI. */
export const UI_POLL_INTERVAL_MS = 4000;

export function buildUiPage(hostname: string, clusterName: string): UiPage {
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="sidecar-hostname" content="${escapeHtml(hostname)}">
<title>Sidecar – ${escapeHtml(clusterName)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Sidecar</h1>
  <span class="meta">cluster <b>${escapeHtml(clusterName)}</b> · this host <b>${escapeHtml(hostname)}</b></span>
  <input id="filter" type="search" placeholder="Filter services, hosts, images" autocomplete="off">
  <span id="updated" class="meta"></span>
</header>
<div id="error" class="banner error" hidden></div>
<div id="notice" class="banner notice" hidden></div>
<main>
  <section>
    <h2>Hosts</h2>
    <table id="hosts"><thead><tr><th>Host</th><th>Services</th><th>Last updated</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Services</h2>
    <div id="services"></div>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src '${sha256(SCRIPT)}'`,
    `style-src '${sha256(STYLE)}'`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy: csp };
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f4f6f9}
header{display:flex;flex-wrap:wrap;gap:12px;align-items:baseline;padding:12px 20px;background:#1d2330;color:#fff}
header h1{font-size:20px;margin:0}
header input{margin-left:auto;padding:4px 8px;min-width:240px;border:0;border-radius:4px}
.meta{color:#b8c0d0}.meta b{color:#fff}
main{padding:8px 20px 40px}
h2{font-size:16px;margin:20px 0 8px}
h3{font-size:15px;margin:0;display:flex;gap:10px;align-items:baseline}
h3 small{font-weight:normal;color:#5b6478}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e7ee;font-variant-numeric:tabular-nums}
th{font-weight:600;color:#5b6478;background:#fafbfc}
.card{background:#fff;border:1px solid #dfe3ea;border-radius:6px;margin:0 0 12px;padding:8px 10px}
.card table{margin-top:6px}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.status{display:inline-block;min-width:78px;padding:1px 6px;border-radius:10px;color:#fff;font-size:12px;text-align:center}
.s-alive{background:#1f9d55}.s-draining{background:#d98200}.s-unhealthy{background:#cc1f1a}
.s-unknown{background:#7a8497}.s-tombstone{background:#3d4451}
tr.tombstone td{color:#8a93a5;text-decoration:line-through}
tr.tombstone td.actions{text-decoration:none}
tr.local td:first-child{font-weight:600}
button{padding:2px 10px;border:1px solid #d98200;background:#fff;color:#a86400;border-radius:4px;cursor:pointer}
button:disabled{opacity:.5;cursor:default}
.banner{margin:12px 20px 0;padding:8px 12px;border-radius:4px}
.error{background:#fde8e8;color:#8a1111}.notice{background:#e8f4fd;color:#0b4a75}
.empty{color:#7a8497;font-style:italic}
`;

const SCRIPT = `
(function () {
  'use strict';
  var POLL_MS = ${UI_POLL_INTERVAL_MS};
  var STATUS = ['Alive', 'Tombstone', 'Unhealthy', 'Unknown', 'Draining'];
  var localHost = document.querySelector('meta[name="sidecar-hostname"]').getAttribute('content');
  var hostsBody = document.querySelector('#hosts tbody');
  var servicesEl = document.getElementById('services');
  var errorEl = document.getElementById('error');
  var noticeEl = document.getElementById('notice');
  var filterEl = document.getElementById('filter');
  var updatedEl = document.getElementById('updated');
  var last = null;
  var timer = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function statusName(code) { return STATUS[code] || 'Tombstone'; }
  function ago(iso) {
    var t = Date.parse(iso);
    if (isNaN(t) || t <= 0) return 'never';
    var s = Math.max(0, Math.round((Date.now() - t) / 1000));
    if (s < 60) return s + 's ago';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's ago';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm ago';
    return Math.floor(s / 86400) + 'd ago';
  }
  function ports(list) {
    if (!list || list.length === 0) return '';
    return list.map(function (p) {
      return (p.ServicePort ? p.ServicePort + '\\u2192' : '') + p.IP + ':' + p.Port + (p.Type === 'udp' ? '/udp' : '');
    }).join(', ');
  }
  function matches(name, instances, needle) {
    if (!needle) return true;
    if (name.toLowerCase().indexOf(needle) >= 0) return true;
    return instances.some(function (i) {
      return (i.Hostname + ' ' + i.Image + ' ' + i.ID).toLowerCase().indexOf(needle) >= 0;
    });
  }
  function row(cells) {
    var tr = el('tr');
    cells.forEach(function (c) { tr.appendChild(c); });
    return tr;
  }
  function renderHosts(members) {
    hostsBody.textContent = '';
    var names = Object.keys(members || {}).sort();
    if (names.length === 0) {
      var td = el('td', 'empty', 'No cluster members reported');
      td.colSpan = 3;
      hostsBody.appendChild(row([td]));
      return;
    }
    names.forEach(function (name) {
      var m = members[name];
      var tr = row([el('td', 'mono', name + (name === localHost ? ' (this host)' : '')), el('td', '', m.ServiceCount), el('td', '', ago(m.LastUpdated))]);
      if (name === localHost) tr.className = 'local';
      hostsBody.appendChild(tr);
    });
  }
  var TOKEN_KEY = 'sidecar-api-token';
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
  function actionButton(svc, action, text, title) {
    var button = el('button', '', text);
    button.title = title;
    button.addEventListener('click', function () {
      if (!window.confirm(text + ' ' + svc.Name + ' instance ' + svc.ID + '?')) return;
      button.disabled = true;
      mutate('/api/services/' + encodeURIComponent(svc.ID) + '/' + action, action.toLowerCase() + ' ' + svc.Name)
        .then(function (body) { showNotice(body.Message || body.message || 'Done'); poll(); })
        .catch(function (e) { showNotice(text + ' failed: ' + e.message); button.disabled = false; });
    });
    return button;
  }
  function drainButton(svc) {
    return actionButton(svc, 'drain', 'Drain', 'Stop routing to ' + svc.Name + ' ' + svc.ID + ' and let it finish in-flight work');
  }
  function undrainButton(svc) {
    return actionButton(svc, 'undrain', 'Undrain', 'Route to ' + svc.Name + ' ' + svc.ID + ' again once its health check passes');
  }
  function renderServices(services) {
    servicesEl.textContent = '';
    var needle = filterEl.value.trim().toLowerCase();
    var names = Object.keys(services || {}).sort();
    var shown = 0;
    names.forEach(function (name) {
      var instances = services[name] || [];
      if (!matches(name, instances, needle)) return;
      shown++;
      var alive = instances.filter(function (i) { return i.Status === 0; }).length;
      var card = el('div', 'card');
      var title = el('h3');
      title.appendChild(el('span', 'mono', name));
      title.appendChild(el('small', '', alive + ' alive of ' + instances.length));
      card.appendChild(title);
      var table = el('table');
      var head = el('tr');
      ['Host', 'ID', 'Image', 'Ports', 'Status', 'Updated', ''].forEach(function (h) { head.appendChild(el('th', '', h)); });
      table.appendChild(head);
      instances.forEach(function (svc) {
        var status = statusName(svc.Status);
        var badge = el('span', 'status s-' + status.toLowerCase(), status);
        var statusCell = el('td');
        statusCell.appendChild(badge);
        var actions = el('td', 'actions');
        var local = svc.Hostname === localHost;
        if (local && (svc.Status === 0 || svc.Status === 2 || svc.Status === 3)) actions.appendChild(drainButton(svc));
        if (local && svc.Status === 4) actions.appendChild(undrainButton(svc));
        var tr = row([el('td', 'mono', svc.Hostname), el('td', 'mono', svc.ID), el('td', 'mono', svc.Image),
          el('td', 'mono', ports(svc.Ports)), statusCell, el('td', '', ago(svc.Updated)), actions]);
        tr.className = (local ? 'local ' : '') + (svc.Status === 1 ? 'tombstone' : '');
        table.appendChild(tr);
      });
      card.appendChild(table);
      servicesEl.appendChild(card);
    });
    if (shown === 0) servicesEl.appendChild(el('p', 'empty', needle ? 'No service matches the filter' : 'No services known'));
  }
  function render(data) {
    renderHosts(data.ClusterMembers);
    renderServices(data.Services);
    updatedEl.textContent = 'updated ' + new Date().toLocaleTimeString();
  }
  function showNotice(text) {
    noticeEl.textContent = text;
    noticeEl.hidden = false;
  }
  function poll() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    var controller = new AbortController();
    var abort = setTimeout(function () { controller.abort(); }, POLL_MS - 500);
    fetch('/api/services.json', { cache: 'no-store', signal: controller.signal })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (data) {
        last = data;
        errorEl.hidden = true;
        render(data);
      })
      .catch(function (e) {
        errorEl.textContent = 'Cannot reach Sidecar: ' + (e && e.message ? e.message : e);
        errorEl.hidden = false;
      })
      .then(function () {
        clearTimeout(abort);
        timer = setTimeout(poll, POLL_MS);
      });
  }
  filterEl.addEventListener('input', function () { if (last) renderServices(last.Services); });
  poll();
})();
`;
