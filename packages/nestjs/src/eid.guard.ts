import type { Identity } from '@eid/core';
import { type EidSessionData, requireSession as sessionPort, UNAUTHENTICATED_BODY } from '@eid/core/adapter';
import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';

/** A request of either platform, as far as its session goes (express-session, @fastify/[secure-]session). */
export interface SessionRequest {
  session?: { eid?: EidSessionData };
}

/** The port to the request's session, or `invalid_config` naming what to register. */
export function requireSession(request: SessionRequest) {
  return sessionPort(request, {
    adapter: '@eid/nestjs',
    howTo:
      'register express-session (app.use(session({ ... }))) on the Express platform, or @fastify/cookie and ' +
      '@fastify/session, or @fastify/secure-session (app.register(...)) on the Fastify platform, before app.listen()',
  });
}

/**
 * Lets requests through whose session holds an eID login, and answers the rest `401 { error: { code:
 * 'unauthenticated' } }`. Override `getRequest` (e.g. for GraphQL) or `handleRequest` (to redirect, or demand a LoA).
 */
@Injectable()
export class EidGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    this.handleRequest(requireSession(this.getRequest(context)).read()?.identity, context);
    return true;
  }

  getRequest(context: ExecutionContext): SessionRequest {
    return context.switchToHttp().getRequest<SessionRequest>();
  }

  /** Returns the identity to let the request through; throws to refuse it. */
  handleRequest(identity: Identity | undefined, _context: ExecutionContext): Identity {
    if (!identity) throw new UnauthorizedException(UNAUTHENTICATED_BODY);
    return identity;
  }
}

/** The logged-in identity (or one of its fields), undefined without a login; `@UseGuards(EidGuard)` requires one. */
export const EidIdentity = createParamDecorator<keyof Identity | undefined>(
  (field, context: ExecutionContext) => {
    const identity = context.switchToHttp().getRequest<SessionRequest>().session?.eid?.identity;
    return field ? identity?.[field] : identity;
  },
);
