import 'reflect-metadata';
import { type ExecutionContext, Module, UnauthorizedException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { EID_GUARD_OPTIONS, EidGuard, type Identity } from '../src/index.js';

const identityAt = (authenticatedAt: string) =>
  ({ provider: 'signicat', method: 'nbid', subject: 's', transactionId: 't', authenticatedAt }) as Identity;

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

  it('without maxAge lets any login through', () => {
    expect(new EidGuard().canActivate(contextWith(identityAt(old)))).toBe(true);
    expect(() => new EidGuard().canActivate(contextWith(undefined))).toThrow(UnauthorizedException);
  });

  it('with maxAge (seconds) refuses a login older than that by authenticatedAt, with the 401', () => {
    const guard = new EidGuard({ maxAge: 60 * 60 });
    expect(guard.canActivate(contextWith(identityAt(now)))).toBe(true);
    expect(() => guard.canActivate(contextWith(identityAt(old)))).toThrow(UnauthorizedException);
  });

  it('takes its options from EID_GUARD_OPTIONS when Nest creates it, and none without', async () => {
    @Module({ providers: [EidGuard, { provide: EID_GUARD_OPTIONS, useValue: { maxAge: 60 } }] })
    class WithOptions {}
    @Module({ providers: [EidGuard] })
    class Without {}
    const withOptions = await NestFactory.createApplicationContext(WithOptions, { logger: false });
    expect(() => withOptions.get(EidGuard).canActivate(contextWith(identityAt(old)))).toThrow(
      UnauthorizedException,
    );
    const without = await NestFactory.createApplicationContext(Without, { logger: false });
    expect(without.get(EidGuard).canActivate(contextWith(identityAt(old)))).toBe(true);
    await withOptions.close();
    await without.close();
  });

  it('refuses a bad maxAge at construction', () => {
    expect(() => new EidGuard({ maxAge: 0 })).toThrowError(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining('maxAge') }),
    );
  });
});
