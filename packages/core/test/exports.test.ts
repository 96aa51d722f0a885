import { expect, it } from 'vitest';
import * as core from '../src/index.js';

it('exports exactly the public API', () => {
  expect(Object.keys(core).sort()).toMatchInlineSnapshot(`
    [
      "BANKID_NO_ESIGN_SCOPES",
      "BANKID_NO_ISSUERS",
      "EID_ERROR_CODES",
      "EID_EVENT_TYPES",
      "EVENT_FIELDS",
      "EidError",
      "IDPORTEN_ISSUERS",
      "MemoryStore",
      "NEXT_DEFAULT_BASE_URL",
      "NIN_COUNTRIES",
      "bankIdNorway",
      "createEid",
      "dateOfBirthOf",
      "idporten",
      "isEidError",
      "isValidNationalId",
      "linkMobilityNext",
      "maskNationalId",
      "next",
      "parseNationalId",
      "signicat",
      "zignsec",
    ]
  `);
});

it('@eid/core/adapter exports what adapter authors use', async () => {
  const adapter = await import('../src/adapter/index.js');
  expect(Object.keys(adapter).sort()).toMatchInlineSnapshot(`
    [
      "RESPONSE_HEADERS",
      "ROUTES",
      "UNAUTHENTICATED_BODY",
      "acceptsPage",
      "authenticationStep",
      "bodyErrorResponse",
      "bodyParseError",
      "commitSessionChange",
      "engineOption",
      "engineRequest",
      "failureKind",
      "fastifyBodyErrorHandler",
      "fastifyFrameworkErrors",
      "fastifyKeepRawBody",
      "fastifyRouteBodies",
      "fastifyWebhookPreCheck",
      "freshIdentity",
      "guardDecision",
      "guardLoginOption",
      "httpInput",
      "keepRawBody",
      "liveIdentity",
      "loginSessionData",
      "malformedParamResponse",
      "malformedPathResponse",
      "malformedTargetResponse",
      "matchRoute",
      "maxAgeOption",
      "nodeResponseWriter",
      "optionsObject",
      "prefersJson",
      "refusal",
      "refuseRenamedRoutes",
      "refuseRoutesOption",
      "requestHeaders",
      "requestPath",
      "requireIdentity",
      "requireSession",
      "routeBodyParsers",
      "runRoute",
      "sessionMissingMessage",
      "sessionPortOf",
      "startGuardLogin",
      "unauthenticatedResponse",
      "webhookPreCheckResponse",
      "writeAtRenewal",
      "writeResponse",
    ]
  `);
});

it('@eid/core/provider-kit exports what provider authors use', async () => {
  const kit = await import('../src/provider-kit/index.js');
  expect(Object.keys(kit).sort()).toMatchInlineSnapshot(`
    [
      "TokenCache",
      "UI_LOCALES",
      "absoluteUrl",
      "applyProfile",
      "compactIdentity",
      "configError",
      "createTransport",
      "defineProvider",
      "enabledMethods",
      "isHttpUrl",
      "isRecord",
      "isoDate",
      "issuerUrl",
      "loaOf",
      "methodFinder",
      "nationalIdFromProvider",
      "nonEmpty",
      "oneOf",
      "parseDate",
      "projectMethods",
      "requireOptions",
      "requireString",
      "restClient",
      "statedNationalId",
      "statusMapper",
      "stringOr",
      "upstreamError",
      "userCancelled",
      "verifyWebhookToken",
      "webhookToken",
    ]
  `);
});

it('@eid/core/testing exports the checks for code that plugs into the engine', async () => {
  const testing = await import('../src/testing/index.js');
  expect(Object.keys(testing).sort()).toMatchInlineSnapshot(`
    [
      "runStoreContract",
    ]
  `);
});
