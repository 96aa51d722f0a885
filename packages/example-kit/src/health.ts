import type { Eid, EidHealth } from '@eid/core';

/** Where every example app answers its load balancer's health check. */
export const HEALTH_PATH = '/healthz';

/** `eid.health()` as an answer: 200 while the store answers, else 503; the breaker states in the body. */
export async function healthResponse(eid: Eid): Promise<{ status: number; body: EidHealth }> {
  const body = await eid.health();
  return { status: body.ok ? 200 : 503, body };
}
