import type { EidMethodInfo } from '@eid/core';
import { describe, expect, it } from 'vitest';
import { renderBankIdQr, renderCallCentre, renderHome, renderQrSvg } from '../src/index.js';

const method = (
  id: string,
  flow: EidMethodInfo['flow'],
  extra: Partial<EidMethodInfo> = {},
): EidMethodInfo => ({
  provider: 'signicat',
  providerName: 'Signicat',
  method: id,
  flow,
  label: id,
  country: 'SE',
  purpose: 'login',
  ...extra,
});
const methods: EidMethodInfo[] = [
  method('sbid', 'redirect'),
  method('nbid-phone', 'headless', {
    country: 'NO',
    requiresNin: true,
    purpose: 'verify',
    label: 'Norwegian BankID by phone',
  }),
  method('sbid-qr', 'headless', { label: 'Swedish BankID with a QR code' }),
  method('sbid-app', 'headless', { label: 'Swedish BankID on this device' }),
];
const QR_DATA = `bankid.67df3917-fa0d-44e5-b327-edcc928297f8.3.${'ab'.repeat(32)}`;

describe('renderBankIdQr', () => {
  it('starts sbid-qr and offers sbid-app, with its script under the nonce', () => {
    const html = renderBankIdQr({ methods, prefix: '/auth/eid', nonce: 'abc' });
    expect(html).toContain('<script nonce="abc">');
    expect(html).toContain('"qrStart":"/auth/eid/start/signicat/sbid-qr"');
    expect(html).toContain('"appStart":"/auth/eid/start/signicat/sbid-app"');
    expect(html).toContain('"qrPath":"/qr.svg"');
    expect(html).toContain('"pollMs":1000');
    expect(html).toContain('data-testid="bankid-qr"');
    expect(html).toContain('data-testid="bankid-qr-image"');
    expect(html).toContain('data-testid="bankid-open-app"');
    expect(html).toContain('bankid:///?autostarttoken=');
  });

  it('leaves out the same-device button when sbid-app is not enabled', () => {
    const html = renderBankIdQr({
      methods: methods.filter((m) => m.method !== 'sbid-app'),
      prefix: '/auth/eid',
    });
    expect(html).not.toContain('data-testid="bankid-open-app"');
    expect(html).toContain('"appStart":null');
  });

  it('says so when sbid-qr is not enabled, with no script', () => {
    const html = renderBankIdQr({ methods: methods.slice(0, 2), prefix: '/auth/eid', nonce: 'abc' });
    expect(html).toContain('not enabled');
    expect(html).not.toContain('<script');
  });

  it('cannot be broken out of by the prefix', () => {
    const html = renderBankIdQr({ methods, prefix: '/a</script><script>x()' });
    expect(html.match(/<\/script>/g)).toHaveLength(1);
  });
});

describe('home and call centre with the BankID QR methods', () => {
  it('the home page links the QR page; the call centre keeps to the verify methods', () => {
    const home = renderHome({ methods, prefix: '/auth/eid' });
    expect(home).toContain('href="/bankid-qr" data-testid="bankid-qr-link"');
    expect(home).toContain('href="/call-centre" data-testid="call-centre-link"');
    expect(home).not.toContain('login-signicat-sbid-qr');
    const operator = {
      provider: 'signicat',
      method: 'sbid',
      subject: 'op',
      authenticatedAt: '2026-11-23T10:00:00.000Z',
      transactionId: 'tx',
    };
    const callCentre = renderCallCentre({ methods, prefix: '/auth/eid', operator });
    expect(callCentre).toContain('value="/auth/eid/start/signicat/nbid-phone"');
    expect(callCentre).not.toContain('sbid-qr');
    expect(callCentre).not.toContain('sbid-app');
  });

  it('without sbid-qr there is no QR link, and without nbid-phone no call-centre link', () => {
    const home = renderHome({ methods: [methods[0]!, methods[3]!], prefix: '/auth/eid' });
    expect(home).not.toContain('bankid-qr-link');
    expect(home).not.toContain('call-centre-link');
  });
});

describe('renderQrSvg', () => {
  it('draws the data as an SVG image with a size of its own, served strictly', async () => {
    const qr = await renderQrSvg(QR_DATA);
    expect(qr.status).toBe(200);
    expect(qr.headers).toMatchObject({
      'content-type': 'image/svg+xml',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': expect.stringContaining("default-src 'none'"),
    });
    expect(qr.body).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="240" height="240"/);
    expect(qr.body).not.toContain('bankid');
    expect(qr.body).not.toMatch(/<script|<foreignObject|href=/i);
  });

  it('draws different codes for different data', async () => {
    const [a, b] = await Promise.all([renderQrSvg(QR_DATA), renderQrSvg(QR_DATA.replace('.3.', '.4.'))]);
    expect(a.body).not.toBe(b.body);
  });

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['empty', ''],
    ['repeated', [QR_DATA, QR_DATA]],
    ['too long', 'x'.repeat(257)],
    ['with a space', 'bankid. x'],
    ['with a control character', 'bankid.\n'],
    ['not ASCII', 'bankid.ø'],
  ])('answers 400 as plain text for data %s', async (_name, data) => {
    const qr = await renderQrSvg(data);
    expect(qr.status).toBe(400);
    expect(qr.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(qr.body).toMatch(/printable ASCII/);
  });

  it('takes data of exactly the cap', async () => {
    expect((await renderQrSvg('x'.repeat(256))).status).toBe(200);
  });
});
