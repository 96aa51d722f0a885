import { ConfigurableModuleBuilder, Module } from '@nestjs/common';
import { EID_MODULE_OPTIONS, type EidModuleOptions, routesController } from './eid.controller.js';

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
      controllers: [routesController()],
      exports: [EID_MODULE_OPTIONS],
    }))
    .build();

/** `EidModule.forRoot(options)` and `EidModule.forRootAsync(options)` */
export type EidModuleForRootOptions = typeof OPTIONS_TYPE;
export type EidModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

/** The HTTP contract's routes (DESIGN 4.1): `EidModule.forRoot({ eid })` or `EidModule.forRootAsync({ ... })`. */
@Module({})
export class EidModule extends ConfigurableModuleClass {}
