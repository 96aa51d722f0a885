import { describe, expect, it } from 'vitest';
import { EidError } from '../src/errors.js';
import { browser, setup } from './helpers/engine-browser.js';
import { KARI } from './helpers/scripted-provider.js';

describe('errorResponse', () => {
  it('answers JSON, or the failure page with the code, for errors adapters raise themselves', () => {
    const { eid } = setup();
    const refused = new EidError('unauthenticated', 'This app does not accept this eID login.');
    expect(eid.errorResponse(refused, { page: false })).toEqual({
      type: 'json',
      status: 401,
      body: refused.toJSON(),
    });
    expect(eid.errorResponse(refused, { page: true })).toEqual({
      type: 'redirect',
      status: 303,
      location: '/?error=unauthenticated',
    });
    expect(eid.errorResponse(refused, { page: true, failureRedirect: '/login?next=/a' })).toEqual({
      type: 'redirect',
      status: 303,
      location: '/login?next=%2Fa&error=unauthenticated',
    });
    expect(() => eid.errorResponse(refused, { page: true, failureRedirect: 'https://evil.example' })).toThrow(
      /failureRedirect/,
    );
  });
});

describe('session and logout', () => {
  it('401 without a login; logout is 204 for APIs and 303 for form posts, and creates no session without one', async () => {
    const { eid } = setup();
    const anonymous = await eid.handle({ route: 'session', httpMethod: 'GET', params: {} });
    expect(anonymous.response).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    const api = await eid.handle({
      route: 'logout',
      httpMethod: 'POST',
      params: {},
      headers: { accept: '*/*' },
    });
    expect(api).toEqual({ response: { type: 'empty', status: 204 } });
    const form = await eid.handle({
      route: 'logout',
      httpMethod: 'POST',
      params: {},
      headers: { accept: 'text/html', contentType: 'application/x-www-form-urlencoded' },
    });
    expect(form).toEqual({ response: { type: 'redirect', status: 303, location: '/' } });
  });
});

describe('personal data', () => {
  it('never logs a national identity number', async () => {
    const lines: string[] = [];
    const capture = (obj: object, msg?: string) => lines.push(JSON.stringify({ obj, msg }));
    const logger = { debug: capture, info: capture, warn: capture, error: capture };
    const { eid, state } = setup({ logger });
    const alice = browser(eid);
    const started = await alice.headless({ nin: '01819012365' });
    const tx = (started.response as { body: { transactionId: string } }).body.transactionId;
    state.result = { status: 'complete', identity: KARI };
    await alice.status(tx);
    await browser(eid).headless({ nin: '01819012366' });
    // An unexpected failure whose message carries the number is logged, redacted.
    state.startError = new TypeError('upstream rejected 01819012365') as never;
    await browser(eid).headless({ nin: '01819012365' });
    expect(lines.some((line) => line.includes('unexpected error') && line.includes('[redacted]'))).toBe(true);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toMatch(/0181901236/);
  });
});
