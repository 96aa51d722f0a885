import type { Eid } from '@eid/core';

/** Injection token of the resolved `EidModuleOptions`. */
export const EID_MODULE_OPTIONS = Symbol('EID_MODULE_OPTIONS');

export interface EidModuleOptions {
  /** The engine, from `createEid({ ... })`. */
  eid: Eid;
  /**
   * Where the contract's routes are mounted, relative to Nest's global prefix. Default `eid.prefix`.
   * The full public path must equal `eid.prefix`, as the engine builds callback URLs from it: with
   * `app.setGlobalPrefix('api')` use `createEid({ prefix: '/api/auth/eid' })` and `path: '/auth/eid'`.
   */
  path?: string;
}

export function validateOptions(options: EidModuleOptions | undefined): EidModuleOptions {
  const eid = options?.eid as Partial<Eid> | undefined;
  if (!eid || typeof eid.handle !== 'function' || typeof eid.prefix !== 'string') {
    throw new Error(
      'EidModule.forRoot(): `eid` must be the engine that createEid({ ... }) from @eid/core returns.',
    );
  }
  if (options?.path !== undefined && (typeof options.path !== 'string' || /[?#\s]/.test(options.path))) {
    throw new Error('EidModule.forRoot(): `path` must be a route path such as /auth/eid.');
  }
  return options as EidModuleOptions;
}
