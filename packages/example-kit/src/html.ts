import { randomBytes } from 'node:crypto';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A value for an inline `<script>`: JSON that cannot close the script element or open a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

/** A fresh nonce for the one inline script a page may carry (see `pageHeaders`). */
export function createNonce(): string {
  return randomBytes(18).toString('base64');
}

/**
 * Response headers for the pages: HTML, never cached (they show who is logged in), and a Content Security
 * Policy that allows only the inline style and, with `nonce`, the page's own inline script.
 */
export function pageHeaders(nonce?: string): Record<string, string> {
  const script = nonce ? `'nonce-${nonce}'` : "'none'";
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; script-src ${script}; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    'referrer-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
  };
}

const STYLE = `
*{box-sizing:border-box}
:root{--ink:#17202b;--muted:#5a6575;--line:#dde3ea;--accent:#2146d0;--accent-ink:#fff;--bg:#f3f5f8;--card:#fff;
--bad:#a4161a;--bad-bg:#fdecec}
body{margin:0;min-height:100vh;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--ink)}
header{padding:1rem 1.5rem;border-bottom:1px solid var(--line);background:var(--card)}
header a{color:var(--ink);font-weight:700;text-decoration:none}
header small{margin-left:.5rem;color:var(--muted)}
main{max-width:46rem;margin:2rem auto;padding:0 1rem}
.card{padding:1.75rem;background:var(--card);border:1px solid var(--line);border-radius:14px;box-shadow:0 6px 24px rgba(23,32,43,.06)}
.card+.card{margin-top:1rem}
h1{margin:0 0 .5rem;font-size:1.5rem;line-height:1.25}
h2{margin:0 0 .75rem;font-size:1.05rem}
p{margin:.25rem 0 1rem;color:var(--muted)}
a{color:var(--accent)}
.stack{display:grid;gap:.6rem}
.provider h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:.9rem 0 .5rem}
.buttons{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:.5rem}
.buttons .button{font-size:.9rem;padding:.6rem .75rem;text-align:center}
.button,button{display:flex;align-items:center;justify-content:center;width:100%;padding:.75rem 1rem;border:0;border-radius:10px;
font:inherit;font-weight:600;text-decoration:none;cursor:pointer;background:var(--accent);color:var(--accent-ink)}
.button:hover,button:hover{background:#1a39ad}
.button.secondary,button.secondary{background:#e8ecf2;color:var(--ink)}
.button.secondary:hover,button.secondary:hover{background:#d6dde7}
.alert{margin-bottom:1rem;padding:.75rem 1rem;border-radius:10px;background:var(--bad-bg);color:var(--bad);font-weight:500}
.note{margin-bottom:1rem;padding:.75rem 1rem;border-radius:10px;background:#eef3ff;color:var(--ink)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.5rem 1.25rem;margin:0 0 1.5rem}
dt{color:var(--muted)}
dd{margin:0;font-weight:500;overflow-wrap:anywhere}
label{display:block;margin:0 0 .3rem;font-weight:600}
input,select{width:100%;margin-bottom:1rem;padding:.65rem .75rem;border:1px solid #c3ccd8;border-radius:10px;font:inherit;background:#fff}
.binding{margin:.5rem 0 1rem;padding:1.25rem;border:2px dashed var(--accent);border-radius:12px;text-align:center;
font-size:2rem;font-weight:700;letter-spacing:.02em;color:var(--ink)}
.status{color:var(--muted)}
.qr{display:flex;justify-content:center;margin:.5rem 0 1rem}
.qr img{width:240px;height:240px;border:1px solid var(--line);border-radius:10px;background:#fff}
.row{display:flex;gap:.6rem}
[hidden]{display:none!important}
`;

export interface LayoutOptions {
  title: string;
  body: string;
  /** An inline script, allowed by the same nonce in the Content-Security-Policy header. */
  script?: { code: string; nonce?: string };
}

export function layout({ title, body, script }: LayoutOptions): string {
  const scriptTag = script
    ? `\n<script${script.nonce ? ` nonce="${escapeHtml(script.nonce)}"` : ''}>${script.code}</script>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><a href="/">Nordic eID example</a><small>log in with a national eID</small></header>
<main>
${body}
</main>${scriptTag}
</body>
</html>
`;
}
