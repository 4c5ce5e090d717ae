-- Atomically store a subscriber document, append its changes to the change log, chained onto
-- the head the log holds now, and claim key ids. Runs after blake2b.lua (prepended by
-- stores/redis.py), which defines blake2b_256_hex. Every key shares the {uei:reg} hash tag,
-- so this runs on one Redis Cluster node.
--
-- KEYS[1] subscriber hash (fields v, doc)   KEYS[2] log list
-- KEYS[3] key owner hash (kid -> sid)       KEYS[4] set of subscriber ids
-- ARGV: sid, expected version, new version, doc, entry count N, N pairs (hashed, stored) from
--       changelog.chain_parts, then the key ids to claim.
-- Entry seq (= its place in the list, from 1) and its hash:
--   hash  = BLAKE2b-256(prev_hash .. "[" .. seq .. hashed), hex; prev_hash of the first: 64 zeros
--   entry = '{"seq":' .. seq .. stored .. ',"prev_hash":"' .. prev_hash .. '","hash":"' .. hash .. '"}'
-- Returns {"ok", entry...}, or "conflict:version" / "conflict:key:<kid>" (nothing written).
local sid = ARGV[1]
local version = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if version ~= tonumber(ARGV[2]) then
  return 'conflict:version'
end
local n = tonumber(ARGV[5])
local first_claim = 6 + 2 * n
for i = first_claim, #ARGV do
  local owner = redis.call('HGET', KEYS[3], ARGV[i])
  if owner and owner ~= sid then
    return 'conflict:key:' .. ARGV[i]
  end
end
local seq = 0
local prev = string.rep('0', 64)
if n > 0 then
  seq = redis.call('LLEN', KEYS[2])
  if seq > 0 then
    local head = redis.call('LINDEX', KEYS[2], -1)
    -- the head's own hash, its last field (msgspec writes the fields in order)
    prev = string.match(head, '"hash":"(%x+)"}$')
    if prev == nil or #prev ~= 64 then -- before any write: a script error undoes nothing
      return redis.error_reply('change log head has no hash: ' .. string.sub(head, 1, 200))
    end
  end
end
for i = first_claim, #ARGV do
  redis.call('HSETNX', KEYS[3], ARGV[i], sid)
end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'doc', ARGV[4])
redis.call('SADD', KEYS[4], sid)
local appended = {'ok'}
for i = 0, n - 1 do
  seq = seq + 1
  local number = string.format('%d', seq)
  local digest = blake2b_256_hex(prev .. '[' .. number .. ARGV[6 + 2 * i])
  local entry = '{"seq":' .. number .. ARGV[7 + 2 * i] .. ',"prev_hash":"' .. prev
    .. '","hash":"' .. digest .. '"}'
  redis.call('RPUSH', KEYS[2], entry)
  appended[#appended + 1] = entry
  prev = digest
end
return appended
