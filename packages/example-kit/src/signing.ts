import { createHash } from 'node:crypto';
import type { Eid, EidMethodInfo, Identity, Logger, SigningOptions, SignResult } from '@eid/core';
import { pageScript } from './client-script.js';
import { escapeHtml, layout, scriptJson } from './html.js';
import { ERROR_MESSAGES, errorMessage } from './messages.js';
import { SIGN_PATH } from './pages.js';
import { SAMPLE_DOCUMENTS } from './sample-documents.js';

/**
 * The examples' `createEid({ signing })`: the two sample documents, which any logged-in person may sign (a real
 * app decides here who may sign what, from `identity` and its own records), and where a real app would store the
 * signature; the example logs it without personal data.
 */
export function exampleSigning(logger: Logger | undefined): SigningOptions {
  return {
    document: (documentId) =>
      Object.hasOwn(SAMPLE_DOCUMENTS, documentId) ? SAMPLE_DOCUMENTS[documentId] : undefined,
    onSigned: ({ transactionId, provider, method, document }) => {
      logger?.info({ transactionId, provider, method, documentId: document.id }, 'document signed');
    },
  };
}

/** The methods that can sign documents of this type. */
export function signingMethods(methods: readonly EidMethodInfo[], contentType: string): EidMethodInfo[] {
  return methods.filter(
    (method) => method.purpose === 'sign' && method.signs?.includes(contentType as never),
  );
}

/** The sign page as the example apps answer it: 403 with how to log in without a login, else the page. */
export async function signPageResponse(options: {
  eid: Pick<Eid, 'methods' | 'prefix' | 'signature'>;
  identity: Identity | undefined;
  query: Record<string, unknown>;
  /** The nonce of the page's Content-Security-Policy (`pageHeaders(nonce)`). */
  nonce: string;
}): Promise<{ status: 200 | 403; html: string }> {
  const { eid, identity, query, nonce } = options;
  if (!identity) return { status: 403, html: renderSignLoginFirst() };
  const signedId = typeof query.signed === 'string' ? query.signed : undefined;
  const found = signedId ? await eid.signature(signedId) : undefined;
  // `eid.signature` asks no browser binding: the page shows only a signature of the person logged in here.
  const signature = found && sameSigner(found.signer, identity) ? found : undefined;
  const error = typeof query.error === 'string' ? query.error : undefined;
  return {
    status: 200,
    html: renderSignPage({ methods: eid.methods(), prefix: eid.prefix, signature, error, nonce }),
  };
}

function sameSigner(signer: Identity, identity: Identity): boolean {
  if (signer.nin && identity.nin) {
    return signer.nin.country === identity.nin.country && signer.nin.value === identity.nin.value;
  }
  return signer.provider === identity.provider && signer.subject === identity.subject;
}

function renderSignLoginFirst(): string {
  return layout({
    title: 'Sign an agreement',
    body: `<section class="card" data-testid="sign-login-first">
<h1>Sign an agreement</h1>
<div class="alert" role="alert">Log in first: you sign as the person you logged in as.</div>
<p>Log in with your electronic ID on the <a href="/">home page</a>, then come back here.</p>
</section>`,
  });
}

function formatInstant(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function renderResult(signature: SignResult, prefix: string): string {
  const download = `${prefix}/sign/${encodeURIComponent(signature.transactionId)}/document`;
  const rows: [string, string, string][] = [
    ['Document', 'signed-document', signature.document.title],
    ['Signed by', 'signed-by', signature.signer.name ?? signature.signer.subject],
    ['Signed at', 'signed-at', formatInstant(signature.signedAt)],
    ['Signed with', 'signed-method', `${signature.provider} / ${signature.method}`],
    ['Document SHA-256', 'signed-sha256', signature.document.sha256],
    ['Signature', 'signed-evidence', `${signature.evidence.format}, ${signature.evidence.size} bytes`],
  ];
  const list = rows
    .map(
      ([label, id, value]) =>
        `<dt>${escapeHtml(label)}</dt><dd data-testid="${id}">${escapeHtml(value)}</dd>`,
    )
    .join('\n');
  return `<section class="card" data-testid="sign-result">
<div class="note" role="status">The document is signed.</div>
<dl>
${list}
</dl>
<a class="button" href="${escapeHtml(download)}" data-testid="sign-download">Download the signed document</a>
</section>`;
}

function renderDocument(id: string, methods: readonly EidMethodInfo[], prefix: string): string {
  const document = SAMPLE_DOCUMENTS[id]!;
  const bytes = typeof document.content === 'string' ? Buffer.from(document.content) : document.content;
  const preview =
    typeof document.content === 'string'
      ? `<pre data-testid="sign-text-${id}">${escapeHtml(document.content)}</pre>`
      : `<p>A PDF document, ${bytes.length} bytes.</p>`;
  const offered = signingMethods(methods, document.contentType);
  const buttons = offered
    .map(
      (
        method,
      ) => `<form method="post" data-sign-form action="${escapeHtml(`${prefix}/sign/${method.provider}/${method.method}`)}">
<input type="hidden" name="documentId" value="${escapeHtml(id)}">
<input type="hidden" name="returnTo" value="${SIGN_PATH}">
<button type="submit" data-testid="${escapeHtml(`sign-${id}-${method.provider}-${method.method}`)}">${escapeHtml(method.label)} (${escapeHtml(method.providerName)})</button>
</form>`,
    )
    .join('\n');
  return `<section class="card" data-testid="sign-document-${id}">
<h2>${escapeHtml(document.title)}</h2>
${preview}
<p>SHA-256 <code>${createHash('sha256').update(bytes).digest('hex')}</code></p>
<div class="stack">${buttons || '<p>No signing method here signs this kind of document.</p>'}</div>
</section>`;
}

export interface SignPage {
  methods: readonly EidMethodInfo[];
  prefix: string;
  signature?: SignResult | undefined;
  error?: string | undefined;
  nonce?: string;
}

/** The sample documents, a button per signing method that takes them, and the last signature's result. */
export function renderSignPage({ methods, prefix, signature, error, nonce }: SignPage): string {
  const alert = `<div class="alert" role="alert" data-testid="sign-error"${error ? '' : ' hidden'}>${error ? escapeHtml(errorMessage(error)) : ''}</div>`;
  const body = `<section class="card">
<h1>Sign an agreement</h1>
${alert}
<p>Sign a sample document with your electronic ID. You sign as the person you logged in as; the signed
document stays with this site, and you can download it afterwards.</p>
</section>
${signature ? renderResult(signature, prefix) : ''}
${Object.keys(SAMPLE_DOCUMENTS)
  .map((id) => renderDocument(id, methods, prefix))
  .join('\n')}`;
  const code = pageScript(
    { prefix, returnTo: SIGN_PATH },
    `  // The forms are posted as JSON and the browser sent to the provider's address from the answer: the page's
  // Content-Security-Policy (form-action 'self') would stop a form post that redirects to another site.
  const messages = ${scriptJson(ERROR_MESSAGES)};
  const errorBox = $('sign-error');
  for (const form of document.querySelectorAll('form[data-sign-form]')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      let body = {};
      let ok = false;
      try {
        const response = await postStart(form.action, data);
        body = await readBody(response);
        ok = response.ok;
      } catch {
        body = { error: { code: 'provider_unavailable' } };
      }
      const target = ok && typeof body.redirectUrl === 'string' ? new URL(body.redirectUrl, location.href) : undefined;
      if (target && (target.protocol === 'https:' || target.protocol === 'http:')) return location.assign(target.href);
      errorBox.textContent = messages[errorCode(body, 'provider_error')] || messages.provider_error;
      errorBox.hidden = false;
    });
  }
`,
  );
  return layout({ title: 'Sign an agreement', body, script: { code, ...(nonce ? { nonce } : {}) } });
}
