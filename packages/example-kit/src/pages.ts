import { type EidMethodInfo, type Identity, maskNationalId } from '@eid/core';
import { escapeHtml, layout } from './html.js';
import { errorMessage } from './messages.js';

/** Where the pages send a person after login, and where the call-centre and BankID QR pages live. */
export const PROFILE_PATH = '/profile';
export const CALL_CENTRE_PATH = '/call-centre';
export const BANKID_QR_PATH = '/bankid-qr';
export const SIGN_PATH = '/sign';

/** The methods an operator verifies a caller with (`verify`, e.g. Signicat's Safe Conversation). */
export function callCentreMethods(methods: readonly EidMethodInfo[]): EidMethodInfo[] {
  return methods.filter((method) => method.purpose === 'verify');
}

/** Swedish BankID's QR method (`sbid-qr`) and, from the same provider, its same-device one (`sbid-app`). */
export function bankIdQrMethods(methods: readonly EidMethodInfo[]): {
  qr?: EidMethodInfo;
  app?: EidMethodInfo;
} {
  const headless = methods.filter((method) => method.flow === 'headless');
  const qr = headless.find((method) => method.method === 'sbid-qr');
  const app =
    qr && headless.find((method) => method.provider === qr.provider && method.method === 'sbid-app');
  return { ...(qr ? { qr } : {}), ...(app ? { app } : {}) };
}

export interface HomePage {
  methods: readonly EidMethodInfo[];
  /** The logged-in person, if any. */
  identity?: Identity | undefined;
  /** The `?error=` code a failed login came back with; any string (it is user input). */
  error?: string | undefined;
  /** Where the eID routes are mounted, e.g. `/auth/eid`. */
  prefix: string;
}

export function startPath(prefix: string, method: Pick<EidMethodInfo, 'provider' | 'method'>): string {
  return `${prefix}/start/${encodeURIComponent(method.provider)}/${encodeURIComponent(method.method)}`;
}

function testId(...parts: string[]): string {
  return parts.join('-').replace(/[^a-z0-9-]/gi, '-');
}

export function renderHome({ methods, identity, error, prefix }: HomePage): string {
  const alert =
    typeof error === 'string' && error !== ''
      ? `<div class="alert" role="alert" data-testid="error">${escapeHtml(errorMessage(error))}</div>`
      : '';
  const redirects = methods.filter((method) => method.flow === 'redirect' && method.purpose === 'login');
  // One group per provider: several brokers sell the same eID, so labels repeat across providers.
  const providers = [...new Set(redirects.map((method) => method.provider))];
  const buttons = providers
    .map((provider) => {
      const offered = redirects.filter((method) => method.provider === provider);
      const links = offered
        .map((method) => {
          const href = `${startPath(prefix, method)}?returnTo=${encodeURIComponent(PROFILE_PATH)}`;
          return `<a class="button" href="${escapeHtml(href)}" data-testid="${escapeHtml(testId('login', method.provider, method.method))}">Log in with ${escapeHtml(method.label)}</a>`;
        })
        .join('\n');
      const name = offered[0]?.providerName ?? provider;
      return `<div class="provider" data-testid="${escapeHtml(testId('provider', provider))}">
<h2>${escapeHtml(name)}</h2>
<div class="buttons">
${links}
</div>
</div>`;
    })
    .join('\n');
  // Verifying a caller: for the app's operators, who log in here first.
  const byPhone = callCentreMethods(methods);
  const callCentre =
    byPhone.length > 0
      ? `<section class="card">
<h2>Verifying someone on the phone?</h2>
<p>${escapeHtml(byPhone.map((method) => method.label).join(', '))}: the caller confirms a code in their app, and the operator sees who they are. For operators: log in above first.</p>
<a class="button secondary" href="${CALL_CENTRE_PATH}" data-testid="call-centre-link">Open the call-centre page</a>
</section>`
      : '';
  const { qr } = bankIdQrMethods(methods);
  const bankIdQr = qr
    ? `<section class="card">
<h2>Swedish BankID on this page</h2>
<p>${escapeHtml(qr.label)}: scan the code with the BankID app on your phone, or open the app on this device.</p>
<a class="button secondary" href="${BANKID_QR_PATH}" data-testid="bankid-qr-link">Log in with a BankID QR code</a>
</section>`
    : '';
  // Signing a sample agreement: for the person logged in here.
  const signing =
    identity && methods.some((method) => method.purpose === 'sign')
      ? `<section class="card">
<h2>Sign an agreement</h2>
<p>Sign a sample agreement or PDF with your electronic ID, as yourself.</p>
<a class="button secondary" href="${SIGN_PATH}" data-testid="sign-link">Sign an agreement</a>
</section>`
      : '';
  const loggedIn = identity
    ? `<div class="note" data-testid="home-identity">Logged in as <strong>${escapeHtml(identity.name ?? identity.subject)}</strong>
with ${escapeHtml(identity.provider)} (${escapeHtml(identity.method)}). <a href="${PROFILE_PATH}" data-testid="profile-link">See your profile</a></div>`
    : '';
  const body = `<section class="card">
${alert}
<h1>${identity ? 'You are logged in' : 'Log in'}</h1>
<p>${identity ? 'You can log in again with another electronic ID.' : 'Choose your electronic ID. You will come back here when you are done.'}</p>
${loggedIn}
<div class="stack" data-testid="login-methods">
${buttons || '<p>No browser login methods are enabled.</p>'}
</div>
</section>
${signing}
${bankIdQr}
${callCentre}`;
  return layout({ title: 'Log in with eID', body });
}

export interface ProfilePage {
  identity: Identity;
  prefix: string;
}

function formatInstant(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function customerNumber(identity: Identity): string | undefined {
  const value = identity.extra?.customerId;
  return typeof value === 'string' ? value : undefined;
}

export function renderProfile({ identity, prefix }: ProfilePage): string {
  const rows: [label: string, id: string, value: string | undefined][] = [
    ['Name', 'profile-name', identity.name],
    // Added by the app's onLogin (login-policy.ts), not by the eID.
    ['Customer number', 'profile-customer', customerNumber(identity)],
    // Masked: the full number is personal data the page has no need to show.
    [
      'National identity number',
      'profile-nin',
      identity.nin ? `${maskNationalId(identity.nin)} (${identity.nin.country})` : undefined,
    ],
    ['Date of birth', 'profile-date-of-birth', identity.dateOfBirth],
    ['Logged in with', 'profile-method', `${identity.provider} / ${identity.method}`],
    ['Level of assurance', 'profile-loa', identity.loa],
    ['Authenticated at', 'profile-authenticated-at', formatInstant(identity.authenticatedAt)],
  ];
  const list = rows
    .filter(([, , value]) => value !== undefined && value !== '')
    .map(
      ([label, id, value]) =>
        `<dt>${escapeHtml(label)}</dt><dd data-testid="${escapeHtml(id)}">${escapeHtml(value)}</dd>`,
    )
    .join('\n');
  const body = `<section class="card">
<h1>Your profile</h1>
<p>This is what the eID login told the app.</p>
<dl>
${list}
</dl>
<form method="post" action="${escapeHtml(`${prefix}/logout`)}">
<button type="submit" class="secondary" data-testid="logout">Log out</button>
</form>
</section>`;
  return layout({ title: 'Your profile', body });
}
