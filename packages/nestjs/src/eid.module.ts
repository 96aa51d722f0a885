import type { Eid, Identity } from '@eid/core';
import { UNAUTHENTICATED_BODY } from '@eid/core/adapter';
import * as nest from '@nestjs/common';
import {
  EID_MODULE_OPTIONS,
  requireSession,
  routesController,
  type SessionRequest,
} from './eid.controller.js';

export interface EidModuleOptions {
  /** The engine, from `createEid({ ... })`: its routes are served at `eid.prefix` below Nest's global prefix. */
  eid: Eid;
}

export interface EidModuleExtras {
  /** Register the module globally (default true), so EID_MODULE_OPTIONS can be injected anywhere. */
  isGlobal?: boolean;
}

const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new nest.ConfigurableModuleBuilder<EidModuleOptions>({ optionsInjectionToken: EID_MODULE_OPTIONS })
    .setClassMethodName('forRoot')
    .setExtras<EidModuleExtras>({ isGlobal: true }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      controllers: [routesController()],
      exports: [EID_MODULE_OPTIONS],
    }))
    .build();

export type EidModuleForRootOptions = typeof OPTIONS_TYPE;
export type EidModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

/** The HTTP contract's routes (docs/http-contract.md §2): `EidModule.forRoot({ eid })` or `EidModule.forRootAsync({ ... })`. */
@nest.Module({})
export class EidModule extends ConfigurableModuleClass {}

/** Lets requests with an eID login through, the rest get 401; override `getRequest` or `handleRequest` to adapt. */
@nest.Injectable()
export class EidGuard implements nest.CanActivate {
  canActivate(context: nest.ExecutionContext): boolean {
    this.handleRequest(requireSession(this.getRequest(context)).read()?.identity, context);
    return true;
  }

  getRequest(context: nest.ExecutionContext): SessionRequest {
    return context.switchToHttp().getRequest<SessionRequest>();
  }

  /** Returns the identity to let the request through; throws to refuse it. */
  handleRequest(identity: Identity | undefined, _context: nest.ExecutionContext): Identity {
    if (!identity) throw new nest.UnauthorizedException(UNAUTHENTICATED_BODY);
    return identity;
  }
}

/** The logged-in identity (or one of its fields), undefined without a login; `@UseGuards(EidGuard)` requires one. */
export const EidIdentity = nest.createParamDecorator<keyof Identity | undefined>(
  (field, context: nest.ExecutionContext) => {
    const identity = context.switchToHttp().getRequest<SessionRequest>().session?.eid?.identity;
    return field ? identity?.[field] : identity;
  },
);
