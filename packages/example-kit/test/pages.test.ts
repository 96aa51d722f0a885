import type { EidMethodInfo, Identity } from '@eid/core';
import { describe, expect, it } from 'vitest';
import {
  callCentreResponse,
  isOperator,
  pageHeaders,
  renderCallCentre,
  renderHome,
  renderProfile,
} from '../src/index.js';

const methods: EidMethodInfo[] = [
  {
    provider: 'signicat',
    providerName: 'Signicat',
    method: 'nbid',
    flow: 'redirect',
    purpose: 'login',
    label: 'Norwegian BankID',
    country: 'NO',
  },
  {
    provider: 'signicat',
    providerName: 'Signicat',
    method: 'sbid',
    flow: 'redirect',
    purpose: 'login',
    label: 'Swedish <b>BankID</b>',
    country: 'SE',
  },
  {
    provider: 'signicat',
    providerName: 'Signicat',
    method: 'nbid-phone',
    flow: 'headless',
    purpose: 'verify',
    label: 'Norwegian BankID by phone',
    country: 'NO',
    requiresNin: true,
  },
];

const identity: Identity = {
  provider: 'signicat',
  method: 'nbid',
  subject: '9578-6000-4-2595757',
  nin: { value: '17829034034', country: 'NO', type: 'BIRTH' },
  name: 'Kari <Nordmann>',
  dateOfBirth: '1990-02-17',
  loa: 'substantial',
  authenticatedAt: '2026-11-23T10:00:00.000Z',
  transactionId: 'tx',
};

describe('renderHome', () => {
  it('offers a login link per redirect method and the call centre for headless ones', () => {
    const html = renderHome({ methods, prefix: '/auth/eid' });
    expect(html).toContain(
      '<a class="button" href="/auth/eid/start/signicat/nbid?returnTo=%2Fprofile" data-testid="login-signicat-nbid">Log in with Norwegian BankID</a>',
    );
    expect(html).toContain('Log in with Swedish &lt;b&gt;BankID&lt;/b&gt;');
    expect(html).not.toContain('login-signicat-nbid-phone');
    expect(html).toContain('href="/call-centre" data-testid="call-centre-link"');
    expect(html).not.toContain('data-testid="error"');
  });

  it('explains a known error code and never echoes an unknown one', () => {
    expect(renderHome({ methods, prefix: '/auth/eid', error: 'user_cancelled' })).toContain(
      'The login was cancelled.',
    );
    const html = renderHome({ methods, prefix: '/auth/eid', error: '<script>alert(1)</script>' });
    expect(html).toContain('data-testid="error"');
    expect(html).not.toContain('alert(1)');
    expect(renderHome({ methods, prefix: '/auth/eid', error: 'toString' })).toContain('did not work');
  });

  it('shows who is logged in, escaped', () => {
    const html = renderHome({ methods, prefix: '/auth/eid', identity });
    expect(html).toContain('Kari &lt;Nordmann&gt;');
    expect(html).toContain('data-testid="profile-link"');
  });
});

describe('renderProfile', () => {
  it('shows the identity with the national identity number masked, and a log-out form', () => {
    const html = renderProfile({ identity, prefix: '/auth/eid' });
    expect(html).toContain('<dd data-testid="profile-name">Kari &lt;Nordmann&gt;</dd>');
    expect(html).toContain('178290*****');
    expect(html).not.toContain('17829034034');
    expect(html).toContain('<form method="post" action="/auth/eid/logout">');
    expect(html).toContain('data-testid="logout"');
    expect(html).toContain('2026-11-23 10:00 UTC');
  });
});

describe('renderCallCentre', () => {
  it('without an operator, says to log in first and offers no form or script', () => {
    const html = renderCallCentre({ methods, prefix: '/auth/eid', nonce: 'abc' });
    expect(html).toContain('data-testid="call-centre-login-first"');
    expect(html).toContain('log in first');
    expect(html).toContain('href="/"');
    expect(html).not.toContain('call-centre-form');
    expect(html).not.toContain('<script');
  });

  it('for an operator, lists the verify methods, names the operator, has a place for the verified person and carries its script under the nonce', () => {
    const html = renderCallCentre({ methods, prefix: '/auth/eid', nonce: 'abc', operator: identity });
    expect(html).toContain('Operator: <strong>Kari &lt;Nordmann&gt;</strong>');
    expect(html).toContain('data-testid="verified-name"');
    expect(html).toContain('<option value="/auth/eid/start/signicat/nbid-phone">');
    expect(html).not.toContain('value="/auth/eid/start/signicat/nbid"');
    expect(html).toContain('<script nonce="abc">');
    expect(html).toContain('data-testid="binding-message"');
    expect(pageHeaders('abc')['content-security-policy']).toContain("script-src 'nonce-abc'");
  });

  it('cannot be broken out of by the prefix', () => {
    const html = renderCallCentre({ methods, prefix: '/a</script><script>x()', operator: identity });
    expect(html.match(/<\/script>/g)).toHaveLength(1);
  });
});

describe('home page grouping', () => {
  it('groups the buttons under each provider, so equal labels from two brokers stay apart', () => {
    const html = renderHome({
      prefix: '/auth/eid',
      methods: [
        ...methods,
        {
          provider: 'next',
          providerName: 'LinkMobility NEXT',
          method: 'nbid',
          flow: 'redirect',
          purpose: 'login',
          label: 'Norwegian BankID',
          country: 'NO',
        },
      ],
    });
    const signicat = html.indexOf('data-testid="provider-signicat"');
    const next = html.indexOf('data-testid="provider-next"');
    expect(signicat).toBeGreaterThan(-1);
    expect(next).toBeGreaterThan(signicat);
    expect(html.slice(next)).toContain('<h2>LinkMobility NEXT</h2>');
    expect(html.slice(next)).toContain('data-testid="login-next-nbid"');
    expect(html.slice(signicat, next)).toContain('data-testid="login-signicat-nbid"');
  });
});

describe('isOperator and callCentreResponse', () => {
  const provider = (id: string) =>
    id === 'signicat'
      ? {
          methods: [
            { id: 'nbid', purpose: 'login' },
            { id: 'nbid-phone', purpose: 'verify' },
          ],
        }
      : undefined;
  const eid = {
    prefix: '/auth/eid',
    methods: () => methods,
    provider: provider as never,
  };

  it('an operator is a browser logged in with a login method of a configured provider', () => {
    expect(isOperator(eid, identity)).toBe(true);
    expect(isOperator(eid, undefined)).toBe(false);
    expect(isOperator(eid, { ...identity, method: 'nbid-phone' })).toBe(false);
    expect(isOperator(eid, { ...identity, provider: 'gone' })).toBe(false);
  });

  it('answers the page 200 to an operator and 403 with how to log in to anyone else', () => {
    const page = callCentreResponse({ eid, identity, nonce: 'n' });
    expect(page.status).toBe(200);
    expect(page.html).toContain('call-centre-form');
    const refused = callCentreResponse({ eid, identity: undefined, nonce: 'n' });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('call-centre-login-first');
  });
});
