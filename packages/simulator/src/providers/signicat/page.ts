/** The end-user page that `authenticationUrl` points at: pick a test user, approve, cancel or fail. */
import type { IncomingMessage } from 'node:http';
import { HttpError, redirect, sendHtml } from '../../http.js';
import { endUserPage, renderApprovalPage, renderErrorPage } from '../../pages.js';
import { loginOver, readApproval } from '../../provider.js';
import type { Router } from '../../router.js';
import type { SignicatSessions } from './sessions.js';
import { isOpen, LOGIN_PATH, METHODS, type Session } from './wire.js';

export function registerPages(router: Router, sessions: SignicatSessions): void {
  router.get(
    LOGIN_PATH,
    endUserPage(({ res, url }) => {
      const session = pageSession(sessions, url);
      sessions.userArrived(session);
      const method = pageMethod(session, url.searchParams.get('provider'));
      const info = METHODS[method]!;
      const choices = sessions.choices(session, method);
      if (choices.length === 0)
        throw new HttpError(400, `The simulator has no test users for ${info.title}.`);
      const html = renderApprovalPage({
        title: info.title,
        users: choices,
        hidden: { provider: method },
        alternatives: session.allowedProviders.map((m) => ({
          label: METHODS[m]!.label,
          href: `${LOGIN_PATH}?messageId=${encodeURIComponent(session.messageId!)}&provider=${encodeURIComponent(m)}`,
          current: m === method,
        })),
        lang: session.language ?? 'en',
      });
      sendHtml(res, 200, html);
    }),
  );

  router.post(
    LOGIN_PATH,
    endUserPage(async ({ req, res, url }) => {
      const { form, outcome: chosen } = await readApproval(req);
      // Looked up after the body is read, so two concurrent posts cannot both finish the session.
      const session = pageSession(sessions, url);
      const outcome = chosen();
      const method = pageMethod(session, form.get('provider') ?? url.searchParams.get('provider'));
      sessions.finish(session, outcome, form.get('user') ?? undefined, method, {
        ipAddress: clientAddress(req),
        userAgent: req.headers['user-agent'] ?? '',
      });
      // Back to the callback URL with `sessionId` appended, as Signicat's redirect flow does
      // (developer.signicat.com/docs/eid-hub/authentication-api/); the exact form is not in the examples, so it
      // is added as one more query parameter.
      const target = session.callbackUrls?.[outcome];
      if (!target) {
        sendHtml(res, 200, renderErrorPage('Login finished', 'You can close this window.'));
        return;
      }
      redirect(res, withSessionId(target, session.id), 303);
    }),
  );
}

function pageSession(sessions: SignicatSessions, url: URL): Session {
  const messageId = url.searchParams.get('messageId');
  if (!messageId) throw new HttpError(400, 'The link is missing its messageId.');
  const session = sessions.byMessage(messageId);
  if (!session) throw new HttpError(404, 'This login link is unknown or has been removed.');
  sessions.refresh(session);
  if (!isOpen(session.status)) throw loginOver(session.status === 'EXPIRED', session.status);
  return session;
}

function pageMethod(session: Session, requested: string | null): string {
  return requested && session.allowedProviders.includes(requested) ? requested : session.allowedProviders[0]!;
}

function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function withSessionId(target: string, sessionId: string): string {
  const url = new URL(target);
  url.searchParams.append('sessionId', sessionId);
  return url.toString();
}
