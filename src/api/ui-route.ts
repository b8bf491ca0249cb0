import type { StateView } from '../catalog/index.js';
import type { ApiHandler } from './api-request.js';
import { sendBareRedirect, sendBody, sendNotFound } from './http-replies.js';
import { buildUiPage, type UiPage } from './ui-page.js';

/**
 * `/ui/` (and `/ui`): the operations page, built once on first use; `/ui/index.html`
 * redirects to the directory as Go's FileServer did; anything else below `/ui` is a 404.
 */
export function uiRoute(state: Pick<StateView, 'hostname' | 'clusterName'>): ApiHandler {
  let ui: UiPage | undefined;
  return ({ res, path, rawQuery }) => {
    const sub = path.slice('/ui'.length);
    if (sub === '/index.html') {
      sendBareRedirect(res, rawQuery === '' ? './' : `./?${rawQuery}`);
      return;
    }
    if (sub !== '' && sub !== '/') {
      sendNotFound(res);
      return;
    }
    ui ??= buildUiPage(state.hostname, state.clusterName);
    sendBody(
      res,
      200,
      {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': ui.contentSecurityPolicy,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-cache',
      },
      ui.html,
    );
  };
}
