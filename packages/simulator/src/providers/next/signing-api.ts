/**
 * NEXT's signing routes, behind the same HTTP Basic as authentications: `POST /api/signing` (201, the id in
 * `Location`), `GET /api/signing/{partnerId}/{id}`, and `GET /api/signing/{partnerId}/document/{documentId}`
 * ("the content for the document as Base64 encoded string": a JSON string).
 */
import { HttpError, readJsonBody, sendBody } from '../../http.js';
import { unknownEndpoints } from '../../provider.js';
import type { Router } from '../../router.js';
import { type NextCredentials, partnerCheck, restRoute } from './api.js';
import { MAX_REQUEST_BYTES, parseSigningRequest, presentSigning } from './signing-wire.js';
import type { Signings } from './signings.js';
import { NEXT, ValidationError } from './wire.js';

const api = { provider: NEXT };

export function registerSigningApi(router: Router, signings: Signings, credentials: NextCredentials): void {
  const rest = restRoute(credentials);
  const checkPartner = partnerCheck(credentials);

  router.post(
    '/api/signing',
    rest(async ({ req, res }) => {
      const invalid = () => new ValidationError('$', 'The JSON value could not be parsed.');
      const body = await readJsonBody(req, invalid, MAX_REQUEST_BYTES);
      const signing = signings.create(parseSigningRequest(body, checkPartner));
      res.writeHead(201, { location: signing.id, 'content-length': '0', 'cache-control': 'no-store' });
      res.end();
    }),
    api,
  );

  router.get(
    '/api/signing/:partnerId/document/:documentId',
    rest(({ res, params }) => {
      checkPartner(params.partnerId);
      const signing = signings.document(params.documentId!);
      if (!signing?.signed || signing.partnerId !== params.partnerId) {
        throw new HttpError(404, 'No document with that id.');
      }
      sendBody(res, 200, 'application/json; charset=utf-8', JSON.stringify(signing.signed));
    }),
    api,
  );

  router.get(
    '/api/signing/:partnerId/:id',
    rest(({ res, params }) => {
      checkPartner(params.partnerId);
      const signing = signings.find(params.id!);
      if (!signing || signing.partnerId !== params.partnerId)
        throw new HttpError(404, 'No signing with that id.');
      signings.refresh(signing);
      sendBody(res, 200, 'application/json; charset=utf-8', JSON.stringify(presentSigning(signing)));
    }),
    api,
  );

  unknownEndpoints(router, '/api/signing/*', rest, api);
}
