import type { Eid, EidMethodInfo, Identity } from '@eid/core';
import { pageScript, type ScriptConfig } from './client-script.js';
import { escapeHtml, layout } from './html.js';
import { ERROR_MESSAGES } from './messages.js';
import { callCentreMethods, startPath } from './pages.js';

export interface CallCentrePage {
  methods: readonly EidMethodInfo[];
  prefix: string;
  /** The logged-in operator (`isOperator`); without one the page says how to log in. */
  operator?: Identity | undefined;
  /** The nonce of the page's Content-Security-Policy (`pageHeaders(nonce)`), when the app sends one. */
  nonce?: string;
}

/** How often the page asks for the status; the headless flows answer within seconds. */
const POLL_MS = 1500;

/**
 * Who may verify callers in the examples: a browser logged in with an eID `login` method (a real app would ask
 * its own staff login). The examples' `createEid({ authorizeVerify })` and their call-centre page both ask this.
 */
export function isOperator(eid: Pick<Eid, 'provider'>, identity: Identity | undefined): boolean {
  if (!identity) return false;
  const method = eid
    .provider(identity.provider)
    ?.methods.find((candidate) => candidate.id === identity.method);
  return method?.purpose === 'login';
}

/** The call-centre page as the example apps answer it: 200 for an operator, 403 with how to log in otherwise. */
export function callCentreResponse(options: {
  eid: Pick<Eid, 'provider' | 'methods' | 'prefix'>;
  identity: Identity | undefined;
  nonce: string;
}): { status: 200 | 403; html: string } {
  const { eid, identity, nonce } = options;
  const operator = isOperator(eid, identity) ? identity : undefined;
  const html = renderCallCentre({ methods: eid.methods(), prefix: eid.prefix, operator, nonce });
  return { status: operator ? 200 : 403, html };
}

/**
 * The operator's page for verifying a caller (Signicat `nbid-phone`, Safe Conversation): the operator, logged in,
 * types the caller's national identity number, reads the binding message aloud, and the caller confirms the same
 * words in the BankID app. The page then shows who the caller is; nobody is logged in by it. The number travels
 * only in the POST body, never in a URL.
 */
export function renderCallCentre({ methods, prefix, operator, nonce }: CallCentrePage): string {
  if (!operator) {
    return layout({
      title: 'Call centre',
      body: `<section class="card" data-testid="call-centre-login-first">
<h1>Call centre</h1>
<div class="alert" role="alert">This page is for the app's operators: log in first.</div>
<p>Log in with your own electronic ID on the <a href="/" data-testid="call-centre-home">home page</a> (for example
Norwegian BankID), then come back here to verify callers. Verifying a caller never logs anyone in.</p>
</section>`,
    });
  }
  const verifiers = callCentreMethods(methods);
  const signedIn = `<div class="note" data-testid="call-centre-operator">Operator: <strong>${escapeHtml(operator.name ?? operator.subject)}</strong></div>`;
  if (verifiers.length === 0) {
    return layout({
      title: 'Call centre',
      body: `<section class="card"><h1>Call centre</h1>${signedIn}<p>No method for verifying callers is enabled.</p><a href="/">Back</a></section>`,
    });
  }
  const options = verifiers
    .map(
      (method) =>
        `<option value="${escapeHtml(startPath(prefix, method))}">${escapeHtml(method.label)} (${escapeHtml(method.country)})</option>`,
    )
    .join('\n');
  const body = `<section class="card">
<h1>Call centre</h1>
${signedIn}
<p>Verify who is calling: type their national identity number, start, and read the words below to them.
They confirm the same words in their app, and this page shows who they are.</p>
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
<div id="verified" hidden data-testid="call-centre-verified">
<div class="note" role="status">The caller is verified.</div>
<dl>
<dt>Name</dt><dd data-testid="verified-name"></dd>
<dt>National identity number</dt><dd data-testid="verified-nin"></dd>
<dt>Date of birth</dt><dd data-testid="verified-date-of-birth"></dd>
<dt>Verified with</dt><dd data-testid="verified-method"></dd>
<dt>Verified at</dt><dd data-testid="verified-at"></dd>
</dl>
<button type="button" class="secondary" data-testid="call-centre-again">Verify another caller</button>
</div>
</section>`;
  const code = clientScript({ prefix, returnTo: '/call-centre', messages: ERROR_MESSAGES, pollMs: POLL_MS });
  return layout({ title: 'Call centre', body, script: { code, ...(nonce ? { nonce } : {}) } });
}

function clientScript(config: ScriptConfig & { messages: Record<string, string>; pollMs: number }) {
  return pageScript(
    config,
    `  const form = $('call-centre-form');
  const pending = document.getElementById('pending');
  const verified = document.getElementById('verified');
  const binding = $('binding-message');
  const statusLine = $('call-centre-status');
  const errorBox = $('call-centre-error');
  const cancelButton = $('call-centre-cancel');
  let transactionId;
  let timer;
  let failures = 0;

  const showForm = () => {
    pending.hidden = true;
    verified.hidden = true;
    form.hidden = false;
  };

  const showError = (code) => {
    clearTimeout(timer);
    transactionId = undefined;
    errorBox.textContent = config.messages[code] || 'The verification did not work. Please try again.';
    errorBox.dataset.code = code || '';
    errorBox.hidden = false;
    showForm();
  };

  // The full number stays out of the page: the first six digits (the date of birth) and stars.
  const masked = (nin) =>
    nin && typeof nin.value === 'string'
      ? nin.value.slice(0, 6) + '*'.repeat(Math.max(nin.value.length - 6, 4)) + ' (' + nin.country + ')'
      : '';

  const showVerified = (person) => {
    clearTimeout(timer);
    transactionId = undefined;
    $('verified-name').textContent = person.name || person.subject || '';
    $('verified-nin').textContent = masked(person.nin);
    $('verified-date-of-birth').textContent = person.dateOfBirth || '';
    $('verified-method').textContent = person.provider + ' / ' + person.method;
    $('verified-at').textContent = person.authenticatedAt || '';
    pending.hidden = true;
    form.hidden = true;
    verified.hidden = false;
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
    if (body.status === 'complete' && body.verified) return showVerified(body.verified);
    showError(failureCode(body));
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    const nin = form.elements.nin.value.trim();
    let response;
    try {
      response = await postStart(form.elements.method.value, { nin });
    } catch {
      return showError('provider_unavailable');
    }
    const body = await readBody(response);
    if (!response.ok) return showError(errorCode(body, 'provider_error'));
    form.elements.nin.value = '';
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

  $('call-centre-again').addEventListener('click', () => {
    errorBox.hidden = true;
    showForm();
  });
`,
  );
}
