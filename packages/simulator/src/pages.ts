import { HttpError, sendHtml } from './http.js';
import type { RouteHandler } from './router.js';
import type { TestUser } from './types.js';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#eef1f5;color:#1b2430}
main{width:100%;max-width:26rem;margin:1rem;padding:2rem;background:#fff;border-radius:12px;
box-shadow:0 4px 24px rgba(20,30,50,.12)}
h1{margin:0 0 .25rem;font-size:1.35rem}
p{margin:.25rem 0 1rem;color:#4a5565}
.badge{display:inline-block;margin-bottom:1rem;padding:.1rem .5rem;border-radius:999px;background:#fff4d6;
color:#7a5600;font-size:.75rem;font-weight:600;letter-spacing:.03em;text-transform:uppercase}
.binding{padding:.75rem;border:1px dashed #8796aa;border-radius:8px;text-align:center;font-weight:600}
.document{white-space:pre-wrap;padding:.75rem;border:1px solid #c3ccd8;border-radius:8px;max-height:16rem;overflow:auto}
nav{display:flex;flex-wrap:wrap;gap:.5rem;margin-bottom:1rem}
nav a{padding:.2rem .6rem;border:1px solid #c6cfdb;border-radius:6px;color:#1b2430;text-decoration:none;font-size:.875rem}
nav a[aria-current]{background:#1b2430;border-color:#1b2430;color:#fff}
label{display:block;margin-bottom:.25rem;font-weight:600}
select{width:100%;padding:.6rem;border:1px solid #c6cfdb;border-radius:8px;font:inherit;background:#fff}
.actions{display:flex;gap:.5rem;margin-top:1.25rem}
button{flex:1;padding:.65rem;border:0;border-radius:8px;font:inherit;font-weight:600;cursor:pointer}
button[value=success]{background:#1f6feb;color:#fff}
button[value=abort]{background:#e6e9ee;color:#1b2430}
button[value=error]{background:#fde2e1;color:#9b1c1c}
`;

function layout(lang: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface ApprovalPage {
  /** E.g. "Simulated Norwegian BankID"; the page title and heading. */
  title: string;
  /** The test users the person may pick from; option value is the user id, text the name. */
  users: readonly TestUser[];
  /** The user to preselect. */
  selectedUserId?: string;
  /** Hidden form fields, posted back with the choice. */
  hidden?: Record<string, string>;
  /** Links to switch between the eIDs a session allows; the current one is marked. */
  alternatives?: { label: string; href: string; current: boolean }[];
  bindingMessage?: string;
  /** `lang` of the page, ISO 639-1. */
  lang?: string;
  /** A signing page: what the person signs, as text, or a PDF's page count. */
  document?: { text: string } | { pdfPages: number };
}

function renderDocument(document: ApprovalPage['document']): string {
  if (!document) return '';
  if ('text' in document) {
    return `<p>You are signing this text:</p><pre class="document" data-testid="sim-document">${escapeHtml(document.text)}</pre>`;
  }
  const pages = document.pdfPages === 1 ? '1 page' : `${document.pdfPages} pages`;
  return `<p data-testid="sim-document">You are signing a PDF document, ${pages}.</p>`;
}

/**
 * The end-user page: `<form method="post">` (posting back to the same URL) with `<select name="user">`
 * and buttons `name="outcome"` `success` / `abort` / `error`.
 */
export function renderApprovalPage(page: ApprovalPage): string {
  const options = page.users
    .map((user) => {
      const selected = user.id === page.selectedUserId ? ' selected' : '';
      return `<option value="${escapeHtml(user.id)}"${selected}>${escapeHtml(user.name)}</option>`;
    })
    .join('\n');
  const hidden = Object.entries(page.hidden ?? {})
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const alternatives =
    page.alternatives && page.alternatives.length > 1
      ? `<nav aria-label="eID">${page.alternatives
          .map(
            (alt) =>
              `<a href="${escapeHtml(alt.href)}"${alt.current ? ' aria-current="page"' : ''}>${escapeHtml(alt.label)}</a>`,
          )
          .join('')}</nav>`
      : '';
  const binding = page.bindingMessage
    ? `<p>Check that your app shows:</p><p class="binding">${escapeHtml(page.bindingMessage)}</p>`
    : '';
  const body = `<span class="badge">Test environment</span>
<h1>${escapeHtml(page.title)}</h1>
<p>Pick a test user and decide how the ${page.document ? 'signing' : 'login'} ends.</p>
${alternatives}
${binding}
${renderDocument(page.document)}
<form method="post">
${hidden}
<label for="user">Test user</label>
<select id="user" name="user">
${options}
</select>
<div class="actions">
<button type="submit" name="outcome" value="success">Approve</button>
<button type="submit" name="outcome" value="abort">Cancel</button>
<button type="submit" name="outcome" value="error">Fail</button>
</div>
</form>`;
  return layout(page.lang ?? 'en', page.title, body);
}

/** A page for a login that cannot go on (unknown, finished, expired), instead of a crash. */
export function renderErrorPage(title: string, message: string, lang = 'en'): string {
  return layout(
    lang,
    title,
    `<span class="badge">Test environment</span>\n<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`,
  );
}

/** Wraps an end-user page route: an HttpError becomes an error page for the person, not JSON. */
export function endUserPage(handler: RouteHandler): RouteHandler {
  return async (ctx) => {
    try {
      await handler(ctx);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      const title = error.status === 404 ? 'Login not found' : 'Login not possible';
      sendHtml(ctx.res, error.status, renderErrorPage(title, error.message));
    }
  };
}
