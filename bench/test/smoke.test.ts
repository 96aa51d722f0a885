import { describe, expect, it } from 'vitest';
import { measurePendingMemory } from '../src/memory.js';
import { measurePollingTabs, measureUpstreamCalls, PROTOCOL_MINIMUM } from '../src/upstream.js';

/** The benchmark's figures that do not depend on timing, small: upstream calls per login and memory per login. */
describe('pnpm bench, smoke (no timings)', () => {
  it('every provider logs in with the protocol minimum of broker calls', async () => {
    const figures = await measureUpstreamCalls(60);
    expect(figures.map((figure) => figure.provider).sort()).toEqual(Object.keys(PROTOCOL_MINIMUM).sort());
    for (const figure of figures) {
      expect(figure.completed, figure.provider).toBe(figure.logins);
      // Within rounding of the per-process calls shared by the logins.
      expect(figure.callsPerLogin, figure.provider).toBeLessThanOrEqual(figure.minimum + 1e-9);
    }
  });

  it('50 tabs polling one pending login ask the broker at most once a second', async () => {
    const figure = await measurePollingTabs(50, 3);
    // How many polls get through depends on the machine; the bound on broker reads does not.
    expect(figure.polls).toBeGreaterThan(figure.tabs);
    expect(figure.brokerReads).toBeGreaterThanOrEqual(1);
    expect(figure.brokerReads).toBeLessThanOrEqual(figure.seconds + 1);
  });

  it('a pending login takes at most 1 KiB in MemoryStore', async () => {
    const figure = await measurePendingMemory(5000);
    expect(figure.bytesPerTransaction).toBeGreaterThan(200);
    expect(figure.bytesPerTransaction).toBeLessThanOrEqual(1024);
  });
});
