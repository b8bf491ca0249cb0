import { compareGoKeys, type Timestamp } from '../core/index.js';
import { statusString, type Service, type StateView } from '../catalog/index.js';
import { escapeHtml } from './html-escape.js';
import type { ApiMember } from './state-documents.js';
import { timeAgo } from './time-ago.js';

/**
 * The `/servers` page: the Go Sidecar's `state.Format` text dump in a `<pre>`, refreshed by
 * the browser every 4 s. Columns and padding are Go's (`%-30s` counts characters);
 * unlike the Go Sidecar, every value is HTML-escaped (after padding, so columns still line up).
 */
export function serversPage(state: StateView, members: readonly ApiMember[], now: Timestamp): string {
  return (
    '\n \t\t\t<head>\n \t\t\t<meta http-equiv="refresh" content="4">\n \t\t\t</head>\n\t    \t<pre>' +
    formatState(state, members, now) +
    '</pre>'
  );
}

/** `state.Format(list)`: servers by name, their services by name, then the cluster hosts. */
export function formatState(state: StateView, members: readonly ApiMember[], now: Timestamp): string {
  let out = 'Services ------------------------------\n';
  const servers = [...state.servers.values()].sort((a, b) => compareGoKeys(a.name, b.name));
  for (const server of servers) {
    out += `  ${escapeHtml(server.name)}: (${timeAgo(server.lastUpdated, now)})\n`;
    const services = [...server.services.values()].sort(
      (a, b) => compareGoKeys(a.name, b.name) || compareGoKeys(a.id, b.id),
    );
    for (const svc of services) out += formatService(svc, now);
    out += '\n';
  }
  out += '\nCluster Hosts -------------------------\n';
  const hosts = [...new Set(members.map((m) => m.name))].sort(compareGoKeys);
  for (const host of hosts) out += `    ${escapeHtml(host)}\n`;
  out += '---------------------------------------';
  return out;
}

/** `svc.Format()`: `      <ID> <Name:30> <ports:15> <Image:45>  <age:15> <status:9>`. */
export function formatService(svc: Service, now: Timestamp): string {
  const ports = (svc.ports ?? []).map((p) => `${p.servicePort}->${p.port}`).join(',');
  const cells = [
    cell(svc.name, 30),
    cell(ports, 15),
    cell(svc.image, 45),
  ];
  return `      ${escapeHtml(svc.id)} ${cells.join(' ')}  ${cell(timeAgo(svc.updated, now), 15)} ${cell(statusString(svc.status), 9)}\n`;
}

/** Go's `%-<width>s` (width in characters), then HTML-escaped. */
function cell(text: string, width: number): string {
  const length = [...text].length;
  return escapeHtml(length >= width ? text : text + ' '.repeat(width - length));
}
