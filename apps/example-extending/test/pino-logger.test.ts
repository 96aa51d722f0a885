import { createEid, type Eid, idporten } from '@eid/core';
import { type Simulator, startSimulator, TEST_USERS } from '@eid/simulator';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { engineBrowser } from './helpers/engine-login.js';

const BASE_URL = 'http://localhost:4000';
const kari = TEST_USERS.find((user) => user.id === 'no-kari')!;

let sim: Simulator;
let eid: Eid | undefined;
beforeAll(async () => {
  sim = await startSimulator();
});
afterEach(async () => {
  await eid?.close();
  eid = undefined;
});
afterAll(async () => {
  await sim.close();
});

/** An app whose engine logs through pino, its JSON lines kept for the test instead of going to stdout. */
function app() {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  eid = createEid({ baseUrl: BASE_URL, logger, providers: [idporten({ ...sim.idporten })] });
  const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { browser: engineBrowser(eid, BASE_URL), lines, logged };
}

describe('pino as the logger of createEid', () => {
  it("logs a login in pino's JSON lines, without the person's national identity number", async () => {
    const { browser, lines, logged } = app();
    await browser.login('idporten', 'idporten', { user: kari.id });
    // The login carried the number: ID-porten's `pid` is in the session's identity.
    const identity = browser.session()?.identity;
    expect(identity?.nin?.value).toBe(kari.nin);

    const transactionId = identity?.transactionId;
    expect(logged()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 30,
          msg: 'login started',
          transactionId,
          provider: 'idporten',
          method: 'idporten',
          flow: 'redirect',
        }),
        expect.objectContaining({ level: 30, msg: 'login complete', transactionId, provider: 'idporten' }),
        expect.objectContaining({ level: 20, msg: 'provider request', provider: 'ID-porten' }),
      ]),
    );
    const text = lines.join('');
    expect(text).not.toContain(kari.nin);
    expect(text).not.toContain(kari.name);
  });

  it('a failed login is a warning with its code, and still no number', async () => {
    const { browser, lines, logged } = app();
    await browser.login('idporten', 'idporten', { user: kari.id, outcome: 'abort' });
    expect(logged()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 40,
          msg: 'login failed',
          code: 'user_cancelled',
          provider: 'idporten',
        }),
      ]),
    );
    expect(lines.join('')).not.toContain(kari.nin);
  });
});
