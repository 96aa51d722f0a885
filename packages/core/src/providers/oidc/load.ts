import type * as OpenIdClient from 'openid-client';
import { EidError } from '../../errors.js';

let loading: Promise<typeof OpenIdClient> | undefined;

/**
 * `openid-client` is ESM only; it is loaded with a dynamic import on first use, so the CommonJS build of
 * @eid/core keeps loading on Node versions without require(esm), and apps that never use it never load it.
 */
export function openIdClient(): Promise<typeof OpenIdClient> {
  loading ??= import('openid-client').catch((cause: unknown) => {
    loading = undefined;
    throw new EidError('provider_error', 'The openid-client module could not be loaded.', { cause });
  });
  return loading;
}
