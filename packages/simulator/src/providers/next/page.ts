/**
 * `GET /bankid/{partnerId}/{authenticationId}/authenticate`: the end-user page (here the approval page itself,
 * where the real service forwards to the eID's own page); afterwards back to `callbackUrl` with `id` appended
 * (in either form `callbackWithId` chooses).
 */
import { HttpError, redirect, sendHtml } from '../../http.js';
import { endUserPage, renderApprovalPage } from '../../pages.js';
import { loginOver, readApproval } from '../../provider.js';
import type { Router } from '../../router.js';
import { pdfPageCount } from '../../signature.js';
import type { Authentications } from './authentications.js';
import type { Signing } from './signing-wire.js';
import type { Signings } from './signings.js';
import { type Authentication, callbackWithId, METHODS } from './wire.js';

const PAGE_PATH = '/bankid/:partnerId/:id/authenticate';

export function registerPages(router: Router, authentications: Authentications): void {
  router.get(
    PAGE_PATH,
    endUserPage(({ res, params }) => {
      const authentication = pageAuthentication(authentications, params);
      const offered = authentications.choices(authentication);
      if (offered.length === 0) throw new HttpError(400, 'The simulator has no test users for this method.');
      sendHtml(
        res,
        200,
        renderApprovalPage({ title: METHODS[authentication.method]!.title, users: offered }),
      );
    }),
  );

  router.post(
    PAGE_PATH,
    endUserPage(async ({ req, res, params }) => {
      const { form, outcome } = await readApproval(req);
      // Looked up after the body is read, so two concurrent posts cannot both finish it.
      const authentication = pageAuthentication(authentications, params);
      authentications.finish(authentication, outcome(), form.get('user') ?? undefined);
      redirect(res, callbackWithId(authentication), 303);
    }),
  );
}

function pageAuthentication(
  authentications: Authentications,
  params: Readonly<Record<string, string>>,
): Authentication {
  const authentication = authentications.find(params.id ?? '');
  if (!authentication || authentication.partnerId !== params.partnerId) {
    throw new HttpError(404, 'This login link is unknown or has been removed.');
  }
  authentications.refresh(authentication);
  if (authentication.status !== 'Pending') {
    throw loginOver(authentication.status === 'Expired', authentication.status);
  }
  return authentication;
}

const SIGN_PATH = '/bankid/:partnerId/:id/sign';

/** `GET /bankid/{partnerId}/{signingId}/sign`: the signing page, showing what is signed; back to `callbackUrl`. */
export function registerSigningPages(router: Router, signings: Signings): void {
  router.get(
    SIGN_PATH,
    endUserPage(({ res, params }) => {
      const signing = pageSigning(signings, params);
      const offered = signings.choices(signing);
      if (offered.length === 0) throw new HttpError(400, 'No test user of the simulator may sign this.');
      const document =
        signing.contentType === 'text/plain'
          ? { text: signing.content.toString('utf8') }
          : { pdfPages: pdfPageCount(signing.content) };
      const title = METHODS[signing.method]!.title.replace('Simulated', 'Sign with simulated');
      sendHtml(res, 200, renderApprovalPage({ title, users: offered, document }));
    }),
  );

  router.post(
    SIGN_PATH,
    endUserPage(async ({ req, res, params }) => {
      const { form, outcome } = await readApproval(req);
      const signing = pageSigning(signings, params);
      signings.finish(signing, outcome(), form.get('user') ?? undefined);
      redirect(res, callbackWithId(signing), 303);
    }),
  );
}

function pageSigning(signings: Signings, params: Readonly<Record<string, string>>): Signing {
  const signing = signings.find(params.id ?? '');
  if (!signing || signing.partnerId !== params.partnerId) {
    throw new HttpError(404, 'This signing link is unknown or has been removed.');
  }
  signings.refresh(signing);
  if (signing.status !== 'Pending') throw loginOver(signing.status === 'Expired', signing.status);
  return signing;
}
