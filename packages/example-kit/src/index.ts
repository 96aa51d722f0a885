export { type Backends, type ResolveBackendsOptions, resolveBackends } from './backends.js';
export { type BankIdQrPage, renderBankIdQr } from './bankid-qr.js';
export { type CallCentrePage, callCentreResponse, isOperator, renderCallCentre } from './call-centre.js';
export { type FinalErrorAnswer, finalErrorAnswer } from './errors.js';
export {
  type Closable,
  type ExampleApp,
  type ExampleAppOptions,
  type ExampleServer,
  startExampleServer,
} from './example-server.js';
export { HEALTH_PATH, healthResponse } from './health.js';
export { createNonce, escapeHtml, pageHeaders } from './html.js';
export { ERROR_MESSAGES, errorMessage } from './messages.js';
export {
  BANKID_QR_PATH,
  CALL_CENTRE_PATH,
  type HomePage,
  PROFILE_PATH,
  type ProfilePage,
  renderHome,
  renderProfile,
  SIGN_PATH,
  startPath,
} from './pages.js';
export { QR_SVG_PATH, type QrSvgResponse, renderQrSvg } from './qr-svg.js';
export { runExampleServer } from './run-server.js';
export { SAMPLE_AGREEMENT, SAMPLE_DOCUMENTS, samplePdf } from './sample-documents.js';
export {
  ExpiringSessionStore,
  expiringSessionCache,
  LOGIN_MAX_AGE_SECONDS,
  SESSION_MAX_AGE_SECONDS,
  secondsFromEnv,
} from './sessions.js';
export { DEFAULT_REDIS_PREFIX, type SharedStores, sharedStores } from './shared-stores.js';
export {
  exampleSigning,
  renderSignPage,
  type SignPage,
  signingMethods,
  signPageResponse,
} from './signing.js';
