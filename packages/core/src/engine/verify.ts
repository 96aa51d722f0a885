import { EidError } from '../errors.js';
import type { EngineContext } from './context.js';
import type { EidRequest, VerifyAuthorization } from './contract.js';

/**
 * `verify` methods (an operator confirms someone else) are the app's to allow: without `authorizeVerify` they are
 * off; with it, only a request it answers `true` may start one or see its result. Anything else is 403
 * `forbidden`, before the provider is asked anything.
 */
export async function requireVerifyAuthorization(
  ctx: EngineContext,
  request: EidRequest,
  route: VerifyAuthorization['route'],
  target: { provider: string; method: string },
): Promise<void> {
  const authorize = ctx.config.authorizeVerify;
  if (!authorize) {
    throw new EidError(
      'forbidden',
      'Verifying another person is not enabled in this app (createEid({ authorizeVerify })).',
    );
  }
  const allowed = await authorize({
    route,
    provider: target.provider,
    method: target.method,
    identity: request.session?.identity,
    headers: { ...request.headers },
    clientIp: request.clientIp,
    raw: request.raw,
  });
  if (allowed !== true) {
    throw new EidError(
      'forbidden',
      "Only the app's logged-in operators may verify another person. Log in as an operator first.",
    );
  }
}
