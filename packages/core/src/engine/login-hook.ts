/**
 * `createEid({ onLogin })`: the app's say between the provider's answer and the session. It runs in the request
 * that takes the login (the callback, or the poll of a headless login), after the transaction was marked taken,
 * so it runs once per login whatever the number of processes. A refusal (or a hook that throws) is written to the
 * transaction as its failure, so a reloaded callback or status answers it again without asking the hook.
 */
import { EidError, isEidError } from '../errors.js';
import type { Identity } from '../identity.js';
import type { EngineContext } from './context.js';
import type { EidRequest, LoginDecision } from './contract.js';
import { causeKind, markLogged } from './failures.js';
import { endUserIp } from './request-input.js';
import type { Settled } from './transactions/decide.js';

type Identified = Extract<Settled, { state: 'identified' }>;
type Refused = Extract<Settled, { state: 'final' }> & { error: EidError };

/** The login as the app accepted it (its identity possibly enriched), or its refusal, recorded. */
export async function decideLogin(
  ctx: EngineContext,
  request: EidRequest,
  settled: Identified,
): Promise<Identified | Refused> {
  const onLogin = ctx.config.onLogin;
  const { transaction, identity } = settled;
  if (!onLogin) return succeeded(ctx, request, settled);
  let decision: LoginDecision;
  try {
    decision = await onLogin(identity, {
      request: request.raw,
      session: (request.raw as { session?: unknown } | undefined)?.session,
      provider: transaction.provider,
      method: transaction.method,
      transactionId: transaction.id,
    });
  } catch (thrown) {
    // The app's own failure fails the login, recorded like a refusal so a reload says the same. An EidError the
    // hook throws is answered as it is.
    const error = isEidError(thrown)
      ? thrown
      : new EidError('provider_error', 'The login failed unexpectedly. Try again.', { cause: thrown });
    const refused = await ctx.transactions.refuseLogin(transaction, error);
    ctx.logger.error(
      {
        transactionId: transaction.id,
        provider: transaction.provider,
        cause: causeKind(thrown),
        err: thrown,
      },
      'onLogin threw: the login is refused',
    );
    markLogged(error);
    return { state: 'final', transaction: refused, error };
  }
  const outcome = readDecision(identity, decision);
  if (outcome.accepted) return succeeded(ctx, request, { ...settled, identity: outcome.accepted });
  const refused = await ctx.transactions.refuseLogin(transaction, outcome.refused);
  ctx.logger.info(
    { transactionId: transaction.id, provider: transaction.provider, code: outcome.refused.code },
    'onLogin refused the login',
  );
  markLogged(outcome.refused);
  return { state: 'final', transaction: refused, error: outcome.refused };
}

/** The login is the browser's: `login.succeeded`, with the identity that goes into the session. */
async function succeeded(ctx: EngineContext, request: EidRequest, settled: Identified): Promise<Identified> {
  const { transaction, identity } = settled;
  const clientIp = endUserIp(request.clientIp);
  await ctx.emit({
    type: 'login.succeeded',
    transactionId: transaction.id,
    provider: transaction.provider,
    method: transaction.method,
    person: identity,
    ...(clientIp ? { clientIp } : {}),
  });
  return settled;
}

/** What the hook's answer means; an answer it may not give fails the login with `invalid_config`. */
function readDecision(
  identity: Identity,
  decision: LoginDecision,
): { accepted: Identity; refused?: never } | { accepted?: never; refused: EidError } {
  if (decision === undefined || decision === true) return { accepted: identity };
  if (decision === false) return { refused: accessDenied('This app does not accept this login.') };
  if (typeof decision !== 'object' || decision === null) return { refused: badAnswer('an unknown value') };
  if ('refuse' in decision) {
    const message = decision.refuse;
    if (typeof message !== 'string' || message.trim() === '') {
      return { refused: badAnswer('a refusal without a message') };
    }
    return { refused: accessDenied(message) };
  }
  const changed = changedField(identity, decision);
  if (changed) return { refused: badAnswer(`an identity with another \`${changed}\``) };
  const { extra } = decision;
  if (extra !== undefined && !isPlainRecord(extra)) {
    return { refused: badAnswer('an identity whose `extra` is not a plain object') };
  }
  return { accepted: extra === undefined ? identity : { ...identity, extra } };
}

function accessDenied(message: string): EidError {
  return new EidError('access_denied', message);
}

function badAnswer(what: string): EidError {
  return new EidError(
    'invalid_config',
    `createEid(): \`onLogin\` answered ${what}; it may answer undefined, true, false, { refuse: 'message' }, or the identity it was given with \`extra\` added.`,
  );
}

/** The first field other than `extra` in which `returned` is not `identity`: who logged in cannot change. */
function changedField(identity: Identity, returned: Partial<Identity>): string | undefined {
  const fields = new Set([...Object.keys(identity), ...Object.keys(returned)]);
  fields.delete('extra');
  for (const field of fields) {
    const before = (identity as unknown as Record<string, unknown>)[field];
    const after = (returned as Record<string, unknown>)[field];
    if (JSON.stringify(before) !== JSON.stringify(after)) return field;
  }
  return undefined;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
