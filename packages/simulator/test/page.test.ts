import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import {
  CALLBACKS,
  createOk,
  getSessionOk,
  hiddenFields,
  redirectRequest,
  submitPage,
  token,
  userOptions,
} from './helpers.js';

let sim: Simulator;
let accessToken: string;
beforeAll(async () => {
  sim = await startSimulator();
  accessToken = await token(sim);
});
afterAll(async () => {
  await sim.close();
});

describe('the end-user page', () => {
  it('renders a form with the test users of the method country and three buttons', async () => {
    const created = await createOk(sim, accessToken, redirectRequest());
    const res = await fetch(created.authenticationUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<title>Simulated Norwegian BankID<\/title>/);
    expect(html).toMatch(/<form method="post">/);
    expect(html).not.toMatch(/<(script|link|img)\b/);
    const options = userOptions(html);
    expect(options.length).toBeGreaterThanOrEqual(3);
    expect(options[0]).toEqual(['no-kari', 'Kari Nordmann']);
    expect(options.every(([id]) => id.startsWith('no-'))).toBe(true);
    expect(html).toContain('<button type="submit" name="outcome" value="success">Approve</button>');
    expect(html).toContain('<button type="submit" name="outcome" value="abort">Cancel</button>');
    expect(html).toContain('<button type="submit" name="outcome" value="error">Fail</button>');
  });

  it.each([
    ['sbid', 'Simulated Swedish BankID', 'se-'],
    ['mitid', 'Simulated MitID', 'dk-'],
    ['ftn', 'Simulated Finnish Trust Network', 'fi-'],
    ['idporten', 'Simulated ID-porten', 'no-'],
  ])('titles a %s page "%s" and lists only its country', async (provider, title, prefix) => {
    const created = await createOk(sim, accessToken, redirectRequest({ allowedProviders: [provider] }));
    const html = await (await fetch(created.authenticationUrl)).text();
    expect(html).toContain(`<title>${title}</title>`);
    const options = userOptions(html);
    expect(options.length).toBeGreaterThanOrEqual(2);
    expect(options.every(([id]) => id.startsWith(prefix))).toBe(true);
  });

  it('approving sends the browser back to the success callback, and GET then shows SUCCESS with the subject', async () => {
    const created = await createOk(sim, accessToken, redirectRequest());
    const res = await submitPage(created.authenticationUrl, 'success', (options) => {
      const kari = options.find(([, name]) => name === 'Kari Nordmann');
      return kari![0];
    });
    expect(res.status).toBe(303);
    // Signicat appends the session id to the callback URL.
    expect(res.headers.get('location')).toBe(`${CALLBACKS.success}&sessionId=${created.id}`);

    const session = await getSessionOk(sim, accessToken, created.id);
    expect(session.status).toBe('SUCCESS');
    expect(session.provider).toBe('nbid');
    expect(session.loa).toBe('substantial');
    expect(session.subject).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/),
      idpId: '9578-6000-4-2595757',
      name: 'Kari Nordmann',
      firstName: 'Kari',
      lastName: 'Nordmann',
      dateOfBirth: '1990-02-17',
      nin: { value: '17829034034', issuingCountry: expect.stringMatching(/^(NO|NOR)$/), type: 'TEST' },
    });
    expect(session.environment).toEqual({ ipAddress: '127.0.0.1', userAgent: 'SimTestBrowser/1.0' });
    expect(session.authenticationUrl).toBe(created.authenticationUrl);
    expect(session.callbackUrls).toEqual(CALLBACKS);
    expect(session.idpData).toBeUndefined();
    expect(sim.sessions().find((s) => s.id === created.id)).toEqual({
      id: created.id,
      provider: 'signicat',
      method: 'nbid',
      methodId: 'nbid',
      status: 'SUCCESS',
    });
  });

  it('gives the same subject.id to the same person across sessions, and another to another person', async () => {
    const ids: string[] = [];
    for (const user of ['no-ola', 'no-ola', 'no-ingrid']) {
      const created = await createOk(sim, accessToken, redirectRequest());
      await submitPage(created.authenticationUrl, 'success', () => user);
      ids.push((await getSessionOk(sim, accessToken, created.id)).subject.id);
    }
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).not.toBe(ids[2]);
  });

  it('delivers only the requested attributes (idpId and id always)', async () => {
    const created = await createOk(sim, accessToken, redirectRequest({ requestedAttributes: ['firstName'] }));
    expect(created.requestedAttributes).toEqual(['firstName', 'idpId']);
    await submitPage(created.authenticationUrl, 'success');
    const session = await getSessionOk(sim, accessToken, created.id);
    expect(Object.keys(session.subject)).toEqual(['id', 'idpId', 'firstName']);
  });

  it('answers ID-porten attributes, with the nin as idpId and the requested LoA', async () => {
    const created = await createOk(
      sim,
      accessToken,
      redirectRequest({
        allowedProviders: ['idporten'],
        requestedLoa: 'high',
        requestedAttributes: ['idportenIdp', 'idportenLoa', 'idportenSub', 'name', 'nin', 'idpId'],
      }),
    );
    expect(created.requestedAttributes).toEqual([
      'idportenIdp',
      'idportenLoa',
      'idportenSub',
      'name',
      'nin',
      'idpId',
    ]);
    await submitPage(created.authenticationUrl, 'success', () => 'no-ola');
    const session = await getSessionOk(sim, accessToken, created.id);
    expect(session.provider).toBe('idporten');
    expect(session.loa).toBe('high');
    expect(session.subject).toEqual({
      id: expect.any(String),
      idpId: '03918542174',
      name: 'Ola Nordmann',
      nin: { value: '03918542174', issuingCountry: expect.stringMatching(/^(NO|NOR)$/), type: 'TEST' },
      idportenSub: expect.any(String),
      idportenLoa: 'idporten-loa-high',
      idportenIdp: 'BankID',
    });
  });

  it('answers Swedish BankID with the personnummer', async () => {
    const created = await createOk(
      sim,
      accessToken,
      redirectRequest({ allowedProviders: ['sbid'], requestedLoa: undefined }),
    );
    await submitPage(created.authenticationUrl, 'success', () => 'se-anna');
    const session = await getSessionOk(sim, accessToken, created.id);
    expect(session).toMatchObject({ status: 'SUCCESS', provider: 'sbid', loa: 'substantial' });
    expect(session.subject.nin).toEqual({
      value: '198503149828',
      issuingCountry: expect.stringMatching(/^(SE|SWE)$/),
      type: 'PERSONNUMMER',
    });
  });

  it('lets the person switch between several allowed providers', async () => {
    const created = await createOk(sim, accessToken, redirectRequest({ allowedProviders: ['nbid', 'sbid'] }));
    const first = await (await fetch(created.authenticationUrl)).text();
    expect(first).toContain('<title>Simulated Norwegian BankID</title>');
    const link = /<a href="([^"]*provider=sbid[^"]*)"/.exec(first);
    expect(link).not.toBeNull();
    const switchedUrl = new URL(link![1]!.replaceAll('&amp;', '&'), created.authenticationUrl).toString();
    const switched = await (await fetch(switchedUrl)).text();
    expect(switched).toContain('<title>Simulated Swedish BankID</title>');
    expect(hiddenFields(switched)).toEqual({ provider: 'sbid' });
    const res = await submitPage(switchedUrl, 'success', () => 'se-lars');
    expect(res.status).toBe(303);
    const session = await getSessionOk(sim, accessToken, created.id);
    expect(session.provider).toBe('sbid');
    expect(session.subject.nin.type).toBe('SAMORDNINGSNUMMER');
  });

  it('lists only the prefilled person when the prefilled nin is a test user', async () => {
    const created = await createOk(
      sim,
      accessToken,
      redirectRequest({ prefilledInput: { nin: '24870161219' } }),
    );
    const options = userOptions(await (await fetch(created.authenticationUrl)).text());
    expect(options).toEqual([['no-ingrid', 'Ingrid Hansen']]);
  });

  it('Cancel sends the browser to the abort callback and the session to ABORT', async () => {
    const created = await createOk(sim, accessToken, redirectRequest());
    const res = await submitPage(created.authenticationUrl, 'abort');
    expect(res.status).toBe(303);
    // Signicat appends the session id to the callback URL.
    expect(res.headers.get('location')).toBe(`${CALLBACKS.abort}&sessionId=${created.id}`);
    const session = await getSessionOk(sim, accessToken, created.id);
    expect(session.status).toBe('ABORT');
    expect(session.subject).toBeUndefined();
  });

  it('Fail sends the browser to the error callback and the session to ERROR with an error code', async () => {
    const created = await createOk(sim, accessToken, redirectRequest());
    const res = await submitPage(created.authenticationUrl, 'error');
    expect(res.status).toBe(303);
    // Signicat appends the session id to the callback URL.
    expect(res.headers.get('location')).toBe(`${CALLBACKS.error}&sessionId=${created.id}`);
    const session = await getSessionOk(sim, accessToken, created.id);
    expect(session.status).toBe('ERROR');
    // Problem details, as ErrorDetails in Signicat's .NET SDK.
    expect(session.error).toEqual({
      type: expect.any(String),
      title: expect.any(String),
      detail: expect.any(String),
      code: 'userError',
    });
    expect(session.subject).toBeUndefined();
  });

  it('shows an error page, not the form, for a finished session (GET and POST)', async () => {
    const created = await createOk(sim, accessToken, redirectRequest());
    await submitPage(created.authenticationUrl, 'success');
    const page = await fetch(created.authenticationUrl);
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toMatch(/already finished/);
    expect(html).not.toMatch(/<form/);
    const replay = await fetch(created.authenticationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=no-ola&outcome=success',
      redirect: 'manual',
    });
    expect(replay.status).toBe(400);
    expect((await getSessionOk(sim, accessToken, created.id)).subject.name).toBe('Kari Nordmann');
  });

  it('finishes a session once when two posts race', async () => {
    const created = await createOk(sim, accessToken, redirectRequest());
    const post = (user: string) =>
      fetch(created.authenticationUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `user=${user}&outcome=success`,
        redirect: 'manual',
      });
    const statuses = (await Promise.all([post('no-kari'), post('no-ola')])).map((res) => res.status);
    expect(statuses.sort()).toEqual([303, 400]);
  });

  it('shows 404 for an unknown messageId and 400 without one', async () => {
    const unknown = await fetch(`${sim.url}/broker/sp/external-service/login?messageId=nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/<h1>Login not found<\/h1>/);
    expect((await fetch(`${sim.url}/broker/sp/external-service/login`)).status).toBe(400);
  });

  it('refuses a post with an unknown outcome or user and leaves the session CREATED', async () => {
    const created = await createOk(sim, accessToken, redirectRequest());
    const post = (body: string) =>
      fetch(created.authenticationUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        redirect: 'manual',
      });
    expect((await post('user=no-kari&outcome=maybe')).status).toBe(400);
    expect((await post('user=nobody&outcome=success')).status).toBe(400);
    expect((await post('user=se-anna&outcome=success&provider=nbid')).status).toBe(400);
    expect((await getSessionOk(sim, accessToken, created.id)).status).toBe('CREATED');
  });

  it('escapes what it renders', async () => {
    const custom = await startSimulator({
      users: [
        {
          id: 'x"><script>',
          country: 'NO',
          nin: '17829034034',
          ninType: 'TEST',
          name: '<b>Mallory</b>',
          firstName: 'M',
          lastName: 'X',
          dateOfBirth: '1990-02-17',
        },
      ],
    });
    try {
      const created = await createOk(custom, await token(custom), redirectRequest());
      const html = await (await fetch(created.authenticationUrl)).text();
      expect(html).not.toContain('<script>');
      expect(html).not.toContain('<b>Mallory</b>');
      expect(html).toContain('&lt;b&gt;Mallory&lt;/b&gt;');
    } finally {
      await custom.close();
    }
  });
});

describe('the session while the user is at the eID', () => {
  it('is WAITING_FOR_USER once the end-user page is opened, until the user finishes', async () => {
    const created = await createOk(sim, accessToken, redirectRequest());
    expect((await getSessionOk(sim, accessToken, created.id)).status).toBe('CREATED');
    expect((await fetch(created.authenticationUrl)).status).toBe(200);
    expect((await getSessionOk(sim, accessToken, created.id)).status).toBe('WAITING_FOR_USER');
    const res = await submitPage(created.authenticationUrl, 'success');
    expect(res.headers.get('location')).toBe(`${CALLBACKS.success}&sessionId=${created.id}`);
    expect((await getSessionOk(sim, accessToken, created.id)).status).toBe('SUCCESS');
  });

  it('states issuingCountry alpha-2 in one session and alpha-3 in the next', async () => {
    const countries: string[] = [];
    for (let i = 0; i < 2; i++) {
      const created = await createOk(sim, accessToken, redirectRequest());
      await submitPage(created.authenticationUrl, 'success');
      countries.push((await getSessionOk(sim, accessToken, created.id)).subject.nin.issuingCountry);
    }
    expect(countries.sort()).toEqual(['NO', 'NOR']);
  });
});
