/** The adapters and session plugins the route benchmark runs, each in a child process (`route-server.ts`). */
export const ROUTE_KINDS = [
  'express',
  'passport',
  'fastify-session',
  'fastify-secure-session',
  'nest-express',
  'nest-fastify',
] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

/** What a route server tells the parent once it is ready. */
export interface RouteServerReady {
  kind: RouteKind;
  origin: string;
  /** The logged-in browser's cookie header. */
  loggedIn: string;
  /** A browser with a pending headless login: its cookie header and the transaction id. */
  pending: { cookie: string; transactionId: string };
}

/** The relying parties the login-cost benchmark compares, each in a child process (`login-server.ts`). */
export const LOGIN_KINDS = [
  'eid',
  'express-openid-connect',
  'openid-client',
  'openid-client-verified',
] as const;
export type LoginKind = (typeof LOGIN_KINDS)[number];

export interface LoginServerReady {
  kind: LoginKind;
  origin: string;
  /** Where a browser starts the login (the app's own route). */
  loginPath: string;
  /** The OP sends the browser back under this URL. */
  callbackPrefix: string;
  /** Answers 200 once logged in. */
  checkPath: string;
}
