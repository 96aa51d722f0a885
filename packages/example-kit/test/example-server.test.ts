import { createServer } from 'node:http';
import { type Simulator, startSimulator } from '@eid/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExampleServer } from '../src/index.js';

describe('startExampleServer: TRUST_PROXY', () => {
  let simulator: Simulator;
  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(async () => {
    await simulator.close();
  });

  async function hops(env: NodeJS.ProcessEnv): Promise<number> {
    const server = createServer();
    const started = await startExampleServer(server, { port: 0, env, simulator });
    await started.close();
    return started.proxyHops;
  }

  it('trusts TRUST_PROXY proxies; without it one behind https, none on http', async () => {
    expect(await hops({ TRUST_PROXY: '2' })).toBe(2);
    expect(await hops({ TRUST_PROXY: '0', APP_BASE_URL: 'https://shop.example' })).toBe(0);
    expect(await hops({ APP_BASE_URL: 'https://shop.example' })).toBe(1);
    expect(await hops({})).toBe(0);
  });

  it('refuses a TRUST_PROXY that is not a number of proxies, before listening', async () => {
    for (const value of ['-1', '1.5', 'yes']) {
      const server = createServer();
      await expect(
        startExampleServer(server, { port: 0, env: { TRUST_PROXY: value }, simulator }),
      ).rejects.toThrow(`TRUST_PROXY must be a number of proxies (0, 1, 2…), got "${value}".`);
      expect(server.listening).toBe(false);
    }
  });
});
