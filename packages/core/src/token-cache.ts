export interface AccessToken {
  accessToken: string;
  /** Lifetime in seconds, as the token endpoint's `expires_in`. */
  expiresIn: number;
}

export interface TokenCacheOptions {
  /** Renew this many seconds before the token expires. Default 30. */
  renewBeforeSeconds?: number;
  now?: () => number;
}

/**
 * Caches an OAuth2 access token until shortly before it expires. When many requests need a token
 * at once, one fetch serves them all; a failed fetch is not cached.
 */
export class TokenCache {
  readonly #fetchToken: () => Promise<AccessToken>;
  readonly #renewBeforeMs: number;
  readonly #now: () => number;
  #current: { token: string; renewAt: number } | undefined;
  #inFlight: Promise<string> | undefined;

  constructor(fetchToken: () => Promise<AccessToken>, options: TokenCacheOptions = {}) {
    this.#fetchToken = fetchToken;
    this.#renewBeforeMs = (options.renewBeforeSeconds ?? 30) * 1000;
    this.#now = options.now ?? Date.now;
  }

  async get(): Promise<string> {
    if (this.#current && this.#now() < this.#current.renewAt) return this.#current.token;
    this.#inFlight ??= this.#fetchToken()
      .then(({ accessToken, expiresIn }) => {
        // A token shorter-lived than the renewal margin is used for half its life instead.
        const lifetimeMs = Math.max(0, expiresIn * 1000);
        const margin = Math.min(this.#renewBeforeMs, lifetimeMs / 2);
        this.#current = { token: accessToken, renewAt: this.#now() + lifetimeMs - margin };
        return accessToken;
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
    return this.#inFlight;
  }

  /** Forgets the token, e.g. after the provider answered 401 to it. */
  invalidate(token?: string): void {
    if (token === undefined || this.#current?.token === token) this.#current = undefined;
  }
}
