import type { Identity } from '@eid/core';
import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { requireSession, type SessionRequest } from './session.js';

/**
 * Lets requests through whose session holds an eID login, and answers the rest
 * `401 { error: { code: 'unauthenticated' } }`. Extend it and override `getRequest` (e.g. for GraphQL)
 * or `handleRequest` (e.g. to redirect, or to demand a level of assurance).
 */
@Injectable()
export class EidGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const identity = requireSession(this.getRequest(context)).read()?.identity;
    this.handleRequest(identity, context);
    return true;
  }

  getRequest(context: ExecutionContext): SessionRequest {
    return context.switchToHttp().getRequest<SessionRequest>();
  }

  /** Returns the identity to let the request through; throws to refuse it. */
  handleRequest(identity: Identity | undefined, _context: ExecutionContext): Identity {
    if (!identity) {
      throw new UnauthorizedException({
        error: { code: 'unauthenticated', message: 'Log in with an eID first.' },
      });
    }
    return identity;
  }
}
