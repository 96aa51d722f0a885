import 'reflect-metadata';
import { type ExecutionContext, Module, UnauthorizedException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import {
  EID_GUARD_OPTIONS,
  EID_MODULE_OPTIONS,
  EidGuard,
  type EidModuleOptions,
  type Identity,
} from '../src/index.js';

const identityAt = (authenticatedAt: string) =>
  ({ provider: 'signicat', method: 'nbid', subject: 's', transactionId: 't', authenticatedAt }) as Identity;

/** An engine whose logout records hold nothing: every login in a session is live. */
const moduleOptions = { eid: { sessionIdentity: async (data) => data?.identity } } as EidModuleOptions;

/** An ExecutionContext over a request whose express-session-like session holds `identity`. */
function contextWith(identity: Identity | undefined): ExecutionContext {
  const request = {
    session: { eid: identity ? { identity } : undefined, regenerate() {}, save() {} },
  };
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

describe('EidGuard maxAge', () => {
  const now = new Date().toISOString();
  const old = new Date(Date.now() - 2 * 60 * 60 * 1000).toISOString();

  it('without maxAge lets any login through', async () => {
    await expect(new EidGuard(moduleOptions).canActivate(contextWith(identityAt(old)))).resolves.toBe(true);
    await expect(new EidGuard(moduleOptions).canActivate(contextWith(undefined))).rejects.toThrow(
      UnauthorizedException,
    );
  });

  it('with maxAge (seconds) refuses a login older than that by authenticatedAt, with the 401', async () => {
    const guard = new EidGuard(moduleOptions, { maxAge: 60 * 60 });
    await expect(guard.canActivate(contextWith(identityAt(now)))).resolves.toBe(true);
    await expect(guard.canActivate(contextWith(identityAt(old)))).rejects.toThrow(UnauthorizedException);
  });

  it('takes its options from EID_GUARD_OPTIONS or EidGuard.maxAge() when Nest creates it, and none without', async () => {
    const engine = { provide: EID_MODULE_OPTIONS, useValue: moduleOptions };
    const OneHour = EidGuard.maxAge(60);
    @Module({
      providers: [engine, EidGuard, { provide: EID_GUARD_OPTIONS, useValue: { maxAge: 60 } }, OneHour],
    })
    class WithOptions {}
    @Module({ providers: [engine, EidGuard] })
    class Without {}
    const withOptions = await NestFactory.createApplicationContext(WithOptions, { logger: false });
    await expect(withOptions.get(EidGuard).canActivate(contextWith(identityAt(old)))).rejects.toThrow(
      UnauthorizedException,
    );
    await expect(withOptions.get(OneHour).canActivate(contextWith(identityAt(old)))).rejects.toThrow(
      UnauthorizedException,
    );
    await expect(withOptions.get(OneHour).canActivate(contextWith(identityAt(now)))).resolves.toBe(true);
    const without = await NestFactory.createApplicationContext(Without, { logger: false });
    await expect(without.get(EidGuard).canActivate(contextWith(identityAt(old)))).resolves.toBe(true);
    await withOptions.close();
    await without.close();
  });

  it('refuses a bad maxAge at construction', () => {
    for (const build of [() => new EidGuard(moduleOptions, { maxAge: 0 }), () => EidGuard.maxAge(-1)]) {
      expect(build).toThrowError(
        expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining('maxAge') }),
      );
    }
  });
});

describe('EidGuard login', () => {
  /** A page request (GET, HTML) without a login. */
  function pageContext(): ExecutionContext {
    const request = {
      method: 'GET',
      url: '/page',
      headers: { accept: 'text/html' },
      session: { eid: undefined, regenerate() {}, save() {} },
    };
    return {
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
    } as unknown as ExecutionContext;
  }
  const engine = {
    eid: {
      sessionIdentity: async () => undefined,
      methods: () => [{ provider: 'signicat', method: 'nbid-phone', flow: 'headless', purpose: 'verify' }],
    },
  } as unknown as EidModuleOptions;
  const host = { httpAdapter: {} } as never;

  it('refuses, at the first page it guards, a login that is not a redirect login method of the engine', async () => {
    for (const login of [
      { provider: 'signicat', method: 'nbid' },
      { provider: 'signicat', method: 'nbid-phone' },
    ]) {
      const guard = new EidGuard(engine, { login }, host);
      await expect(guard.canActivate(pageContext())).rejects.toThrow(
        expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining('`login`') }),
      );
    }
  });

  it('answers an API request without a login with the 401, never a login', async () => {
    const guard = new EidGuard(engine, { login: { provider: 'signicat', method: 'nbid' } }, host);
    await expect(guard.canActivate(contextWith(undefined))).rejects.toThrow(UnauthorizedException);
  });
});
