-- Atomically store a subscriber document, append change-log entries and claim key ids.
-- Every key shares the {uei:reg} hash tag, so this runs on one Redis Cluster node.
--
-- KEYS[1] subscriber hash (fields v, doc)   KEYS[2] log list
-- KEYS[3] key owner hash (kid -> sid)       KEYS[4] set of subscriber ids
-- ARGV: sid, expected version, new version, doc, expected log length (-1: no entries),
--       entry count N, N entries, then the key ids to claim.
-- Returns "ok", or "conflict:version" / "conflict:log" / "conflict:key:<kid>" (nothing written).
local sid = ARGV[1]
local version = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if version ~= tonumber(ARGV[2]) then
  return 'conflict:version'
end
local expected_len = tonumber(ARGV[5])
if expected_len >= 0 and redis.call('LLEN', KEYS[2]) ~= expected_len then
  return 'conflict:log'
end
local n = tonumber(ARGV[6])
local first_claim = 7 + n
for i = first_claim, #ARGV do
  local owner = redis.call('HGET', KEYS[3], ARGV[i])
  if owner and owner ~= sid then
    return 'conflict:key:' .. ARGV[i]
  end
end
for i = first_claim, #ARGV do
  redis.call('HSETNX', KEYS[3], ARGV[i], sid)
end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'doc', ARGV[4])
redis.call('SADD', KEYS[4], sid)
for i = 7, 6 + n do
  redis.call('RPUSH', KEYS[2], ARGV[i])
end
return 'ok'
