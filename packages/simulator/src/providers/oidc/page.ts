/** The interaction (login) page of a simulated OP: the simulator's approval page (faults never apply here). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InteractionResults } from 'oidc-provider';
import { HttpError, sendHtml } from '../../http.js';
import { renderApprovalPage, renderErrorPage } from '../../pages.js';
import { readApproval } from '../../provider.js';
import type { RouteHandler, Router } from '../../router.js';
import type { Outcome, TestUser } from '../../types.js';
import type { InteractionRecord, Interactions } from './interactions.js';
import type { LazyOp } from './op.js';
import type { Idp, OpSpec } from './spec.js';

export interface InteractionPage {
  spec: OpSpec;
  mountPath: string;
  op: LazyOp;
  interactions: Interactions;
}

export function registerPages(router: Router, page: InteractionPage): void {
  const { spec, mountPath, op, interactions } = page;
  const finish = interactionFinisher(page);

  router.get(
    `${mountPath}/interaction/:uid`,
    loginPage(async ({ req, res, url, params }) => {
      const details = await (await op.op()).interactionDetails(req, res);
      if (details.uid !== params.uid) throw new HttpError(400, 'This page belongs to another login.');
      const record = interactions.get(details.uid);
      const authorization = details.params as Record<string, unknown>;
      if (record?.decision) {
        const { outcome, user } = record.decision;
        const idp = interactions.idpByKey(record.idp, record.idp);
        await finish({ req, res, authorization, record }, outcome, user, idp);
        return;
      }
      const idp = interactions.idpByKey(
        url.searchParams.get('idp'),
        record?.idp ?? spec.chooseIdp(authorization).key,
      );
      const locked = interactions.lockedUser(record);
      const locale =
        typeof authorization.ui_locales === 'string' ? authorization.ui_locales.split(' ')[0] : '';
      const base = `${mountPath}/interaction/${encodeURIComponent(details.uid)}`;
      const html = renderApprovalPage({
        title: spec.title,
        users: locked ? [locked] : interactions.norwegians(),
        ...(locked ? { selectedUserId: locked.id } : {}),
        hidden: { idp: idp.key },
        alternatives: spec.idps.map((choice) => ({
          label: choice.label,
          href: `${base}?idp=${encodeURIComponent(choice.key)}`,
          current: choice.key === idp.key,
        })),
        lang: locale && /^[a-z]{2}$/.test(locale) ? locale : 'en',
      });
      sendHtml(res, 200, html);
    }),
  );

  router.post(
    `${mountPath}/interaction/:uid`,
    loginPage(async ({ req, res, params }) => {
      const { form, outcome: chosen } = await readApproval(req);
      const details = await (await op.op()).interactionDetails(req, res);
      if (details.uid !== params.uid) throw new HttpError(400, 'This page belongs to another login.');
      const outcome = chosen();
      const record = interactions.get(details.uid);
      const authorization = details.params as Record<string, unknown>;
      const idp = interactions.idpByKey(form.get('idp'), record?.idp ?? spec.chooseIdp(authorization).key);
      const user = interactions.pickUser(record, form.get('user') ?? undefined);
      await finish({ req, res, authorization, record }, outcome, user, idp);
    }),
  );
}

interface PendingLogin {
  req: IncomingMessage;
  res: ServerResponse;
  /** The authorization request's parameters. */
  authorization: Record<string, unknown>;
  record: InteractionRecord | undefined;
}

/** Ends the interaction at oidc-provider, which sends the browser back through the authorization endpoint. */
function interactionFinisher({ spec, op, interactions }: InteractionPage) {
  // Which of an eID's acr forms the next login answers with: in turn, so both show within two logins.
  let logins = 0;
  return async (login: PendingLogin, outcome: Outcome, user: TestUser, idp: Idp): Promise<void> => {
    let result: InteractionResults;
    if (outcome === 'success') {
      const accountId = spec.accountId(user);
      // The page approves the login and the requested scopes together: no separate consent step.
      const { authorization } = login;
      const grant = new (await op.op()).Grant({ accountId, clientId: String(authorization.client_id) });
      grant.addOIDCScope(typeof authorization.scope === 'string' ? authorization.scope : 'openid');
      const grantId = await grant.save();
      const acr = idp.acrs[logins++ % idp.acrs.length]!;
      result = { login: { accountId, acr, amr: idp.amr, remember: spec.sso }, consent: { grantId } };
    } else if (outcome === 'abort') {
      result = { error: 'access_denied', error_description: 'The end-user cancelled the login.' };
    } else {
      result = { error: 'server_error', error_description: 'The simulated eID failed.' };
    }
    await (await op.op()).interactionFinished(login.req, login.res, result, {
      mergeWithLastSubmission: false,
    });
    if (login.record) interactions.finished(login.record, outcome, idp);
  };
}

/** Wraps the page: a refusal, or oidc-provider's own error (no interaction cookie, expired), as an error page. */
function loginPage(handle: RouteHandler): RouteHandler {
  return async (ctx) => {
    try {
      await handle(ctx);
    } catch (error) {
      if (ctx.res.headersSent) throw error;
      const status = error instanceof HttpError ? error.status : 400;
      const message =
        error instanceof HttpError
          ? error.message
          : 'This login is unknown, finished or expired, or the browser did not keep its cookie. Start a new login from the service.';
      sendHtml(ctx.res, status, renderErrorPage('Login not possible', message));
    }
  };
}
