/**
 * The Lua scripts that make each store operation one atomic step on the Redis server, whatever number of
 * processes share it. A transaction is a hash: `v` version, `s` status, `c` createdAt, `e` expiresAt,
 * `r` retainUntil (epoch ms, the app's clock) and `d` the transaction as JSON. The indexes per browser and per
 * client address are sorted sets of transaction ids scored by `expiresAt`; they hold pending transactions only
 * (a write that ends one removes it). Times come from the app (ARGV `now`), never from the Redis clock, so the
 * app's and Redis's clocks need not agree; expiries are set as durations (`PEXPIRE`).
 */

/** The live pending ids of one index (dropping stale ones), as a flat list of id, createdAt, expiresAt. */
const PENDING = `
local function pending(index, now)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  local found = {}
  for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    local fields = redis.call('HMGET', KEYS[4] .. id, 's', 'c', 'e')
    if fields[1] == 'pending' and tonumber(fields[3]) > now then
      table.insert(found, { id, tonumber(fields[2]), tonumber(fields[3]) })
    else
      redis.call('ZREM', index, id)
    end
  end
  return found
end

local function extend(key, ttl)
  local left = redis.call('PTTL', key)
  if left < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * KEYS: transaction, browser index, address index ('' for none), transaction key prefix.
 * ARGV: id, json, version, status, createdAt, expiresAt, retainUntil, now, perBrowser, perAddress (0: no limits).
 * Returns { 'exists' }, { 'rate_limited', earliestExpiresAt } or { 'ok', displacedId... }.
 */
export const CREATE = `${PENDING}
if redis.call('EXISTS', KEYS[1]) == 1 then return { 'exists' } end
local id, now = ARGV[1], tonumber(ARGV[8])
local expiresAt, retainUntil = tonumber(ARGV[6]), tonumber(ARGV[7])
local perBrowser, perAddress = tonumber(ARGV[9]), tonumber(ARGV[10])
local result = { 'ok' }
if perBrowser > 0 then
  if KEYS[3] ~= '' then
    local fromAddress = pending(KEYS[3], now)
    if #fromAddress >= perAddress then
      local earliest = fromAddress[1][3]
      for _, entry in ipairs(fromAddress) do
        if entry[3] < earliest then earliest = entry[3] end
      end
      return { 'rate_limited', tostring(earliest) }
    end
  end
  local browsers = pending(KEYS[2], now)
  local excess = #browsers + 1 - perBrowser
  if excess > 0 then
    table.sort(browsers, function(a, b) return a[2] < b[2] end)
    for i = 1, excess do table.insert(result, browsers[i][1]) end
  end
end
local ttl = retainUntil - now
if ttl < 1 then ttl = 1 end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 's', ARGV[4], 'c', ARGV[5], 'e', ARGV[6], 'r', ARGV[7], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
if ARGV[4] == 'pending' and expiresAt > now then
  redis.call('ZADD', KEYS[2], expiresAt, id)
  extend(KEYS[2], expiresAt - now)
  if KEYS[3] ~= '' then
    redis.call('ZADD', KEYS[3], expiresAt, id)
    extend(KEYS[3], expiresAt - now)
  end
end
return result
`;

/**
 * KEYS: transaction, browser index, address index ('' for none).
 * ARGV: id, expectedVersion, json, nextVersion, status, createdAt, expiresAt, retainUntil, now.
 * Returns 1 when written, 0 when the stored version differs or the transaction is gone.
 */
export const COMPARE_AND_SET = `
local now = tonumber(ARGV[9])
local stored = redis.call('HMGET', KEYS[1], 'v', 'r')
if not stored[1] or tonumber(stored[2]) <= now or stored[1] ~= ARGV[2] then return 0 end
local id, expiresAt, retainUntil = ARGV[1], tonumber(ARGV[7]), tonumber(ARGV[8])
local indexes = { KEYS[2] }
if KEYS[3] ~= '' then table.insert(indexes, KEYS[3]) end
if retainUntil <= now then
  redis.call('DEL', KEYS[1])
  for _, index in ipairs(indexes) do redis.call('ZREM', index, id) end
  return 1
end
redis.call('HSET', KEYS[1], 'v', ARGV[4], 's', ARGV[5], 'c', ARGV[6], 'e', ARGV[7], 'r', ARGV[8], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], retainUntil - now)
for _, index in ipairs(indexes) do
  if ARGV[5] == 'pending' and expiresAt > now then
    redis.call('ZADD', index, 'XX', expiresAt, id)
  else
    redis.call('ZREM', index, id)
  end
end
return 1
`;

/** KEYS: transaction, browser index, address index ('' for none). ARGV: id. */
export const DELETE = `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if KEYS[3] ~= '' then redis.call('ZREM', KEYS[3], ARGV[1]) end
return 1
`;

/** KEYS: counter. ARGV: windowMs. Returns { count, pttl }: a fixed window that starts with the first hit. */
export const INCREMENT = `
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return { count, left }
`;

/**
 * KEYS: record. ARGV: hasExpected ('1'/'0'), expected, hasNext ('1'/'0'), next, ttlMs.
 * Returns 1 when swapped, 0 when the record held something else.
 */
export const SWAP_KEY = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
local ttl = tonumber(ARGV[5])
if ARGV[3] == '1' and ttl >= 1 then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ttl)
else
  redis.call('DEL', KEYS[1])
end
return 1
`;
