import { approveOnSimulatorPage, CookieJarClient } from '@eid/conformance';
import type { Simulator } from '@eid/simulator';
import fastifyCookie from '@fastify/cookie';
import fastifySecureSession from '@fastify/secure-session';
import fastifySession, { type FastifySessionOptions } from '@fastify/session';
import {
  Controller,
  type DynamicModule,
  Get,
  type INestApplication,
  type LoggerService,
  Module,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import session from 'express-session';
import { createEid, type Eid, EidGuard, EidIdentity, type Identity, signicat } from '../src/index.js';

export type Platform = 'express' | 'fastify';
export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];
const SECRET = 'a test session secret of at least 32 characters';

/** A free port on 127.0.0.1: the engine needs the app's origin before Nest listens. */
export { freePort } from '@eid/conformance';

/** What `authorizeVerify` was handed as the framework's request (`raw`), latest last. */
export const verifyRequests: unknown[] = [];

/**
 * The engine on the simulator's Signicat. A browser logged in with an eID counts as an operator: it may verify
 * callers (`nbid-phone`); the hook notes the platform request it is handed.
 */
export function simulatorEid(sim: Simulator, baseUrl: string, prefix?: string): Eid {
  return createEid({
    baseUrl,
    ...(prefix ? { prefix } : {}),
    providers: [signicat({ ...sim.signicat })],
    authorizeVerify: ({ identity, raw }) => {
      verifyRequests.push(raw);
      return identity !== undefined;
    },
    // Signing on, so the controller serves its two routes (Signicat offers no signing method: none is listed).
    signing: { document: () => undefined },
  });
}

@Controller('me')
class MeController {
  @Get()
  @UseGuards(EidGuard)
  me(@EidIdentity() identity: Identity, @EidIdentity('name') name: string) {
    return { identity, name };
  }
}

/** A page behind the guard that starts the login itself (`EidGuard.login`). */
@Controller('page')
class PageController {
  @Get()
  @UseGuards(EidGuard.login({ provider: 'signicat', method: 'nbid' }))
  page(@EidIdentity('name') name: string) {
    return { page: 'guarded', name };
  }
}

export function appModule(eidModule: DynamicModule, imports: DynamicModule[] = []): Type {
  @Module({ imports: [...imports, eidModule], controllers: [MeController, PageController] })
  class AppModule {}
  return AppModule;
}

export interface RunningApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * A Nest app on `platform` with its session library, listening on 127.0.0.1:`port`. On Fastify that is
 * @fastify/session, or @fastify/secure-session with `secureSession`.
 */
export async function startApp(
  platform: Platform,
  module: Type,
  port: number,
  {
    withSession = true,
    secureSession = false,
    globalPrefix,
    logger = false,
  }: {
    withSession?: boolean;
    secureSession?: boolean;
    globalPrefix?: string;
    logger?: LoggerService | false;
  } = {},
): Promise<RunningApp> {
  let app: INestApplication;
  if (platform === 'express') {
    app = await NestFactory.create(module, new ExpressAdapter(), {
      logger,
      abortOnError: false,
      forceCloseConnections: true,
    });
    if (withSession) app.use(session({ secret: SECRET, resave: false, saveUninitialized: false }));
  } else {
    const fastifyApp = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), {
      logger,
      abortOnError: false,
    });
    if (withSession && secureSession) {
      await fastifyApp.register(fastifySecureSession as never, {
        secret: SECRET,
        salt: 'mq9hDxBVDbspDR6n',
        cookie: { path: '/', httpOnly: true, sameSite: 'lax' },
      });
    } else if (withSession) {
      // Casts: @nestjs/platform-fastify 11 pins its own fastify (5.11), the session plugins' types see the
      // workspace's newer one; at run time both are Fastify 5.
      await fastifyApp.register(fastifyCookie as never);
      await fastifyApp.register(fastifySession as never, {
        secret: SECRET,
        saveUninitialized: false,
        cookie: { secure: false },
      } satisfies FastifySessionOptions);
    }
    app = fastifyApp;
  }
  if (globalPrefix) app.setGlobalPrefix(globalPrefix);
  await app.listen(port, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** The shared cookie-jar client of @eid/conformance, named after `fetch` here, with the session cookie's value. */
export class Browser extends CookieJarClient {
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return this.request(path, init);
  }

  /**
   * The value of the session cookie (express-session `connect.sid`, @fastify/session `sessionId`,
   * @fastify/secure-session `session`).
   */
  sessionId(): string | undefined {
    return this.cookies.get('connect.sid') ?? this.cookies.get('sessionId') ?? this.cookies.get('session');
  }

  /** Another browser holding a copy of this one's cookies, e.g. the logged-in cookie before a logout. */
  copy(): Browser {
    const copy = new Browser(this.origin);
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }
}

/** Does what a person does on the simulator's page: picks a user and presses a button; returns the callback URL. */
export function approveOnSimulator(
  pageUrl: string,
  user: string,
  outcome: 'success' | 'abort' | 'error' = 'success',
): Promise<string> {
  return approveOnSimulatorPage(pageUrl, outcome, user);
}
