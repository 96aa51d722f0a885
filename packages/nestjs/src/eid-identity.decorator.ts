import type { Identity } from '@eid/core';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SessionRequest } from './session.js';

/**
 * The eID identity of the logged-in user (or one of its fields), from the session; undefined when
 * nobody is logged in. Put `@UseGuards(EidGuard)` on routes that need it to be there.
 */
export const EidIdentity = createParamDecorator<keyof Identity | undefined>(
  (field: keyof Identity | undefined, context: ExecutionContext) => {
    const identity = context.switchToHttp().getRequest<SessionRequest>().session?.eid?.identity;
    return field ? identity?.[field] : identity;
  },
);
