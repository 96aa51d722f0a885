import { generateKeyPairSync } from 'node:crypto';
import { ACCEPT_HTML, ACCEPT_JSON, Browserless, parseSimulatorForm } from '@eid/conformance';
import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createExampleApp, type ExampleApp } from '../src/app.js';

/**
 * ID-porten with private_key_jwt, the client authentication Digdir recommends: the app reads its key from
 * IDPORTEN_PRIVATE_KEY and logs in against a simulated ID-porten that registered only the public key.
 */

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'example-app', alg: 'RS256', use: 'sig' };

let simulator: Simulator;
let app: ExampleApp;
beforeAll(async () => {
  simulator = await startSimulator({ idporten: { jwks: { keys: [publicJwk] } } });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  app = await createExampleApp({
    port: 0,
    host: '127.0.0.1',
    simulator,
    providerTimeoutMs: 5000,
    env: {
      IDPORTEN_ISSUER: simulator.idporten.issuer,
      IDPORTEN_CLIENT_ID: simulator.idporten.clientId,
      // One line, as a deployment's environment holds it.
      IDPORTEN_PRIVATE_KEY: pem.trim().replaceAll('\n', '\\n'),
      IDPORTEN_PRIVATE_KEY_ID: 'example-app',
    },
  });
});
afterAll(async () => {
  await app?.close();
  await simulator?.close();
});

it('logs in with ID-porten, the client authenticated by IDPORTEN_PRIVATE_KEY', async () => {
  const browser = new Browserless();
  const start = await browser.get(
    `${app.url}/auth/eid/start/idporten/idporten?returnTo=%2Fprofile`,
    ACCEPT_HTML,
  );
  expect(start.status).toBe(302);
  let location = browser.location(start);
  while (!location.startsWith(`${app.url}/`)) {
    const page = await browser.get(location, ACCEPT_HTML);
    if (page.status === 303) {
      location = browser.location(page);
      continue;
    }
    const form = parseSimulatorForm(await page.text(), location);
    const answer = await browser.post(form.action, {
      form: { ...form.hidden, user: 'no-jonas', outcome: 'success' },
    });
    location = browser.location(answer);
  }
  const done = await browser.get(location, ACCEPT_HTML);
  expect(done.headers.get('location')).toBe('/profile');
  const session = await browser.get(`${app.url}/auth/eid/session`, ACCEPT_JSON);
  expect(await session.json()).toMatchObject({ identity: { provider: 'idporten', method: 'idporten' } });
});
