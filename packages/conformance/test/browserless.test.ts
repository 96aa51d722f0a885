import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browserless, parseSimulatorForm } from '../src/index.js';

describe('Browserless', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/set') {
        res.setHeader('set-cookie', ['sid=one; Path=/; HttpOnly; SameSite=Lax', 'other=x']);
        res.writeHead(302, { location: '/echo?next=1' }).end();
      } else if (req.url === '/clear') {
        res.setHeader('set-cookie', 'sid=; Max-Age=0');
        res.end();
      } else {
        res.end(req.headers.cookie ?? '');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps cookies, does not follow redirects, and records every URL', async () => {
    const browser = new Browserless();
    const response = await browser.get(`${base}/set`);
    expect(response.status).toBe(302);
    expect(browser.location(response)).toBe(`${base}/echo?next=1`);
    expect(browser.cookies(base)).toEqual({ sid: 'one', other: 'x' });
    expect(await (await browser.get(`${base}/echo`)).text()).toBe('sid=one; other=x');
    expect(browser.visited).toEqual([`${base}/set`, `${base}/echo?next=1`, `${base}/echo`]);

    const copy = browser.clone();
    await browser.get(`${base}/clear`);
    expect(browser.cookies(base)).toEqual({ other: 'x' });
    expect(copy.cookies(base)).toEqual({ sid: 'one', other: 'x' });
  });
});

describe('parseSimulatorForm', () => {
  it('reads the action, the hidden fields and the users of the approval form', () => {
    const html = `<form method="post">
<input type="hidden" name="provider" value="nbid&amp;x">
<select id="user" name="user"><option value="no-kari" selected>Kari</option><option value="no-ola">Ola</option></select>
<button name="outcome" value="success">Approve</button></form>`;
    expect(parseSimulatorForm(html, 'http://sim.test/login?messageId=1')).toEqual({
      action: 'http://sim.test/login?messageId=1',
      hidden: { provider: 'nbid&x' },
      users: ['no-kari', 'no-ola'],
    });
  });
});
