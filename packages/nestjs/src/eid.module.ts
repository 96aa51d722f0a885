import { ConfigurableModuleBuilder, Module } from '@nestjs/common';
import { routesController } from './eid.controller.js';
import { EID_MODULE_OPTIONS, type EidModuleOptions } from './options.js';

export interface EidModuleExtras {
  /** Register the module globally (default true), so EID_MODULE_OPTIONS can be injected anywhere. */
  isGlobal?: boolean;
}

const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<EidModuleOptions>({
    optionsInjectionToken: EID_MODULE_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setExtras<EidModuleExtras>({ isGlobal: true }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      // A controller class of its own per registration: its path is set once the options are resolved.
      controllers: [routesController()],
      exports: [EID_MODULE_OPTIONS],
    }))
    .build();

/** `EidModule.forRoot(options)` and `EidModule.forRootAsync(options)` */
export type EidModuleForRootOptions = typeof OPTIONS_TYPE;
export type EidModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

/**
 * The HTTP contract's routes (DESIGN 4.1) as a Nest module:
 * `EidModule.forRoot({ eid })` or `EidModule.forRootAsync({ useFactory, inject, imports })`.
 */
@Module({})
export class EidModule extends ConfigurableModuleClass {}
