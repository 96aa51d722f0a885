import type { EidMethodInfo } from '@eid/core';
import { pageScript, type ScriptConfig } from './client-script.js';
import { escapeHtml, layout } from './html.js';
import { ERROR_MESSAGES } from './messages.js';
import { callCentreMethods, PROFILE_PATH, startPath } from './pages.js';

export interface CallCentrePage {
  methods: readonly EidMethodInfo[];
  prefix: string;
  /** The nonce of the page's Content-Security-Policy (`pageHeaders(nonce)`), when the app sends one. */
  nonce?: string;
}

/** How often the page asks for the status; the headless flows answer within seconds. */
const POLL_MS = 1500;

/**
 * The headless flow (Signicat `nbid-phone`, Safe Conversation): an agent types the caller's national
 * identity number, reads the binding message aloud, and the caller confirms the same words in the BankID
 * app. The number travels only in the POST body, never in a URL.
 */
export function renderCallCentre({ methods, prefix, nonce }: CallCentrePage): string {
  const headless = callCentreMethods(methods);
  if (headless.length === 0) {
    return layout({
      title: 'Call centre',
      body: '<section class="card"><h1>Call centre</h1><p>No call-centre login method is enabled.</p><a href="/">Back</a></section>',
    });
  }
  const options = headless
    .map(
      (method) =>
        `<option value="${escapeHtml(startPath(prefix, method))}">${escapeHtml(method.label)} (${escapeHtml(method.country)})</option>`,
    )
    .join('\n');
  const body = `<section class="card">
<h1>Call centre</h1>
<p>Log a caller in: type their national identity number, start, and read the words below to them.
They confirm the same words in their app.</p>
<div class="alert" role="alert" data-testid="call-centre-error" hidden></div>
<form id="call-centre-form" method="post" autocomplete="off" data-testid="call-centre-form">
<label for="nin">National identity number</label>
<input id="nin" name="nin" inputmode="numeric" required maxlength="20" data-testid="call-centre-nin">
<label for="method">Method</label>
<select id="method" name="method" data-testid="call-centre-method">
${options}
</select>
<button type="submit" data-testid="call-centre-start">Start</button>
</form>
<div id="pending" hidden>
<p>Ask the caller to check that their app shows:</p>
<p class="binding" aria-live="polite" data-testid="binding-message"></p>
<p class="status" data-testid="call-centre-status">Waiting for the caller to confirm…</p>
<button type="button" class="secondary" data-testid="call-centre-cancel">Cancel</button>
</div>
</section>`;
  const code = clientScript({ prefix, returnTo: PROFILE_PATH, messages: ERROR_MESSAGES, pollMs: POLL_MS });
  return layout({ title: 'Call centre', body, script: { code, ...(nonce ? { nonce } : {}) } });
}

function clientScript(config: ScriptConfig & { messages: Record<string, string>; pollMs: number }) {
  return pageScript(
    config,
    `  const form = $('call-centre-form');
  const pending = document.getElementById('pending');
  const binding = $('binding-message');
  const statusLine = $('call-centre-status');
  const errorBox = $('call-centre-error');
  const cancelButton = $('call-centre-cancel');
  let transactionId;
  let timer;
  let failures = 0;

  const showError = (code) => {
    clearTimeout(timer);
    transactionId = undefined;
    errorBox.textContent = config.messages[code] || 'The login did not work. Please try again.';
    errorBox.dataset.code = code || '';
    errorBox.hidden = false;
    pending.hidden = true;
    form.hidden = false;
  };

  async function poll() {
    const id = transactionId;
    if (!id) return;
    let response;
    try {
      response = await fetchStatus(id);
    } catch {
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
      if (body.bindingMessage) binding.textContent = body.bindingMessage;
      timer = setTimeout(poll, config.pollMs);
      return;
    }
    if (body.status === 'complete') {
      statusLine.textContent = 'Confirmed. Opening the profile…';
      window.location.assign(localPath(body.returnTo));
      return;
    }
    showError(failureCode(body));
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    const nin = form.elements.nin.value.trim();
    let response;
    try {
      response = await postStart(form.elements.method.value, { nin, returnTo: config.returnTo });
    } catch {
      return showError('provider_unavailable');
    }
    const body = await readBody(response);
    if (!response.ok) return showError(errorCode(body, 'provider_error'));
    transactionId = body.transactionId;
    failures = 0;
    binding.textContent = body.bindingMessage || '';
    statusLine.textContent = 'Waiting for the caller to confirm…';
    form.hidden = true;
    pending.hidden = false;
    timer = setTimeout(poll, config.pollMs);
  });

  cancelButton.addEventListener('click', async () => {
    const id = transactionId;
    if (!id) return;
    clearTimeout(timer);
    statusLine.textContent = 'Cancelling…';
    try {
      const response = await cancelAtServer(id);
      const body = await readBody(response);
      showError(response.ok ? 'user_cancelled' : errorCode(body, 'provider_error'));
    } catch {
      showError('provider_unavailable');
    }
  });
`,
  );
}
