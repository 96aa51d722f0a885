/**
 * The end-user page at `redirect_url`; afterwards the result goes to the request's `webhook` and the browser to
 * `target` (or `targetError`) with `relaystate` (and `service=eIDBasic`, as the documentation's example) appended.
 */
import { HttpError, redirect, sendHtml } from '../../http.js';
import { endUserPage, renderApprovalPage, renderErrorPage } from '../../pages.js';
import { loginOver, readApproval } from '../../provider.js';
import type { Router } from '../../router.js';
import { asTestUser } from './people.js';
import type { ZignSecSessions } from './sessions.js';
import { visibleText } from './sign.js';
import { PAGE_PATH, PRODUCTS, type Session } from './wire.js';

export function registerPages(router: Router, sessions: ZignSecSessions): void {
  router.get(
    `${PAGE_PATH}/:id`,
    endUserPage(({ res, params }) => {
      const session = pageSession(sessions, params.id!);
      const choices = sessions.usersFor(session);
      if (choices.length === 0) {
        throw new HttpError(
          400,
          session.sign
            ? 'No test user of the simulator can sign this: none has the PersonalNumber.'
            : `The simulator has no test users for ${session.country}.`,
        );
      }
      const product =
        PRODUCTS[session.selector]?.title ?? `Simulated eID chooser for ${session.country} (ZignSec)`;
      // "Adding this setting will also show the QR-code on the waiting form."
      const title = session.autoStartTokenRequired ? `${product}: scan the QR code` : product;
      const page = {
        title,
        users: choices.map(asTestUser),
        lang: session.language ?? 'en',
        ...(session.sign ? { document: { text: visibleText(session.sign) } } : {}),
      };
      sendHtml(res, 200, renderApprovalPage(page));
    }),
  );

  router.post(
    `${PAGE_PATH}/:id`,
    endUserPage(async ({ req, res, params }) => {
      const { form, outcome: chosen } = await readApproval(req);
      // Looked up after the body is read and finished synchronously: two posts cannot both finish it.
      const session = pageSession(sessions, params.id!);
      const outcome = chosen();
      sessions.finish(session, outcome, form.get('user') ?? undefined);
      // Delivered before the browser is sent back, so a webhook receiver has the result first.
      await sessions.deliverWebhook(session);
      const target = outcome === 'success' ? session.target : (session.targetError ?? session.target);
      if (!target) {
        sendHtml(res, 200, renderErrorPage('Login finished', 'You can close this window.', session.language));
        return;
      }
      // The documentation's example: "…/zignsec/return?relaystate=96a09f3f-…&service=eIDBasic".
      const location = new URL(target);
      location.searchParams.set('relaystate', session.relaystate);
      location.searchParams.set('service', 'eIDBasic');
      redirect(res, location.toString(), 303);
    }),
  );
}

function pageSession(sessions: ZignSecSessions, id: string): Session {
  const session = sessions.find(id);
  if (!session) throw new HttpError(404, 'This login link is unknown or has been removed.');
  sessions.refresh(session);
  if (session.state !== 'PENDING') {
    throw loginOver(session.errors?.[0]?.code === 'EXPIRED_TRANSACTION', session.state);
  }
  return session;
}
