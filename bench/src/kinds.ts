/** The adapters and session plugins the route benchmark runs, each in a child process (`route-server.ts`). */
export const ROUTE_KINDS = ['express', 'passport', 'fastify-session', 'fastify-secure-session'] as const;
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
