import type { EidMethodInfo } from '@eid/core';
import { pageScript, type ScriptConfig } from './client-script.js';
import { layout } from './html.js';
import { ERROR_MESSAGES } from './messages.js';
import { bankIdQrMethods, PROFILE_PATH, startPath } from './pages.js';
import { QR_SVG_PATH } from './qr-svg.js';

export interface BankIdQrPage {
  methods: readonly EidMethodInfo[];
  prefix: string;
  /** The nonce of the page's Content-Security-Policy (`pageHeaders(nonce)`), when the app sends one. */
  nonce?: string;
}

/**
 * Swedish BankID's QR code changes every second (the code of each second is in every status answer), so the
 * page polls every second rather than at BankID's usual two.
 */
const POLL_MS = 1000;

/**
 * Swedish BankID without a redirect: the page starts `sbid-qr` and shows its animated QR code, drawn by the
 * app's own `/qr.svg`, for the BankID app on a phone to scan. "Open BankID on this device" starts an `sbid-app`
 * login instead (the QR login is cancelled) and opens `bankid:///?autostarttoken=…`: a QR order need not carry
 * an autoStartToken, so the page does not count on one. Either way the page polls and opens the profile.
 */
export function renderBankIdQr({ methods, prefix, nonce }: BankIdQrPage): string {
  const { qr, app } = bankIdQrMethods(methods);
  if (!qr) {
    return layout({
      title: 'Swedish BankID',
      body: '<section class="card"><h1>Swedish BankID</h1><p>Swedish BankID with a QR code is not enabled.</p><a href="/">Back</a></section>',
    });
  }
  const openApp = app
    ? '<button type="button" data-testid="bankid-open-app" hidden>Open BankID on this device</button>\n'
    : '';
  const body = `<section class="card" data-testid="bankid-qr">
<h1>Log in with Swedish BankID</h1>
<p>Open the BankID app on your phone, choose <strong>Scan QR code</strong> and point the camera at the code.
The code changes every second.</p>
<div class="alert" role="alert" data-testid="bankid-error" hidden></div>
<div id="qr-box" class="qr" hidden>
<img data-testid="bankid-qr-image" width="240" height="240" alt="QR code to scan with the BankID app">
</div>
<p class="status" aria-live="polite" data-testid="bankid-status">Starting…</p>
<div class="stack">
${openApp}<a class="button" data-testid="bankid-app-link" hidden>Open the BankID app</a>
<button type="button" class="secondary" data-testid="bankid-retry" hidden>Try again</button>
<button type="button" class="secondary" data-testid="bankid-cancel" hidden>Cancel</button>
</div>
<noscript><p>This page needs JavaScript to show the code.</p></noscript>
<p><a href="/">Back</a></p>
</section>`;
  const code = clientScript({
    prefix,
    qrStart: startPath(prefix, qr),
    appStart: app ? startPath(prefix, app) : null,
    qrPath: QR_SVG_PATH,
    returnTo: PROFILE_PATH,
    messages: ERROR_MESSAGES,
    pollMs: POLL_MS,
  });
  return layout({ title: 'Swedish BankID', body, script: { code, ...(nonce ? { nonce } : {}) } });
}

function clientScript(
  config: ScriptConfig & {
    qrStart: string;
    appStart: string | null;
    qrPath: string;
    messages: Record<string, string>;
    pollMs: number;
  },
) {
  return pageScript(config, [PAGE_STATE, DISPLAY, POLL_LOOP, START, APP_LAUNCH, CONTROLS].join(''));
}

// The browser script of the page, in the order it runs; `config` and the shared helpers come from pageScript.

/** The page's elements and the login it follows. */
const PAGE_STATE = `  const root = $('bankid-qr');
  const qrBox = document.getElementById('qr-box');
  const image = $('bankid-qr-image');
  const statusLine = $('bankid-status');
  const errorBox = $('bankid-error');
  const openApp = $('bankid-open-app');
  const appLink = $('bankid-app-link');
  const retryButton = $('bankid-retry');
  const cancelButton = $('bankid-cancel');
  let transactionId;
  let timer;
  let failures = 0;
  let shownQr;

`;

/** What the page shows: the transaction, the QR code, an error with its retry button. */
const DISPLAY = `  // The transaction id is on the page (data-transaction-id) for tests; it is bound to this browser's session.
  const setTransaction = (id) => {
    transactionId = id;
    if (id) root.dataset.transactionId = id;
    else delete root.dataset.transactionId;
  };
  const showQr = (data) => {
    if (!data || data === shownQr) return;
    shownQr = data;
    image.src = config.qrPath + '?data=' + encodeURIComponent(data);
  };
  const showError = (code) => {
    clearTimeout(timer);
    setTransaction(undefined);
    errorBox.textContent = config.messages[code] || 'The login did not work. Please try again.';
    errorBox.dataset.code = code || '';
    errorBox.hidden = false;
    qrBox.hidden = true;
    appLink.hidden = true;
    cancelButton.hidden = true;
    if (openApp) openApp.hidden = true;
    retryButton.hidden = false;
    statusLine.textContent = '';
  };

`;

/** The poll loop: every `pollMs` while pending (each answer carries the current QR code), a few retries on network errors, then the profile or the error. */
const POLL_LOOP = `  async function poll() {
    const id = transactionId;
    if (!id) return;
    let response;
    try {
      response = await fetchStatus(id);
    } catch {
      if (id !== transactionId) return;
      // A network blip: try again a few times before giving up.
      if (++failures > 3) return showError('provider_unavailable');
      timer = setTimeout(poll, config.pollMs);
      return;
    }
    failures = 0;
    const body = await readBody(response);
    if (id !== transactionId) return;
    if (!response.ok) return showError(errorCode(body, 'transaction_not_found'));
    if (body.status === 'pending') {
      showQr(body.qrData);
      timer = setTimeout(poll, config.pollMs);
      return;
    }
    if (body.status === 'complete') {
      statusLine.textContent = 'Identified. Opening your profile…';
      window.location.assign(localPath(body.returnTo));
      return;
    }
    showError(failureCode(body));
  }

`;

/** Starting a login, and the QR login the page opens with. */
const START = `  /** Starts a login; undefined when it failed and the error shows. */
  async function start(path) {
    clearTimeout(timer);
    setTransaction(undefined);
    errorBox.hidden = true;
    retryButton.hidden = true;
    let response;
    try {
      response = await postStart(path, { returnTo: config.returnTo });
    } catch {
      return showError('provider_unavailable');
    }
    const body = await readBody(response);
    if (!response.ok) return showError(errorCode(body, 'provider_error'));
    setTransaction(body.transactionId);
    failures = 0;
    cancelButton.hidden = false;
    return body;
  }

  async function startQr() {
    shownQr = undefined;
    image.removeAttribute('src');
    appLink.hidden = true;
    statusLine.textContent = 'Starting…';
    const body = await start(config.qrStart);
    if (!body) return;
    qrBox.hidden = false;
    if (openApp) openApp.hidden = false;
    showQr(body.qrData);
    statusLine.textContent = 'Waiting for you to scan the code…';
    timer = setTimeout(poll, config.pollMs);
  }

`;

/** The same-device login: gives up the QR login, starts `sbid-app` and opens the BankID app with its autoStartToken. */
const APP_LAUNCH = `  async function startApp() {
    const previous = transactionId;
    qrBox.hidden = true;
    openApp.hidden = true;
    statusLine.textContent = 'Opening BankID…';
    // One login at a time: the QR one is given up at BankID too.
    if (previous) cancelAtServer(previous).catch(() => {});
    const body = await start(config.appStart);
    if (!body) return;
    if (!body.autoStartToken) return showError('provider_error');
    // redirect=null: BankID returns to nothing; the person comes back to this tab, which is still polling.
    appLink.href = 'bankid:///?autostarttoken=' + encodeURIComponent(body.autoStartToken) + '&redirect=null';
    appLink.hidden = false;
    statusLine.textContent = 'Identify yourself in the BankID app. If it did not open, use the button.';
    timer = setTimeout(poll, config.pollMs);
    window.location.href = appLink.href;
  }

`;

/** The buttons, then the QR login starts. */
const CONTROLS = `  if (openApp && config.appStart) openApp.addEventListener('click', () => startApp());
  retryButton.addEventListener('click', () => startQr());
  cancelButton.addEventListener('click', async () => {
    const id = transactionId;
    if (!id) return;
    clearTimeout(timer);
    setTransaction(undefined);
    statusLine.textContent = 'Cancelling…';
    try {
      const response = await cancelAtServer(id);
      const body = await readBody(response);
      showError(response.ok ? 'user_cancelled' : errorCode(body, 'provider_error'));
    } catch {
      showError('provider_unavailable');
    }
  });
  startQr();
`;
