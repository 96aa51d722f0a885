import { scriptJson } from './html.js';

/** What a page's script is given: the eID routes' prefix and where a finished login goes. */
export interface ScriptConfig {
  prefix: string;
  returnTo: string;
}

/**
 * A page's inline script: `body` runs with `config` and the helpers the login pages share for talking to the
 * eID routes (`$` finds an element by `data-testid`; the status, cancel and start calls; reading their answers).
 */
export function pageScript(config: ScriptConfig, body: string): string {
  return `
(() => {
  const config = ${scriptJson(config)};
  const $ = (id) => document.querySelector('[data-testid="' + id + '"]');
  const json = { accept: 'application/json' };
  const readBody = (response) => response.json().catch(() => ({}));
  const errorCode = (body, fallback) => (body && body.error && body.error.code) || fallback;
  const failureCode = (body) =>
    errorCode(body, body.status === 'cancelled' ? 'user_cancelled' : body.status === 'expired' ? 'transaction_expired' : 'provider_error');
  const localPath = (path) => (typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') && !path.includes('\\\\') ? path : config.returnTo);
  const fetchStatus = (id) =>
    fetch(config.prefix + '/status/' + encodeURIComponent(id), { headers: json, credentials: 'same-origin' });
  const cancelAtServer = (id) =>
    fetch(config.prefix + '/cancel/' + encodeURIComponent(id), { method: 'POST', headers: json, credentials: 'same-origin' });
  /** Starts a login by POST (headless methods take no GET). */
  const postStart = (path, payload) =>
    fetch(path, {
      method: 'POST',
      headers: { ...json, 'content-type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify(payload),
    });
${body}})();
`;
}
