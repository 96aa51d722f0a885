import type { Adapter, AdapterPayload } from 'oidc-provider';

const MAX_STORED = 50_000;

/**
 * oidc-provider's storage, per provider instance and bounded (its built-in adapter is one store for the whole
 * process and warns at start): codes, tokens, sessions, interactions and grants until they expire.
 */
export function memoryStore(): { adapter(model: string): Adapter } {
  const entries = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const byUid = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();

  function prune(): void {
    const now = Date.now();
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
    while (entries.size >= MAX_STORED) entries.delete(entries.keys().next().value!);
    for (const [uid, key] of byUid) if (!entries.has(key)) byUid.delete(uid);
    for (const [grantId, members] of byGrant) {
      for (const key of members) if (!entries.has(key)) members.delete(key);
      if (members.size === 0) byGrant.delete(grantId);
    }
  }
  function live(key: string): AdapterPayload | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.payload;
    entries.delete(key);
    return undefined;
  }

  return {
    adapter(model: string): Adapter {
      const keyOf = (id: string) => `${model}:${id}`;
      return {
        async upsert(id, payload, expiresIn) {
          if (entries.size >= MAX_STORED) prune();
          const key = keyOf(id);
          entries.set(key, {
            payload,
            expiresAt: expiresIn === undefined ? Number.POSITIVE_INFINITY : Date.now() + expiresIn * 1000,
          });
          if (payload.uid) byUid.set(payload.uid, key);
          if (payload.grantId) {
            const members = byGrant.get(payload.grantId) ?? new Set<string>();
            members.add(key);
            byGrant.set(payload.grantId, members);
          }
        },
        async find(id) {
          return live(keyOf(id));
        },
        async findByUid(uid) {
          const key = byUid.get(uid);
          return key === undefined ? undefined : live(key);
        },
        async findByUserCode() {
          return undefined;
        },
        async consume(id) {
          const payload = live(keyOf(id));
          if (payload) payload.consumed = Math.floor(Date.now() / 1000);
        },
        async destroy(id) {
          const key = keyOf(id);
          const payload = entries.get(key)?.payload;
          if (payload?.uid) byUid.delete(payload.uid);
          entries.delete(key);
        },
        async revokeByGrantId(grantId) {
          for (const key of byGrant.get(grantId) ?? []) entries.delete(key);
          byGrant.delete(grantId);
        },
      };
    },
  };
}
