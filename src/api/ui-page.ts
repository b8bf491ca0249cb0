import { createHash } from 'node:crypto';
import { escapeHtml } from './html-escape.js';
import { UI_SCRIPT } from './ui-script.js';
import { UI_STYLE } from './ui-style.js';

/**
 * The live operations page at `/ui/`: one self-contained page (no external assets, no
 * framework, works with no internet) in place of the Go Sidecar's AngularJS app. It is
 * updated by push from `GET /api/events` (server-sent events, see ops-feed.ts) and shows the
 * members in every state, the services with their instances and health checks, this host's
 * ServicePorts with live figures, and a timeline of changes; local instances get Drain and
 * Undrain buttons that follow the API's mutation rules (a token prompt on 401/403). Its
 * script and style are TS modules (ui-script.ts, ui-style.ts), so the page is the same from
 * source, the npm bundle and the single executable. It is served with a
 * Content-Security-Policy that allows only its own inline script and style (by hash) and
 * connections to its own origin.
 */
export interface UiPage {
  readonly html: string;
  /** The `Content-Security-Policy` header value for this page. */
  readonly contentSecurityPolicy: string;
}

export function buildUiPage(hostname: string, clusterName: string): UiPage {
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sidecar – ${escapeHtml(clusterName)}</title>
<style>${UI_STYLE}</style>
</head>
<body>
<header>
  <h1>Sidecar</h1>
  <span class="meta">cluster <b>${escapeHtml(clusterName)}</b> · this host <b>${escapeHtml(hostname)}</b></span>
  <span id="live">connecting…</span>
  <input id="filter" type="search" placeholder="Filter services, hosts, images" autocomplete="off">
</header>
<div id="notice" class="banner notice" hidden></div>
<main>
  <section class="wide">
    <h2>Members <small id="members-count"></small></h2>
    <table id="members"><thead><tr><th>Host</th><th>State</th><th>Address</th><th class="num">Incarnation</th><th>Last change</th><th class="num">Services</th></tr></thead><tbody id="members-body"></tbody></table>
  </section>
  <section class="wide">
    <h2>Services <small id="services-count"></small></h2>
    <div id="services"></div>
  </section>
  <section class="wide">
    <h2>Load balancer on this host <small id="proxy-window"></small></h2>
    <div id="proxy"></div>
  </section>
  <aside>
    <h2>Recent changes</h2>
    <ul id="timeline"></ul>
  </aside>
</main>
<script>${UI_SCRIPT}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src '${sha256(UI_SCRIPT)}'`,
    `style-src '${sha256(UI_STYLE)}'`,
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
